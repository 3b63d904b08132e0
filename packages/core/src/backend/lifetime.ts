import { UnfoldError } from "../errors.js";

/** What can be asked of a backend, or of what it made, after its dispose(). */
export type DisposedUse = "compile" | "upload" | "run" | "read" | "engineInfo";

const WHY: Record<DisposedUse, string> = {
  compile: "create a new backend",
  upload: "create a new backend",
  run: "the backend that compiled this executable was disposed",
  read: "the backend that holds this tensor was disposed",
  engineInfo: "its engine was released",
};

/**
 * The one error for any use of a disposed backend, or of an executable or tensor it made: every
 * backend follows the same rule (dispose() is idempotent and final) and says it the same way,
 * "cpu: upload after dispose(): create a new backend". See docs/backend-lifetimes.md.
 */
export function afterDispose(backend: string, use: DisposedUse): UnfoldError {
  return new UnfoldError(backend, `${use} after dispose(): ${WHY[use]}`);
}
