// The page's side of the editor's type check: requests go to a Web Worker (type-check-worker.ts)
// started on the first check, so the TypeScript compiler never blocks typing or the live descent.
import type { EnergyDiagnostic } from "./diagnostic.js";
import type { TypeCheckReply, TypeCheckRequest, TypeCheckTiming } from "./type-check-protocol.js";

/** A finished check: the source's type errors, and where and how long it ran. */
export interface TypeCheckAnswer {
  readonly diagnostics: readonly EnergyDiagnostic[];
  readonly timing: TypeCheckTiming;
}

/**
 * Type-checks sources away from the caller's thread. `check` resolves with the answer, or with
 * `undefined` when a later check replaced it before it was sent (its answer could only be
 * stale); it rejects with the reason when checking is not possible (the worker failed to start,
 * stopped, or could not load the compiler).
 */
export interface TypeCheckService {
  check(source: string): Promise<TypeCheckAnswer | undefined>;
  /** Stops the worker; checks still waiting resolve with `undefined`, later ones are refused. */
  dispose(): void;
}

/** What a started checker reports to the client. */
export interface TypeCheckEvents {
  reply(reply: TypeCheckReply): void;
  /** The checker is gone (it failed to start or stopped); `reason` says why, in words. */
  fail(reason: string): void;
}

/** A started checker: where requests go, and how to stop it. */
export interface TypeCheckPort {
  send(request: TypeCheckRequest): void;
  stop(): void;
}

/** Starts a checker that reports to `events`; may throw (a page without workers). */
export type StartTypeCheckPort = (events: TypeCheckEvents) => TypeCheckPort;

interface Waiting {
  readonly source: string;
  readonly resolve: (answer: TypeCheckAnswer | undefined) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A type-check service over a port started on the first check (not before: the compiler is
 * megabytes). One request is in flight at a time and at most one waits behind it: a newer check
 * replaces the waiting one, so a burst of edits costs the checker two checks, not one per edit.
 * Once the checker has failed, every check is refused at once with the same reason (no retry per
 * keystroke, no wait that never ends).
 */
export function createTypeCheckClient(start: StartTypeCheckPort): TypeCheckService {
  let port: TypeCheckPort | undefined;
  let failure: Error | undefined;
  let answered = false;
  let nextId = 1;
  let inFlight: (Waiting & { readonly id: number }) | undefined;
  let waiting: Waiting | undefined;

  const send = (next: Waiting): void => {
    const id = nextId++;
    inFlight = { ...next, id };
    port!.send({ id, source: next.source });
  };
  const settleAll = (settle: (w: Waiting) => void): void => {
    const pending = [inFlight, waiting];
    inFlight = undefined;
    waiting = undefined;
    for (const w of pending) if (w) settle(w);
  };
  const events: TypeCheckEvents = {
    reply(reply) {
      // A reply for no request of ours now waiting (the service was disposed) has no one to go to.
      if (!inFlight || reply.id !== inFlight.id) return;
      answered = true;
      const done = inFlight;
      inFlight = undefined;
      if (reply.ok) done.resolve({ diagnostics: reply.diagnostics, timing: reply.timing });
      else done.reject(new Error(reply.error));
      if (waiting) {
        const next = waiting;
        waiting = undefined;
        send(next);
      }
    },
    fail(reason) {
      if (failure) return;
      failure = new Error(answered ? `the type-check worker stopped: ${reason}` : `the type-check worker failed before its first answer: ${reason}`);
      port?.stop();
      const error = failure;
      settleAll((w) => w.reject(error));
    },
  };

  return {
    check(source) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        if (!port) {
          try {
            port = start(events);
          } catch (error) {
            failure = new Error(`the type-check worker could not be started: ${error instanceof Error ? error.message : String(error)}`);
            reject(failure);
            return;
          }
        }
        // start() may have reported a failure synchronously.
        if (failure) return reject(failure);
        const request: Waiting = { source, resolve, reject };
        if (inFlight) {
          waiting?.resolve(undefined);
          waiting = request;
        } else send(request);
      });
    },
    dispose() {
      if (!failure) failure = new Error("type checking was stopped (the editor was closed)");
      port?.stop();
      settleAll((w) => w.resolve(undefined));
    },
  };
}

/** Why a worker's "error" event fired, in words: the uncaught error's message and place, when the event has them. */
export function describeWorkerError(event: Event): string {
  const { message, filename, lineno } = event as Partial<ErrorEvent>;
  if (typeof message === "string" && message !== "") return filename ? `${message} (${filename}:${lineno ?? 0})` : message;
  return "its script could not be loaded or run";
}

/** A port over a Web Worker made by `makeWorker` that runs type-check-worker.ts's protocol. */
export function workerPort(makeWorker: () => Worker): StartTypeCheckPort {
  return (events) => {
    const worker = makeWorker();
    worker.addEventListener("message", (event: MessageEvent<TypeCheckReply>) => events.reply(event.data));
    worker.addEventListener("error", (event) => {
      // Handled here: reported to the editor, not also as an uncaught error of the page.
      event.preventDefault();
      events.fail(describeWorkerError(event));
    });
    worker.addEventListener("messageerror", () => events.fail("a reply from it could not be read (messageerror)"));
    return { send: (request) => worker.postMessage(request), stop: () => worker.terminate() };
  };
}

/** The studio's type checker: TypeScript in a module Web Worker (bundled by Vite), started on the first check. */
export function workerTypeChecker(): TypeCheckService {
  return createTypeCheckClient(workerPort(() => new Worker(new URL("./type-check-worker.ts", import.meta.url), { type: "module" })));
}
