// The data the curvature experiments run on, generated deterministically from a seed.
export {
  ADDITION_VOCAB,
  PLUS_TOKEN,
  EQUALS_TOKEN,
  OPERAND_DIGITS,
  ANSWER_DIGITS,
  SEQUENCE_LENGTH,
  CONTEXT_LENGTH,
  ANSWER_POSITIONS,
  type AdditionBatch,
  encodeAddition,
  decodeAddition,
  additionBatch,
} from "./addition.js";
