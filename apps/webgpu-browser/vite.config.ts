import { defineConfig } from "vite";

// Workspace packages resolve to their TypeScript sources (the "@unfold/source" export
// condition), so the page needs no prior build of the packages it runs.
export default defineConfig({
  root: import.meta.dirname,
  logLevel: "warn",
  resolve: { conditions: ["@unfold/source", "module", "browser", "development|production"] },
  build: { target: "es2022", emptyOutDir: true, reportCompressedSize: false },
});
