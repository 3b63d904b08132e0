import { defineConfig } from "vite";
import { ISOLATION_HEADERS } from "./vite/isolation.js";
import { mnistAsset } from "./vite/mnist-asset.js";
import { unfoldVersionDefine } from "./vite/unfold-version.js";

// Workspace packages resolve to their TypeScript sources (the "@unfold/source" export
// condition), so the app needs no prior build of the packages it runs. `base: "./"` makes the
// built folder servable from any path of any static host. The isolation headers let the CPU
// backend run its worker threads in the page (vite/isolation.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  logLevel: "warn",
  plugins: [mnistAsset()],
  define: unfoldVersionDefine(),
  resolve: { conditions: ["@unfold/source", "module", "browser", "development|production"] },
  build: { target: "es2022", emptyOutDir: true, reportCompressedSize: false },
  server: { headers: { ...ISOLATION_HEADERS } },
  preview: { headers: { ...ISOLATION_HEADERS } },
});
