import type * as TF from "@tensorflow/tfjs";

interface Held {
  readonly holdings: Holdings;
  readonly tensors: readonly TF.Tensor[];
}

/**
 * tf.Tensors whose holder (a TfjsTensor, an executable's constants) was collected undisposed are
 * disposed then: TensorFlow.js frees a tensor's storage only on dispose (the wasm engine's lives
 * in its WebAssembly heap, which never shrinks), so a tensor or backend dropped without
 * dispose() would otherwise keep it until the process exits.
 */
const uncollected = new FinalizationRegistry<Held>(({ holdings, tensors }) => holdings.free(tensors));

/**
 * What one TfjsBackend holds in TensorFlow.js's process-wide engine. Its dispose() (the
 * backend's) frees every tensor it handed out that is still undisposed; a holder collected
 * undisposed frees its own (see `uncollected`). The holdings never refer to a holder, so
 * holding tensors here does not keep their holders alive. Whether the backend was disposed is
 * its BackendLife's to say.
 */
export class Holdings {
  private readonly tensors = new Set<TF.Tensor>();

  /** Holds `tensors` for `holder` until `release(holder)`, the holder's collection, or the backend's dispose. */
  hold(holder: object, tensors: readonly TF.Tensor[]): void {
    for (const t of tensors) this.tensors.add(t);
    uncollected.register(holder, { holdings: this, tensors }, holder);
  }

  /** Disposes what `holder` held (given again here: the registry cannot hand it back). */
  release(holder: object, tensors: readonly TF.Tensor[]): void {
    uncollected.unregister(holder);
    this.free(tensors);
  }

  free(tensors: readonly TF.Tensor[]): void {
    for (const t of tensors) {
      this.tensors.delete(t);
      t.dispose();
    }
  }

  /** The backend's dispose: every tensor still held is disposed. */
  dispose(): void {
    this.free([...this.tensors]);
  }
}
