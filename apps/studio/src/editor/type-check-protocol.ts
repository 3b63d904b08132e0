// The messages between the page and the type-check worker, and the worker's request handler as
// a plain function (Node tests call it without a worker).
import type { EnergyDiagnostic } from "./diagnostic.js";
import type { TypeChecker } from "./type-check.js";

/** A check asked of the type-check worker: the editor's text, under an id its answer repeats. */
export interface TypeCheckRequest {
  readonly id: number;
  readonly source: string;
}

/** Where a check ran, and how long its parts took. */
export interface TypeCheckTiming {
  /** "worker" when it ran in a Web Worker; "page" when on the page's own thread. */
  readonly where: "worker" | "page";
  /** Milliseconds spent loading the compiler and its files for this check (0 once loaded). */
  readonly loadMs: number;
  /** Milliseconds the check itself took (building the program, collecting its diagnostics). */
  readonly checkMs: number;
  /** When the check itself began and ended, in milliseconds since the Unix epoch (comparable across threads). */
  readonly checkStartedAt: number;
  readonly checkEndedAt: number;
}

/** The worker's answer to a request: the source's type errors, or why it could not check. */
export type TypeCheckReply =
  | { readonly id: number; readonly ok: true; readonly diagnostics: readonly EnergyDiagnostic[]; readonly timing: TypeCheckTiming }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** The clock both threads share: epoch milliseconds at sub-millisecond resolution. */
const epochNow = (): number => performance.timeOrigin + performance.now();

/** Whether this code runs in a Web Worker (a DedicatedWorkerGlobalScope) rather than on a page. */
function inWorker(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";
}

/**
 * What the worker does with each request, apart from the messaging so it can run anywhere: the
 * checker is loaded on the first request only (a failed load is the answer to that request and
 * every later one, with its reason, rather than a retry per keystroke), and an exception thrown
 * by a check is that request's answer, not an uncaught error that would end the worker.
 */
export function createTypeCheckResponder(load: () => Promise<TypeChecker>): (request: TypeCheckRequest) => Promise<TypeCheckReply> {
  let loading: Promise<TypeChecker> | undefined;
  return async ({ id, source }) => {
    const loadStart = epochNow();
    const firstLoad = loading === undefined;
    loading ??= load();
    let check: TypeChecker;
    try {
      check = await loading;
    } catch (error) {
      return { id, ok: false, error: `loading the TypeScript compiler failed: ${messageOf(error)}` };
    }
    const checkStartedAt = epochNow();
    try {
      const diagnostics = check(source);
      const checkEndedAt = epochNow();
      const timing: TypeCheckTiming = { where: inWorker() ? "worker" : "page", loadMs: firstLoad ? checkStartedAt - loadStart : 0, checkMs: checkEndedAt - checkStartedAt, checkStartedAt, checkEndedAt };
      return { id, ok: true, diagnostics, timing };
    } catch (error) {
      return { id, ok: false, error: `the TypeScript compiler failed on this source: ${messageOf(error)}` };
    }
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
