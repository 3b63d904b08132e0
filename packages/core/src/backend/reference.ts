import { type DType, DTYPES, allocate } from "../dtype.js";
import { DTypeError } from "../errors.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { type Backend, type CompileOptions, type DeviceTensor, type Executable, type Feeds, isDeviceTensor } from "./backend.js";
import { interpret } from "./interpret.js";
import { CompilePipeline, unsupportedNode } from "./kit/compile.js";
import { HeldDeviceTensor } from "./kit/device-tensor.js";
import { BackendLife } from "./kit/life.js";
import { type HostTensor, toFloat64 } from "./tensor.js";

const NAME = "reference";

/** A resident tensor of the reference backend: float64 values in host memory. */
class ReferenceTensor extends HeldDeviceTensor<Float64Array> {
  constructor(values: Float64Array, shape: Shape, dtype: DType, life: BackendLife) {
    super(life, values, shape, dtype);
  }

  get float64(): Float64Array {
    return this.held("read");
  }

  protected async readHeld(values: Float64Array): Promise<HostTensor> {
    const data = allocate(this.dtype, values.length);
    data.set(values);
    return { shape: this.shape, dtype: this.dtype, data };
  }

  /** Nothing to free: the values are garbage once unreferenced. */
  protected free(): void {}
}

/**
 * The reference backend: runs programs with the float64 interpreter. Simple enough to be
 * obviously right; every other backend is measured against it. Written on the backend kit.
 */
export class ReferenceBackend implements Backend {
  readonly name = NAME;
  readonly dtypes = DTYPES;
  private readonly life = new BackendLife(NAME);
  private readonly plans = new CompilePipeline<Executable>(this.life);

  /**
   * Poisoning is moot here: every rule returns a freshly and fully computed array, so the
   * options are not passed on and one plan serves a program compiled with or without them.
   */
  compile(program: Program, _options?: CompileOptions): Promise<Executable> {
    const life = this.life;
    return this.plans.compile(program, {}, {
      checkDTypes: (p) => {
        const node = unsupportedNode(p, this.dtypes);
        if (node) throw new DTypeError("compile", `reference backend does not support ${node.dtype}`);
      },
      // The interpreter is the definition: it runs the program as written, unoptimized.
      optimize: false,
      build: async () => ({
        program,
        run: async (feeds: Feeds) => {
          life.checkRun(program, feeds);
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
      }),
    });
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    this.life.checkUpload(tensor, DTYPES);
    return new ReferenceTensor(Float64Array.from(tensor.data), tensor.shape, tensor.dtype, this.life);
  }

  /** Final and idempotent: afterwards every use of the backend, its executables and tensors throws. */
  async dispose(): Promise<void> {
    this.life.dispose();
    this.plans.cache.clear();
  }
}
