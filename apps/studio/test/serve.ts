import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { ISOLATION_HEADERS } from "../vite/isolation.js";

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".svg": "image/svg+xml" };

/**
 * A static server on localhost (a secure context: navigator.gpu needs one) for a built folder.
 * Cross-origin isolated (vite/isolation.ts) unless `isolated` is false, as a static host that
 * sends no such headers would serve it.
 */
export function serveFolder(dir: string, { isolated = true }: { isolated?: boolean } = {}): Promise<Server> {
  const server = createServer((req, res) => {
    if (isolated) for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(dir, path === "/" ? "index.html" : path);
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error("not a file");
        res.setHeader("content-type", TYPES[extname(file)] ?? "application/octet-stream");
        createReadStream(file).pipe(res);
      },
      () => {
        res.statusCode = 404;
        res.end();
      },
    );
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
