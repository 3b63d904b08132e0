import type { DType } from "../dtype.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import type { HostTensor } from "./tensor.js";

/**
 * A tensor that lives on a backend (device memory, a wasm heap, an ORT tensor). Parameters and
 * optimizer state stay resident between runs this way; only what is read crosses to the host.
 */
export interface DeviceTensor {
  readonly backend: string;
  readonly shape: Shape;
  readonly dtype: DType;
  readonly disposed: boolean;
  read(): Promise<HostTensor>;
  dispose(): void;
}

export type Feed = HostTensor | DeviceTensor;
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
 */
export interface Backend {
  readonly name: string;
  /** The dtypes this backend computes in; compiling a program of another dtype is an error. */
  readonly dtypes: readonly DType[];
  /** Compiles once per program (and so per shape signature) and options; repeated calls hit a cache. */
  compile(program: Program, options?: CompileOptions): Promise<Executable>;
  /** Copies a host tensor to the backend, to stay resident across runs. */
  upload(tensor: HostTensor): Promise<DeviceTensor>;
  /** Releases everything the backend holds (devices, workers, caches). */
  dispose(): Promise<void>;
}

export function isDeviceTensor(feed: Feed): feed is DeviceTensor {
  return typeof (feed as DeviceTensor).read === "function";
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
