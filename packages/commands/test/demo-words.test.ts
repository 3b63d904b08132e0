import { captureIO } from "@unfold/testing";
import { unfoldCommand } from "@unfold/verify";
import { describe, expect, it } from "vitest";
import { DEMO_WORDS } from "../src/subcommands.js";

// The router keeps its own list of the demo's words so that it never loads the demo to route a
// line; these checks keep that list the demo's, both ways.
describe("the demo's words, as the router lists them", () => {
  it("are the words the demo names as its subcommands", async () => {
    const refused = await unfoldCommand(["no-such-word"], captureIO()).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    const named = /its subcommands ([\w-]+(?:, [\w-]+)*)/.exec(refused ?? "")?.[1];
    expect(named, `the demo's refusal: ${refused}`).toBeDefined();
    expect(named!.split(", ")).toEqual(DEMO_WORDS);
  });

  it("each run a subcommand of the demo: its usage for --help", async () => {
    for (const word of DEMO_WORDS) {
      const io = captureIO();
      await unfoldCommand([word, "--help"], io);
      expect(io.lines.join("\n"), word).toMatch(new RegExp(`^usage: unfold ${word} `));
    }
  });
});
