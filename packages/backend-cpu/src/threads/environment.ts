/**
 * Where the pool's workers come from: Node's worker_threads, or a page's Web Workers where the
 * page is cross-origin isolated (a page that is not may not share memory with a worker at all:
 * browsers hide SharedArrayBuffer there). Browser-safe: Node's modules load only on Node.
 */
import type { StartWorkers } from "./pool-workers.js";

/** The headers that make a page cross-origin isolated, as a server must send them. */
export const ISOLATION_HEADERS = "'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp'";

function onNode(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof process?.versions?.node === "string";
}

/** Why worker threads cannot share a backend's memory here, or undefined where they can. */
export function threadsUnavailable(): string | undefined {
  if (onNode()) return undefined;
  if (typeof Worker === "undefined") return "this JavaScript environment has neither Node's worker_threads nor Web Workers";
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) {
    return `the page is not cross-origin isolated, so it cannot share memory with Web Workers; serve it with the headers ${ISOLATION_HEADERS}`;
  }
  if (typeof SharedArrayBuffer === "undefined") return "this browser has no SharedArrayBuffer, even though the page is cross-origin isolated";
  return undefined;
}

/** Threads "as many as available" means here: every core on Node, the browser's count where threads can run, else 1. */
export async function availableThreads(): Promise<number> {
  if (onNode()) {
    const os = await import("node:os");
    return os.availableParallelism();
  }
  if (threadsUnavailable() !== undefined) return 1;
  return Math.max(1, Math.floor(navigator.hardwareConcurrency || 1));
}

/** How this environment starts the pool's workers; throws where it cannot (threadsUnavailable). */
export async function workerHost(): Promise<StartWorkers> {
  if (onNode()) return (await import("./node-workers.js")).startNodeWorkers;
  const reason = threadsUnavailable();
  if (reason !== undefined) throw new Error(`cpu threads: ${reason}`);
  return (await import("./web-workers.js")).startWebWorkers;
}
