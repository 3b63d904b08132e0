// The two response headers that make a page cross-origin isolated: only such a page may share
// memory (SharedArrayBuffer, a shared WebAssembly.Memory) with Web Workers, which the CPU
// backend's worker threads need. Sent by Vite's dev server and preview (vite.config.ts) and by
// the tests' static server; a static host must send them too for the CPU backend to thread.
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};
