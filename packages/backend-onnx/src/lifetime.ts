import { UnfoldError } from "@unfold/core";
import type * as Ort from "onnxruntime-web";
import { ONNX_BACKEND } from "./tensor.js";

/** Whether an ONNX backend was disposed, shared with the executables and tensors it made. */
export interface Life {
  disposed: boolean;
}

/** What can be asked of a backend, or of what it made, after its dispose(). */
export type DisposedUse = "compile" | "upload" | "run" | "read";

/** Every use of a disposed ONNX backend, or of an executable or tensor it made, fails alike. */
export function afterDispose(op: DisposedUse): UnfoldError {
  const why: Record<DisposedUse, string> = {
    compile: "create a new backend",
    upload: "create a new backend",
    run: "the backend that compiled this executable was disposed",
    read: "the backend that holds this tensor was disposed",
  };
  return new UnfoldError(ONNX_BACKEND, `${op} after dispose(): ${why[op]}`);
}

/** The part of onnxruntime-web's InferenceSession that owns the native session (its `handler`). */
interface SessionHandler {
  dispose(): Promise<void>;
}

/**
 * Sessions nobody released (an executable or backend dropped without dispose()) are released
 * once collected: onnxruntime keeps each session's graph and buffers in its WebAssembly heap,
 * which never shrinks, until release(). The handler is what release() calls; it does not
 * refer back to the session, so the session can be collected while the registry holds it.
 */
const unreleased = new FinalizationRegistry<SessionHandler>((handler) => void handler.dispose().catch(() => undefined));

/** Releases `session` when it is collected unreleased; undo with `forgetSession` on release(). */
export function releaseWhenCollected(session: Ort.InferenceSession): void {
  const handler = (session as unknown as { handler?: Partial<SessionHandler> }).handler;
  // Another onnxruntime-web build may hold its session elsewhere: then only release() frees it.
  if (typeof handler?.dispose === "function") unreleased.register(session, handler as SessionHandler, session);
}

export function forgetSession(session: Ort.InferenceSession): void {
  unreleased.unregister(session);
}
