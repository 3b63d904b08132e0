import type { DType } from "../dtype.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { FeedError } from "../errors.js";
import { describeValue } from "../validate.js";
import type { HostTensor } from "./tensor.js";

/**
 * A tensor that lives on a backend (device memory, a wasm heap, an ORT tensor). Parameters and
 * optimizer state stay resident between runs this way; only what is read crosses to the host.
 *
 * The rule every backend keeps: `tensor.backend === backend.name` for every tensor a backend
 * makes (a run output or an upload), and a run refuses a device tensor whose `backend` is not
 * its own name (`checkFeeds` does this), since one backend's memory means nothing to another.
 * See docs/guides/write-a-backend.md, "The rules".
 */
export interface DeviceTensor {
  /** The `name` of the backend that made this tensor; only that backend may be fed it. */
  readonly backend: string;
  readonly shape: Shape;
  readonly dtype: DType;
  /** True once this tensor, or the backend that holds it, was disposed. */
  readonly disposed: boolean;
  /** Copies the values to the host (rejects after the backend's dispose()). */
  read(): Promise<HostTensor>;
  /** Frees the tensor; harmless when called twice or after the backend's dispose(). */
  dispose(): void;
}

/** One value fed to a run: host data, or a tensor already resident on the running backend. */
export type Feed = HostTensor | DeviceTensor;
/** A run's feeds, by the program's input and parameter names. */
export type Feeds = Readonly<Record<string, Feed>>;

/** How to compile. */
export interface CompileOptions {
  /**
   * Fill every output and intermediate buffer with NaN before each run, so an element a kernel
   * forgets to write shows up as NaN instead of a stale or zero value. A testing aid: the
   * conformance suite compiles with it on.
   */
  readonly poison?: boolean;
}

/** A program compiled for one backend, for its fixed shape signature. */
export interface Executable {
  readonly program: Program;
  /** Runs the program; outputs stay on the backend until read. Validates every feed first. */
  run(feeds: Feeds): Promise<Record<string, DeviceTensor>>;
}

/**
 * What a compute backend provides. It only has to run programs: energies, steps, gradients and
 * training loops are all programs, so a new backend needs no energy code.
 *
 * Rules (held by the conformance suite): every DeviceTensor it makes has
 * `tensor.backend === this.name`, and `run` refuses device tensors of any other name; `run`
 * checks its feeds with `checkFeeds` before anything runs; `dispose()` is idempotent and final
 * (docs/backend-lifetimes.md); float32 programs compute in float32. See
 * docs/guides/write-a-backend.md.
 */
export interface Backend {
  /** The backend's name, e.g. "cpu": it names the backend in errors and is every tensor's `backend`. */
  readonly name: string;
  /** The dtypes this backend computes in; compiling a program of another dtype is an error. */
  readonly dtypes: readonly DType[];
  /** Compiles once per program (and so per shape signature) and options; repeated calls hit a cache. */
  compile(program: Program, options?: CompileOptions): Promise<Executable>;
  /** Copies a host tensor to the backend, to stay resident across runs. */
  upload(tensor: HostTensor): Promise<DeviceTensor>;
  /** Releases everything the backend holds (devices, workers, caches). */
  dispose(): Promise<void>;
  /**
   * Optional: copies several of this backend's tensors to the host in one transfer, in order (on
   * a GPU, one copy into one staging buffer and one map instead of a round trip per tensor).
   * Callers go through `readTensors`, which checks the tensors first and reads them one by one on
   * a backend without it. Each result is what the tensor's own `read()` gives.
   */
  readMany?(tensors: readonly DeviceTensor[]): Promise<HostTensor[]>;
}

/** Whether a feed is a device tensor (it has `read`) rather than host data. */
export function isDeviceTensor(feed: Feed): feed is DeviceTensor {
  return typeof (feed as DeviceTensor).read === "function";
}

/**
 * Reads several tensors of `backend` to the host, in order: in one transfer where the backend
 * has `readMany`, else one by one. Every tensor must be a device tensor of this backend (by
 * name, the rule every run keeps); a disposed one rejects as its own read() would.
 */
export async function readTensors(backend: Backend, tensors: readonly DeviceTensor[]): Promise<HostTensor[]> {
  if (!Array.isArray(tensors)) throw new FeedError("read", `tensors must be an array of device tensors, got ${describeValue(tensors)}`);
  tensors.forEach((t: unknown, i) => {
    if (typeof t !== "object" || t === null || !isDeviceTensor(t as Feed)) throw new FeedError("read", `tensor ${i} is not a device tensor, got ${describeValue(t)}`);
    if ((t as DeviceTensor).backend !== backend.name) throw new FeedError("read", `tensor ${i} lives on backend '${(t as DeviceTensor).backend}', not '${backend.name}'`);
  });
  if (tensors.length === 0) return [];
  if (backend.readMany) return backend.readMany(tensors);
  const hosts: HostTensor[] = [];
  for (const t of tensors) hosts.push(await t.read());
  return hosts;
}

/** Runs and reads every output back to the host, disposing the device copies. */
export async function runToHost(executable: Executable, feeds: Feeds): Promise<Record<string, HostTensor>> {
  const outs = await executable.run(feeds);
  const result: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(outs)) {
    result[name] = await t.read();
    t.dispose();
  }
  return result;
}
