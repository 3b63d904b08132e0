#!/usr/bin/env node
// `pnpm studio`: serves the app with Vite's dev server and prints its URL.
// `pnpm studio build`: writes the static app to apps/studio/dist (any static host serves it).
// `pnpm studio bench ...`: the studio's speed figures in headless Chromium (src/bench-cli).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const configFile = join(root, "vite.config.ts");
/** The bundled MNIST digits (vite/mnist-asset.ts): data, which the app's size budget leaves out. */
const DIGITS_FILE = "mnist-digits.bin";
/** The most the app may weigh, gzip, without its digits. */
const BUDGET_BYTES = 10 * 1024 * 1024;
const USAGE = "usage: pnpm studio [build | bench ...]  (no argument: serve the app; build: write apps/studio/dist; bench: measure it, see bench --help)";
/** The bench's TypeScript entry, run through tsx with the workspace's source condition (no build needed). */
const BENCH_MAIN = join(root, "src", "bench-cli", "main.ts");

/** Bytes and gzip bytes of every file under `dir` but the digits. */
function folderSize(dir) {
  let bytes = 0;
  let gzip = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      const inner = folderSize(path);
      bytes += inner.bytes;
      gzip += inner.gzip;
    } else if (name !== DIGITS_FILE) {
      const data = readFileSync(path);
      bytes += data.length;
      gzip += gzipSync(data).length;
    }
  }
  return { bytes, gzip };
}

async function serve() {
  const { createServer } = await import("vite");
  const server = await createServer({ configFile, root });
  await server.listen();
  const urls = server.resolvedUrls?.local ?? [];
  console.log(`Unfold Studio: ${urls[0] ?? "(no local URL)"}  (Ctrl-C stops it)`);
}

async function buildApp() {
  const { build } = await import("vite");
  const outDir = join(root, "dist");
  await build({ configFile, root, build: { outDir } });
  const { bytes, gzip } = folderSize(outDir);
  console.log(`Unfold Studio built in ${outDir}: ${(bytes / 1024).toFixed(0)} KiB, ${(gzip / 1024).toFixed(0)} KiB gzip (without ${DIGITS_FILE}, the bundled digits)`);
  if (gzip > BUDGET_BYTES) {
    console.error(`error: the app weighs ${(gzip / 1024 / 1024).toFixed(2)} MiB gzip, over its budget of ${BUDGET_BYTES / 1024 / 1024} MiB`);
    process.exit(1);
  }
}

/** Runs the bench in a child Node process (tsx loads its TypeScript) and exits with its status. */
function bench(args) {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const child = spawn(process.execPath, ["--conditions=@unfold/source", "--import", tsx, BENCH_MAIN, ...args], { stdio: "inherit" });
  // Ctrl-C reaches the child too (same process group); the parent waits for it to finish.
  process.on("SIGINT", () => undefined);
  child.on("exit", (code, signal) => {
    // A child ended by a signal exits as a shell reports it: 128 + the signal's number.
    process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  });
}

async function main(args) {
  if (args.length === 0) return serve();
  if (args.length === 1 && args[0] === "build") return buildApp();
  if (args[0] === "bench") return bench(args.slice(1));
  const unknown = args.filter((a, i) => !(i === 0 && a === "build"));
  throw new Error(`unknown argument${unknown.length > 1 ? "s" : ""} ${unknown.map((a) => `'${a}'`).join(", ")}; ${USAGE}`);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
