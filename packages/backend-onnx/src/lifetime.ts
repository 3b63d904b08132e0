import type * as Ort from "onnxruntime-web";

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
