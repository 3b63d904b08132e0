import { describe, expect, it } from "vitest";
import { editDistance, nearestWord } from "../src/nearest-word.js";

describe("editDistance", () => {
  it("counts inserts, deletes, replacements and swaps of neighbours as one edit each", () => {
    const cases: [string, string, number][] = [
      ["train", "train", 0],
      ["", "train", 5],
      ["trian", "train", 1], // a swap
      ["tran", "train", 1], // a letter left out
      ["trains", "train", 1], // one too many
      ["trein", "train", 1], // one replaced
      ["tarin", "train", 1],
      ["hesian", "hessian", 1],
      ["exprot", "export", 1],
      ["rtian", "train", 2],
      ["demo", "bench", 4],
      ["ca", "abc", 3], // the optimal-string-alignment distance: a swapped pair is not edited again
    ];
    for (const [a, b, d] of cases) {
      expect(editDistance(a, b), `${a} -> ${b}`).toBe(d);
      expect(editDistance(b, a), `${b} -> ${a}`).toBe(d);
    }
  });
});

describe("nearestWord", () => {
  const words = ["train", "demo", "verify", "bench", "hessian", "export", "hopfield", "help"];

  it("finds the word a slip of one edit (two in a word of six letters or more) misspells", () => {
    const cases: [string, string][] = [
      ["trian", "train"], ["tran", "train"], ["TRAIN", "train"], ["dmeo", "demo"], ["verfy", "verify"], ["vreify", "verify"], ["bnch", "bench"],
      ["hesian", "hessian"], ["hessain", "hessian"], ["exprt", "export"], ["expotr", "export"], ["hopfeld", "hopfield"], ["hlep", "help"],
    ];
    for (const [typed, word] of cases) expect(nearestWord(typed, words), typed).toBe(word);
  });

  it("suggests nothing when no word is close", () => {
    for (const typed of ["run", "xyz", "rtian", "fit", "predict", "benchmark", "e", ""]) expect(nearestWord(typed, words), typed).toBeUndefined();
  });

  it("prefers the closer word, then the one listed first", () => {
    expect(nearestWord("hell", ["hello", "help"])).toBe("hello");
    expect(nearestWord("helo", ["help", "hello"])).toBe("help");
    expect(nearestWord("held", ["help", "hello", "held"])).toBe("held");
  });
});
