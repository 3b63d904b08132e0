// The descent settings a share link carries (layers, step size, damping, tied): read back as
// they were written, old links (a layer count only) still read, and every bad setting refused
// naming it; and the digit picker's checks.
import { describe, expect, it } from "vitest";
import { type Share, encodeShare } from "../src/editor/share.js";
import { SHARED_SETTINGS, sharedDescentSettings, sharedEnergyState } from "../src/editor/shared-state.js";
import { digitIndex } from "../src/mnist-picker.js";

const SOURCE = "export default 1;";

async function stateOf(settings: Share["settings"]): Promise<Awaited<ReturnType<typeof sharedEnergyState>>> {
  return sharedEnergyState(`#${await encodeShare({ source: SOURCE, settings })}`);
}

describe("a link's descent settings", () => {
  it("come back as they were shared, and nothing is run", async () => {
    const settings = { layers: 6, stepSize: 0.125, damping: 1.5, tied: false };
    const state = await stateOf(settings);
    expect(state.status).toBe("pending");
    if (state.status !== "pending") return;
    expect(state.descent).toEqual(settings);
    expect(state.settings).toEqual(settings);
    expect(SHARED_SETTINGS).toEqual(["layers", "stepSize", "damping", "tied"]);
  });

  it("read a link made before damping and tied existed (a layer count only, or none)", async () => {
    const old: Share["settings"][] = [{ layers: 5 }, { layers: 5, stepSize: 0.25 }, {}];
    for (const settings of old) {
      const state = await stateOf(settings);
      expect(state.status).toBe("pending");
      if (state.status === "pending") expect(state.descent).toEqual(settings);
    }
  });

  const bad: [Share["settings"], string][] = [
    [{ layers: 0 }, "share link: setting layers must be a positive integer, got 0"],
    [{ layers: "5" }, 'share link: setting layers must be a positive integer, got "5"'],
    [{ stepSize: -0.5 }, "share link: setting step size must be a positive number, got -0.5"],
    [{ damping: 2.5 }, "share link: setting damping must be a number in (0, 2) (1 is the full attention step), got 2.5"],
    [{ damping: null }, "share link: setting damping must be a number in (0, 2) (1 is the full attention step), got null"],
    [{ tied: "false" }, 'share link: setting tied must be true or false, got "false"'],
    [{ layers: 3, speed: 2 }, "share link: setting 'speed' is not one this page reads (it reads 'layers', 'stepSize', 'damping', 'tied')"],
  ];
  it.each(bad)("refuses %j, naming the setting (the link shows as invalid, its code not run)", async (settings, message) => {
    expect(() => sharedDescentSettings(settings)).toThrow(message);
    expect(await stateOf(settings)).toEqual({ status: "invalid", error: message });
  });
});

describe("the digit picker", () => {
  it("takes a whole number among the test digits", () => {
    expect(digitIndex("0", 500)).toBe(0);
    expect(digitIndex(" 499 ", 500)).toBe(499);
  });

  const bad: [string, string][] = [
    ["500", "MNIST test digit: '500' is not one of the 500 test digits (a whole number from 0 to 499)"],
    ["-1", "MNIST test digit: '-1' is not one of the 500 test digits (a whole number from 0 to 499)"],
    ["2.5", "MNIST test digit: '2.5' is not one of the 500 test digits (a whole number from 0 to 499)"],
    ["", "MNIST test digit: '' is not one of the 500 test digits (a whole number from 0 to 499)"],
    ["seven", "MNIST test digit: 'seven' is not one of the 500 test digits (a whole number from 0 to 499)"],
  ];
  it.each(bad)("refuses '%s', naming the input and the range", (text, message) => {
    expect(() => digitIndex(text, 500)).toThrow(message);
  });
});
