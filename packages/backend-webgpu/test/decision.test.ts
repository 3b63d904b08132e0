// The adapter decision itself needs no GPU: CI fails without an adapter, a developer machine skips.
import { describe, expect, it } from "vitest";
import { decide } from "./gpu.js";

describe("what the tests do about a missing adapter", () => {
  it("runs when there is an adapter, CI or not", () => {
    expect(decide(true, { CI: "true" }).decision).toBe("run");
    expect(decide(true, {}).decision).toBe("run");
  });

  it("fails in CI", () => {
    const { decision, line } = decide(false, { CI: "true" });
    expect(decision).toBe("fail");
    expect(line).toContain("install-webgpu-driver.sh");
  });

  it("skips elsewhere, with one line saying how to install the driver", () => {
    for (const env of [{}, { CI: "" }, { CI: "false" }]) {
      const { decision, line } = decide(false, env);
      expect(decision).toBe("skip");
      expect(line).toContain("sudo bash scripts/install-webgpu-driver.sh");
      expect(line?.split("\n")).toHaveLength(1);
    }
  });
});
