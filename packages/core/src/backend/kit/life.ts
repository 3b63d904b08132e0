import type { DType } from "../../dtype.js";
import { DTypeError } from "../../errors.js";
import type { Program } from "../../ir/program.js";
import type { Feeds } from "../backend.js";
import { checkFeeds } from "../feeds.js";
import { checkUpload } from "../host-data.js";
import { type DisposedUse, afterDispose } from "../lifetime.js";
import type { HostTensor } from "../tensor.js";

/**
 * Whether a backend was disposed, shared with every executable and tensor it made so they can
 * tell: one flag, set once by the backend's dispose() and never cleared (dispose() is final).
 */
export class BackendLife {
  private isDisposed = false;
  /** The first disposeWith()'s release, which every later call returns. */
  private releasing: Promise<void> | undefined;

  /** @param backend the backend's name, which starts every after-dispose error. */
  constructor(readonly backend: string) {}

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Marks the backend disposed; a second call changes nothing. */
  dispose(): void {
    this.isDisposed = true;
  }

  /** Throws the one after-dispose error for `use` ("cpu: upload after dispose(): ...") once disposed. */
  check(use: DisposedUse): void {
    if (this.isDisposed) throw afterDispose(this.backend, use);
  }

  /**
   * Waits for `ready` (the device or runtime made ready, started only if the backend is live),
   * checking liveness again once it settles: dispose() may come while it is pending.
   */
  async awaitLive<T>(use: DisposedUse, ready: () => Promise<T>): Promise<T> {
    this.check(use);
    const value = await ready();
    this.check(use);
    return value;
  }

  /**
   * A backend's dispose(): marks it disposed at once (so every use from then on fails naming the
   * dispose), then runs `release` (freeing what it holds) on the first call only; every call
   * returns that first call's promise, so a second caller also waits until all is freed.
   */
  disposeWith(release: () => Promise<void>): Promise<void> {
    this.isDisposed = true;
    this.releasing ??= release();
    return this.releasing;
  }

  /**
   * What every run checks before touching anything, in this order: the backend is live, then
   * the feeds fit the program (core's checkFeeds, naming this backend).
   */
  checkRun(program: Program, feeds: Feeds): void {
    this.check("run");
    checkFeeds(program, feeds, this.backend);
  }

  /**
   * What every upload checks before touching anything, in this order: the backend is live, the
   * host tensor is well formed (core's checkUpload), and its dtype is one the backend holds
   * ("tfjs-cpu holds float32 only, got float64").
   */
  checkUpload(tensor: HostTensor, dtypes: readonly DType[]): void {
    this.check("upload");
    checkUpload(tensor);
    if (!dtypes.includes(tensor.dtype)) throw new DTypeError("upload", `${this.backend} holds ${dtypes.join(" and ")} only, got ${tensor.dtype}`);
  }
}
