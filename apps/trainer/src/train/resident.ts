import type { Backend, DeviceTensor, HostTensor } from "@unfold/core";

/**
 * Tensors that stay on the backend between runs (parameters and optimizer moments), fed by name.
 * Replacing one disposes the old copy, so a long run holds one set, not one per step.
 */
export class ResidentTensors {
  private readonly tensors = new Map<string, DeviceTensor>();

  constructor(private readonly backend: Backend) {}

  async upload(host: Readonly<Record<string, HostTensor>>): Promise<void> {
    for (const [name, tensor] of Object.entries(host)) this.replace(name, await this.backend.upload(tensor));
  }

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

  feeds(names?: readonly string[]): Record<string, DeviceTensor> {
    const list = names ?? [...this.tensors.keys()];
    return Object.fromEntries(list.map((n) => [n, this.get(n)]));
  }

  get(name: string): DeviceTensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`no resident tensor '${name}'`);
    return t;
  }

  async read(names: readonly string[]): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = {};
    for (const n of names) out[n] = await this.get(n).read();
    return out;
  }

  dispose(): void {
    for (const t of this.tensors.values()) if (!t.disposed) t.dispose();
    this.tensors.clear();
  }
}
