import { UnfoldError } from "@unfold/core";
import { CPU_BACKEND } from "./tensor.js";

/** What can be asked of a backend, or of what it made, after its dispose(). */
export type DisposedUse = "compile" | "upload" | "run" | "read" | "engineInfo";

/**
 * Every use of a disposed CPU backend, or of an executable or tensor it made, fails alike: the
 * backend's memory may already hold other data and its threads are gone, so nothing restarts.
 */
export function afterDispose(op: DisposedUse): UnfoldError {
  const why: Record<DisposedUse, string> = {
    compile: "create a new backend",
    upload: "create a new backend",
    run: "the backend that compiled this executable was disposed",
    read: "the backend that holds this tensor was disposed",
    engineInfo: "its engine was released",
  };
  return new UnfoldError(CPU_BACKEND, `${op} after dispose(): ${why[op]}`);
}
