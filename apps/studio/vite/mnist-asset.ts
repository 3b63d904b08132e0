// A Vite plugin that bundles the digits the training view needs as one static file: it reads the
// fixed MNIST split from @unfold/datasets (the `mnist` package, at build time, in Node) and emits
// DIGITS_FILE, pixels as bytes (src/train/digits-format.ts). The dev server serves the same bytes.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Datasets from "@unfold/datasets";
import type { Plugin } from "vite";
import { encodeDigits } from "../src/train/digits-format.js";
import { DIGITS_FILE, PAGE_TEST_DIGITS, PAGE_TRAIN_DIGITS } from "../src/train/digits-file.js";

type MnistSplit = typeof Datasets.mnistSplit;

/** The split's first PAGE_TRAIN_DIGITS training digits and last PAGE_TEST_DIGITS test digits, encoded. */
export function pageDigitsBytes(mnistSplit: MnistSplit): Uint8Array {
  return encodeDigits(mnistSplit({ train: PAGE_TRAIN_DIGITS, test: PAGE_TEST_DIGITS }));
}

/**
 * @unfold/datasets' mnistSplit, loaded from its TypeScript source. Vite loads its config (and so
 * this plugin) as plain Node modules, outside the "@unfold/source" export condition the page and
 * the tests resolve with, where the package's entry is its built dist/: loading the source keeps
 * `pnpm studio` and the studio's tests working in a fresh clone, before any build.
 */
async function loadMnistSplit(): Promise<MnistSplit> {
  const packageJson = createRequire(import.meta.url).resolve("@unfold/datasets/package.json");
  const { tsImport } = await import("tsx/esm/api");
  const datasets = (await tsImport(pathToFileURL(join(dirname(packageJson), "src", "index.ts")).href, import.meta.url)) as typeof Datasets;
  return datasets.mnistSplit;
}

export function mnistAsset(): Plugin {
  let bytes: Promise<Uint8Array> | undefined;
  const digits = (): Promise<Uint8Array> => (bytes ??= loadMnistSplit().then(pageDigitsBytes));
  return {
    name: "unfold-mnist-digits",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.split("?")[0] !== `/${DIGITS_FILE}`) return next();
        digits().then(
          (data) => {
            res.setHeader("content-type", "application/octet-stream");
            res.end(data);
          },
          (error: unknown) => next(error),
        );
      });
    },
    async generateBundle() {
      this.emitFile({ type: "asset", fileName: DIGITS_FILE, source: await digits() });
    },
  };
}
