import { type DisposedUse, afterDispose } from "../lifetime.js";

/**
 * Whether a backend was disposed, shared with every executable and tensor it made so they can
 * tell: one flag, set once by the backend's dispose() and never cleared (dispose() is final).
 */
export class BackendLife {
  private isDisposed = false;

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
}
