import { defineConfig } from "vite";
import { mnistAsset } from "./vite/mnist-asset.js";

// Workspace packages resolve to their TypeScript sources (the "@unfold/source" export
// condition), so the app needs no prior build of the packages it runs. `base: "./"` makes the
// built folder servable from any path of any static host.
export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  logLevel: "warn",
  plugins: [mnistAsset()],
  resolve: { conditions: ["@unfold/source", "module", "browser", "development|production"] },
  build: { target: "es2022", emptyOutDir: true, reportCompressedSize: false },
});
