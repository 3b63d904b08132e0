import { UnfoldError } from "../../errors.js";
import type { Program } from "../../ir/program.js";
import type { Feeds } from "../backend.js";
import { checkFeeds } from "../feeds.js";
import type { BackendLife } from "./life.js";

/**
 * The one error for running an executable after its release(), e.g. "tfjs backend: executable
 * was released by its release(); it cannot run again".
 * @param kind the backend's kind as it names itself in errors ("tfjs", "onnx").
 */
export function executableReleased(kind: string): UnfoldError {
  return new UnfoldError(`${kind} backend`, "executable was released by its release(); it cannot run again");
}

/**
 * An executable's lifecycle: live until its own release() or its backend's dispose(), whichever
 * comes first, and never live again. A run asks `checkRun()` before touching anything; the
 * backend's dispose wins over the release when both happened (the dispose error names the cause
 * that also ends the backend's tensors).
 */
export class ExecutableLife {
  private isReleased = false;

  /**
   * @param life the backend's, shared by everything it made.
   * @param kind the backend's kind as it names itself in errors ("tfjs", "onnx").
   */
  constructor(
    private readonly life: BackendLife,
    private readonly kind: string,
  ) {}

  get released(): boolean {
    return this.isReleased;
  }

  /** Throws the after-dispose error, else the released error, else nothing. */
  checkRun(): void {
    this.life.check("run");
    if (this.isReleased) throw executableReleased(this.kind);
  }

  /** checkRun(), then the feeds against the program (core's checkFeeds, naming the backend). */
  checkRunAndFeeds(program: Program, feeds: Feeds): void {
    this.checkRun();
    checkFeeds(program, feeds, this.life.backend);
  }

  /** Marks the executable released; true on the first call only, so its resources are freed once. */
  release(): boolean {
    if (this.isReleased) return false;
    this.isReleased = true;
    return true;
  }
}
