/** A value as the user typed it: strings quoted as flags are, everything else as JSON. */
export const shown = (value: unknown): string => (typeof value === "string" ? `'${value}'` : JSON.stringify(value));

/** Choices listed as a sentence lists them: "a, b or c". */
export function listChoices(choices: readonly string[]): string {
  return choices.length < 2 ? choices.join("") : `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)!}`;
}

const article = (noun: string): string => (/^[aeiou]/i.test(noun) ? "an" : "a");

/**
 * The error for a value given where one of `choices` belongs (an enum, or a union's kind), in
 * the project's words: "'yan' is not a model; choose yang, energy-transformer, transformer or
 * crate". The caller puts the flag or the file and field in front.
 */
export function notAChoice(noun: string, given: unknown, choices: readonly unknown[]): string {
  const list = listChoices(choices.map(String));
  return given === undefined ? `missing; choose ${article(noun)} ${noun}: ${list}` : `${shown(given)} is not ${article(noun)} ${noun}; choose ${list}`;
}
