import { describe, expect, it } from "vitest";
import { ANSWER_POSITIONS, CONTEXT_LENGTH, SEQUENCE_LENGTH, additionBatch, decodeAddition, encodeAddition } from "../src/data/index.js";

describe("5-digit addition as next-token prediction", () => {
  it("encodes XXXXX+YYYYY=ZZZZZZ in 18 tokens over a vocabulary of 12", () => {
    const tokens = encodeAddition(1234, 98765);
    expect(tokens).toHaveLength(SEQUENCE_LENGTH);
    expect(decodeAddition(tokens)).toBe("01234+98765=099999");
    expect(Math.max(...tokens)).toBeLessThan(12);
  });

  it("generates the same batch for the same seed, with targets the answer digits", () => {
    const a = additionBatch({ count: 20, seed: 3 });
    expect(additionBatch({ count: 20, seed: 3 }).sequences).toEqual(a.sequences);
    expect(additionBatch({ count: 20, seed: 4 }).sequences).not.toEqual(a.sequences);
    for (let k = 0; k < a.count; k++) {
      const text = decodeAddition(a.sequences.subarray(k * SEQUENCE_LENGTH, (k + 1) * SEQUENCE_LENGTH));
      const [x, rest] = text.split("+") as [string, string];
      const [y, z] = rest.split("=") as [string, string];
      expect(Number(x) + Number(y)).toBe(Number(z));
      // Input position p predicts token p + 1: the answer positions predict the six sum digits.
      for (const [j, p] of ANSWER_POSITIONS.entries()) expect(a.targets[k * 6 + j]).toBe(a.sequences[k * SEQUENCE_LENGTH + p + 1]);
      expect([...a.inputs.subarray(k * CONTEXT_LENGTH, (k + 1) * CONTEXT_LENGTH)]).toEqual([...a.sequences.subarray(k * SEQUENCE_LENGTH, k * SEQUENCE_LENGTH + CONTEXT_LENGTH)]);
    }
  });

  it("rejects operands out of range and bad counts", () => {
    expect(() => encodeAddition(100000, 1)).toThrow(/operand a must be an integer in \[0, 99999\], got 100000/);
    expect(() => additionBatch({ count: 0, seed: 1 })).toThrow(/count must be an integer >= 1/);
  });
});
