import type { Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import { externalPackages, packageNameOf } from "../scripts/externals.js";

/** A metafile whose outputs import `paths` (each marked external or not). */
function metafile(...outputs: { path: string; external: boolean }[][]): Metafile {
  return {
    inputs: {},
    outputs: Object.fromEntries(outputs.map((imports, i) => [`dist/bin/chunk-${i}.js`, { bytes: 0, inputs: {}, imports: imports.map((im) => ({ ...im, kind: "import-statement" as const })), exports: [] }])),
  };
}

describe("the bundle's external packages", () => {
  it("names the package of a bare import, scoped or not, and none for node: builtins", () => {
    expect(packageNameOf("@unfold/backend-onnx/node")).toBe("@unfold/backend-onnx");
    expect(packageNameOf("@tensorflow/tfjs")).toBe("@tensorflow/tfjs");
    expect(packageNameOf("onnxruntime-web")).toBe("onnxruntime-web");
    expect(packageNameOf("zod/v4")).toBe("zod");
    expect(packageNameOf("node:fs")).toBeUndefined();
  });

  it("lists each external package once, sorted, leaving out bundled modules and Node's builtins", () => {
    const meta = metafile(
      [
        { path: "zod", external: true },
        { path: "@unfold/core", external: true },
        { path: "node:path", external: true },
        { path: "fs", external: true },
        { path: "dist/bin/chunk-1.js", external: false },
      ],
      [
        { path: "@unfold/backend-onnx/node", external: true },
        { path: "@unfold/core", external: true },
      ],
    );
    expect(externalPackages(meta)).toEqual(["@unfold/backend-onnx", "@unfold/core", "zod"]);
  });
});
