import { type DType, DTYPES, allocate } from "../dtype.js";
import { DTypeError, FeedError } from "../errors.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { type Backend, type CompileOptions, type DeviceTensor, type Executable, type Feeds, isDeviceTensor } from "./backend.js";
import { CompileCache } from "./compile-cache.js";
import { checkFeeds } from "./feeds.js";
import { checkUpload } from "./host-data.js";
import { interpret } from "./interpret.js";
import { afterDispose } from "./lifetime.js";
import { type HostTensor, toFloat64 } from "./tensor.js";

const NAME = "reference";

/** Whether a backend was disposed, shared with what it made so they can tell. */
interface Life {
  disposed: boolean;
}

/** A resident tensor of the reference backend: float64 values in host memory. */
class ReferenceTensor implements DeviceTensor {
  readonly backend = NAME;
  private values: Float64Array | undefined;

  constructor(
    values: Float64Array,
    readonly shape: Shape,
    readonly dtype: DType,
    private readonly life: Life,
  ) {
    this.values = values;
  }

  get disposed(): boolean {
    return this.values === undefined || this.life.disposed;
  }

  get float64(): Float64Array {
    if (!this.values) throw new FeedError("read", "tensor was disposed");
    return this.values;
  }

  async read(): Promise<HostTensor> {
    if (this.life.disposed) throw afterDispose(NAME, "read");
    const data = allocate(this.dtype, this.float64.length);
    data.set(this.float64);
    return { shape: this.shape, dtype: this.dtype, data };
  }

  dispose(): void {
    this.values = undefined;
  }
}

/**
 * The reference backend: runs programs with the float64 interpreter. Simple enough to be
 * obviously right; every other backend is measured against it.
 */
export class ReferenceBackend implements Backend {
  readonly name = NAME;
  readonly dtypes = DTYPES;
  private readonly cache = new CompileCache<Executable>();
  private readonly life: Life = { disposed: false };

  /** Poisoning is moot here: every rule returns a freshly and fully computed array. */
  compile(program: Program, _options?: CompileOptions): Promise<Executable> {
    const life = this.life;
    if (life.disposed) return Promise.reject(afterDispose(NAME, "compile"));
    return this.cache.get(program, async () => {
      for (const node of program.nodes) {
        if (!this.dtypes.includes(node.dtype)) throw new DTypeError("compile", `reference backend does not support ${node.dtype}`);
      }
      return {
        program,
        run: async (feeds: Feeds) => {
          if (life.disposed) throw afterDispose(NAME, "run");
          checkFeeds(program, feeds, NAME);
          const values = new Map<string, Float64Array>();
          for (const [name, feed] of Object.entries(feeds)) {
            values.set(name, isDeviceTensor(feed) ? (feed as ReferenceTensor).float64 : toFloat64(feed));
          }
          const outs = interpret(program, values);
          const result: Record<string, DeviceTensor> = {};
          for (const o of program.outputs) {
            const node = program.nodes[o.id]!;
            // A float32 output holds what reading it would give: carried into the next run (a
            // resident parameter), it then feeds the same values a checkpoint restores.
            const values = outs.get(o.name)!;
            result[o.name] = new ReferenceTensor(node.dtype === "float32" ? Float64Array.from(Float32Array.from(values)) : values.slice(), node.shape, node.dtype, life);
          }
          return result;
        },
      };
    });
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    if (this.life.disposed) throw afterDispose(NAME, "upload");
    checkUpload(tensor);
    return new ReferenceTensor(Float64Array.from(tensor.data), tensor.shape, tensor.dtype, this.life);
  }

  /** Final and idempotent: afterwards every use of the backend, its executables and tensors throws. */
  async dispose(): Promise<void> {
    this.life.disposed = true;
    this.cache.clear();
  }
}
