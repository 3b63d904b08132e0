import { describe, expect, it } from "vitest";
import { WORDS, overview, route } from "../src/route.js";
import { DEMO_WORDS, SUBCOMMANDS } from "../src/subcommands.js";

/** The subcommand a line runs and the arguments its bin sees, or the refusal's message. */
function picked(argv: string[]): [string, readonly string[]] | "help" | { refused: string } {
  const r = route(argv);
  return r.kind === "help" ? "help" : r.kind === "unknown" ? { refused: r.message } : [r.subcommand.name, r.args];
}

/** The message a line is refused with (the test fails when it is not refused). */
function refusal(argv: string[]): string {
  const r = route(argv);
  if (r.kind !== "unknown") throw new Error(`${argv.join(" ")}: not refused but ${r.kind === "run" ? `run by ${r.subcommand.name}` : r.kind}`);
  return r.message;
}

const ALL_WORDS = "unfold's subcommands are train, demo, verify, bench, hessian, sweep, export, hopfield and help; a line that starts with a flag runs the demo (see unfold help)";

describe("unfold's routing", () => {
  it("runs the named subcommand with the rest of the line", () => {
    expect(picked(["train", "--config", "quick", "--epochs", "1"])).toEqual(["train", ["--config", "quick", "--epochs", "1"]]);
    expect(picked(["train", "predict", "--onnx", "m.onnx"])).toEqual(["train", ["predict", "--onnx", "m.onnx"]]);
    expect(picked(["bench", "soak", "--quick"])).toEqual(["bench", ["soak", "--quick"]]);
    expect(picked(["hessian", "verify", "--json"])).toEqual(["hessian", ["verify", "--json"]]);
    expect(picked(["verify", "--json"])).toEqual(["verify", ["--json"]]);
    expect(picked(["demo", "--layers", "3"])).toEqual(["demo", ["--layers", "3"]]);
  });

  it("gives the demo, unchanged, an empty line, one that starts with a flag, and one that starts with a word of the demo's", () => {
    expect(picked([])).toEqual(["demo", []]);
    expect(picked(["--layers", "3", "--digits", "2"])).toEqual(["demo", ["--layers", "3", "--digits", "2"]]);
    expect(picked(["--layers", "3", "extra"])).toEqual(["demo", ["--layers", "3", "extra"]]);
    expect(picked(["export", "--out", "m.onnx"])).toEqual(["demo", ["export", "--out", "m.onnx"]]);
    expect(picked(["hopfield", "--memories", "4"])).toEqual(["demo", ["hopfield", "--memories", "4"]]);
    expect(picked(["--verbose", "export"])).toEqual(["demo", ["--verbose", "export"]]);
    for (const word of DEMO_WORDS) expect(picked([word])).toEqual(["demo", [word]]);
  });

  it("takes every subcommand's word, the demo's words and help first, and lists each of them when it refuses one", () => {
    expect(WORDS).toEqual([...SUBCOMMANDS.map((s) => s.name), ...DEMO_WORDS, "help"]);
    for (const word of WORDS) expect(picked([word])).not.toHaveProperty("refused");
    expect(refusal(["xyz"])).toContain(ALL_WORDS);
  });

  it("skips --verbose (which may stand anywhere) to find the subcommand, and keeps it for the bin", () => {
    expect(picked(["--verbose", "train", "--epochs", "1"])).toEqual(["train", ["--verbose", "--epochs", "1"]]);
    expect(picked(["--verbose"])).toEqual(["demo", ["--verbose"]]);
  });

  it("prints the overview for help, --help and -h first, and leaves a subcommand's --help to it", () => {
    expect(picked(["help"])).toBe("help");
    expect(picked(["--help"])).toBe("help");
    expect(picked(["-h"])).toBe("help");
    expect(picked(["--verbose", "--help"])).toBe("help");
    expect(picked(["train", "--help"])).toEqual(["train", ["--help"]]);
    expect(picked(["export", "--help"])).toEqual(["demo", ["export", "--help"]]);
  });

  it("names the demo's words in the overview, as the words that go to the demo", () => {
    expect(overview()).toContain("A line that starts with a flag, or with export or hopfield, goes to the demo");
  });

  it("lists every subcommand in the overview", () => {
    const text = overview();
    for (const s of SUBCOMMANDS) expect(text).toMatch(new RegExp(`^  ${s.name} +${s.summary.replace(/[.*+?^${}()|[\]\\`]/g, "\\$&")}$`, "m"));
  });
});

/** A first word `unfold` does not take, and the word the refusal suggests (undefined: none is close). */
const UNKNOWN_WORDS: [argv: string[], nearest: string | undefined][] = [
  [["trian"], "train"],
  [["trian", "--epochs", "1"], "train"],
  [["--verbose", "trian"], "train"],
  [["tran", "--config", "quick"], "train"],
  [["Train"], "train"],
  [["dmeo"], "demo"],
  [["verfy", "--json"], "verify"],
  [["bnch", "soak"], "bench"],
  [["hesian", "verify"], "hessian"],
  [["exprt", "--out", "m.onnx"], "export"],
  [["hopfeld"], "hopfield"],
  [["hlep"], "help"],
  [["run"], undefined],
  [["predict", "--onnx", "m.onnx"], undefined],
  [["mnist-97"], undefined],
  [["3"], undefined],
];

describe("unfold's refusal of a first word it does not take", () => {
  for (const [argv, nearest] of UNKNOWN_WORDS) {
    it(`unfold ${argv.join(" ")}`, () => {
      const word = argv.find((a) => a !== "--verbose")!;
      const guess = nearest === undefined ? "" : ` (did you mean '${nearest}'?)`;
      expect(refusal(argv)).toBe(`unknown subcommand '${word}'${guess}: ${ALL_WORDS}`);
    });
  }
});
