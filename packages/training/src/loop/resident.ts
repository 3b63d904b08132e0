import type { Backend, DeviceTensor, HostTensor } from "@unfold/core";

/**
 * Tensors that stay on the backend between runs (parameters and optimizer moments), fed by name.
 * Replacing one disposes the old copy, so a long run holds one set, not one per step.
 */
export class ResidentTensors {
  private readonly tensors = new Map<string, DeviceTensor>();

  constructor(private readonly backend: Backend) {}

  /** Uploads host tensors, replacing any resident ones of the same names. */
  async upload(host: Readonly<Record<string, HostTensor>>): Promise<void> {
    for (const [name, tensor] of Object.entries(host)) this.replace(name, await this.backend.upload(tensor));
  }

  /** Makes `tensor` the resident one named `name`, disposing the one it replaces. */
  replace(name: string, tensor: DeviceTensor): void {
    const old = this.tensors.get(name);
    if (old && old !== tensor && !old.disposed) old.dispose();
    this.tensors.set(name, tensor);
  }

  /** Takes the outputs named in `carry` (output -> feed) as the new feeds; disposes every other output except `keep`. */
  carry(outputs: Readonly<Record<string, DeviceTensor>>, carry: Readonly<Record<string, string>>, keep: readonly string[] = []): void {
    for (const [output, tensor] of Object.entries(outputs)) {
      const feed = carry[output];
      if (feed !== undefined) this.replace(feed, tensor);
      else if (!keep.includes(output)) tensor.dispose();
    }
  }

  /** The resident tensors named `names` (all of them by default), as feeds. */
  feeds(names?: readonly string[]): Record<string, DeviceTensor> {
    const list = names ?? [...this.tensors.keys()];
    return Object.fromEntries(list.map((n) => [n, this.get(n)]));
  }

  /** The resident tensor named `name`; an error when there is none. */
  get(name: string): DeviceTensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`no resident tensor '${name}'`);
    return t;
  }

  /** The resident tensors named `names`, read back to the host. */
  async read(names: readonly string[]): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = {};
    for (const n of names) out[n] = await this.get(n).read();
    return out;
  }

  /** Disposes every resident tensor. */
  dispose(): void {
    for (const t of this.tensors.values()) if (!t.disposed) t.dispose();
    this.tensors.clear();
  }
}
