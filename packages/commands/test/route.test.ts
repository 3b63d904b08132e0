import { describe, expect, it } from "vitest";
import { overview, route } from "../src/route.js";
import { SUBCOMMANDS } from "../src/subcommands.js";

/** The subcommand a line runs and the arguments its bin sees. */
function picked(argv: string[]): [string, readonly string[]] | "help" {
  const r = route(argv);
  return r.kind === "help" ? "help" : [r.subcommand.name, r.args];
}

describe("unfold's routing", () => {
  it("runs the named subcommand with the rest of the line", () => {
    expect(picked(["train", "--config", "quick", "--epochs", "1"])).toEqual(["train", ["--config", "quick", "--epochs", "1"]]);
    expect(picked(["train", "predict", "--onnx", "m.onnx"])).toEqual(["train", ["predict", "--onnx", "m.onnx"]]);
    expect(picked(["bench", "soak", "--quick"])).toEqual(["bench", ["soak", "--quick"]]);
    expect(picked(["hessian", "verify", "--json"])).toEqual(["hessian", ["verify", "--json"]]);
    expect(picked(["verify", "--json"])).toEqual(["verify", ["--json"]]);
    expect(picked(["demo", "--layers", "3"])).toEqual(["demo", ["--layers", "3"]]);
  });

  it("gives the demo every line whose first word names no subcommand, unchanged, as `pnpm unfold` did", () => {
    expect(picked([])).toEqual(["demo", []]);
    expect(picked(["--layers", "3", "--digits", "2"])).toEqual(["demo", ["--layers", "3", "--digits", "2"]]);
    expect(picked(["export", "--out", "m.onnx"])).toEqual(["demo", ["export", "--out", "m.onnx"]]);
    // The demo refuses a word it does not know, naming it.
    expect(picked(["trian", "--epochs", "1"])).toEqual(["demo", ["trian", "--epochs", "1"]]);
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

  it("lists every subcommand in the overview", () => {
    const text = overview();
    for (const s of SUBCOMMANDS) expect(text).toMatch(new RegExp(`^  ${s.name} +${s.summary.replace(/[.*+?^${}()|[\]\\`]/g, "\\$&")}$`, "m"));
  });
});
