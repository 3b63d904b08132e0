import { describe, expect, it } from "vitest";
import { badInputGroups } from "./bad-input/index.js";
import { tryBadInput } from "@unfold/testing/bad-input";

// Each case makes one mistake a user could make with the public API and asserts that the call
// fails at once with an UnfoldError naming the function, the option or operand and the value.
describe.each(Object.entries(badInputGroups))("bad input: %s", (_group, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const outcome = await tryBadInput(c);
    expect(outcome, outcome.kind === "unclear" ? outcome.detail : outcome.kind).toEqual({ kind: "clear" });
  });
});
