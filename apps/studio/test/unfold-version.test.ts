// The page's Unfold version: the build's `define` carries the version the trainer's ONNX export
// writes (@unfold/backend-onnx/node's unfoldVersion(), both from @unfold/core's package.json), and
// a page built without that define says so instead of exporting a model without a version.
import { unfoldVersion } from "@unfold/backend-onnx/node";
import { describe, expect, it } from "vitest";
import { pageUnfoldVersion } from "../src/train/unfold-version.js";
import { UNFOLD_VERSION_GLOBAL, unfoldVersionDefine, versionDefine } from "../vite/unfold-version.js";

describe("the page's Unfold version", () => {
  it("is defined at build time as the version the trainer's export writes, as a string literal", () => {
    expect(unfoldVersionDefine()).toEqual({ [UNFOLD_VERSION_GLOBAL]: JSON.stringify(unfoldVersion()) });
    expect(UNFOLD_VERSION_GLOBAL).toBe("__UNFOLD_VERSION__");
  });

  it("refuses a package version that is not a version string, saying which file and what it holds", () => {
    expect(() => versionDefine(undefined)).toThrow(/^@unfold\/core\/package\.json: its "version" is undefined, not a version string$/);
    expect(() => versionDefine("")).toThrow(/^@unfold\/core\/package\.json: its "version" is "", not a version string$/);
    expect(() => versionDefine(1)).toThrow(/^@unfold\/core\/package\.json: its "version" is 1, not a version string$/);
    expect(versionDefine("1.2.3-rc.1")).toEqual({ __UNFOLD_VERSION__: '"1.2.3-rc.1"' });
  });

  it("refuses, naming the app's Vite config, where the page was built without the define", () => {
    // This test runs without the app's vite.config.ts, as such a build would.
    expect(() => pageUnfoldVersion()).toThrow(/^this page was built without apps\/studio\/vite\.config\.ts \(its `define` of __UNFOLD_VERSION__\)/);
  });
});
