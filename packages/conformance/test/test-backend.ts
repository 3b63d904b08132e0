// A small interpreting backend for the suite's own tests (not a test file itself). It runs every
// node with core's float64 rules, optionally rounds each float32 node to float32 (with float32
// accumulation in sum and matmul, serial within blocks of LONG_SUM_TERMS and then across blocks,
// like a careful float32 kernel), and can inject one fault at a
// time, so the self-tests can show that each kind of broken backend fails the suite.
import {
  type Backend,
  type CompileOptions,
  type DType,
  type DeviceTensor,
  DTypeError,
  type Executable,
  type Feeds,
  FeedError,
  LONG_SUM_TERMS,
  type HostTensor,
  type Node,
  type Op,
  type Program,
  type Shape,
  UnfoldError,
  checkFeeds,
  checkUpload,
  isDeviceTensor,
  ruleFor,
  sizeOf,
  stridesOf,
} from "@unfold/core";
import type { CaseContext } from "../src/index.js";

export interface Faults {
  /** Every node of this op comes out perturbed: v (1 + 1e-3) + 1e-3. */
  readonly perturbOp?: Op;
  /** Element 0 of every output of this op is off by 1% of its magnitude (plus 1e-2). */
  readonly perturbOneElement?: Op;
  /** The last element of every node of this op is never written: NaN under poison, 0 otherwise. */
  readonly unwrittenElement?: Op;
  /** Float32 nodes are rounded to bfloat16 instead of float32. */
  readonly bfloat16?: boolean;
  /** An executable keeps returning its first run's results. */
  readonly stale?: boolean;
  /** Outputs live in one buffer per executable and output, overwritten by the next run. */
  readonly reuseOutputBuffers?: boolean;
  /** Outputs that are the same node share one DeviceTensor. */
  readonly shareOutputTensors?: boolean;
  /** An output that is a device-fed leaf is returned as that very DeviceTensor. */
  readonly returnFeedTensors?: boolean;
  /** Feeds and uploads are not validated (no checkFeeds, no checkUpload). */
  readonly skipFeedChecks?: boolean;
  /** Programs compile in any dtype, whatever `dtypes` says. */
  readonly ignoreDTypes?: boolean;
  /** upload keeps the host array instead of copying it. */
  readonly uploadWithoutCopy?: boolean;
  /** read returns the backend's own array. */
  readonly readWithoutCopy?: boolean;
  /** Each run zeroes the device feeds it read. */
  readonly scribbleOnFeeds?: boolean;
  /** Each run negates the first element of every host feed (using the caller's array as scratch). */
  readonly scribbleOnHostFeeds?: boolean;
  /** Compile ignores the cache and the program: it returns the first executable ever compiled for programs of the same size. */
  readonly cacheByNodeCount?: boolean;
  /** Compile and upload go on working after dispose() (the backend silently restarts). */
  readonly reviveAfterDispose?: boolean;
  /** Tensors stay readable, and do not report disposed, after their backend's dispose(). */
  readonly tensorsOutliveDispose?: boolean;
  /** Uses after dispose() reject with a message that names neither the backend nor the operation. */
  readonly vagueDisposeErrors?: boolean;
  /** One dispose() disposes every backend with this fault (state shared by the process). */
  readonly disposeReachesOthers?: boolean;
}

/** Whether a backend was disposed, shared with its tensors. */
interface Life {
  disposed: boolean;
}

/** The life every backend with the disposeReachesOthers fault shares. */
const sharedLife: Life = { disposed: false };

export interface TestBackendOptions {
  readonly name?: string;
  readonly dtypes?: readonly DType[];
  /** Round every float32 node to float32, as a float32 device computes (default true). */
  readonly emulateFloat32?: boolean;
  readonly faults?: Faults;
}

class TestTensor implements DeviceTensor {
  private values: Float64Array | undefined;
  constructor(
    readonly backend: string,
    values: Float64Array,
    readonly shape: Shape,
    readonly dtype: DType,
    private readonly shareOnRead: boolean,
    /** Its backend's, or undefined where tensors outlive the backend's dispose (a fault). */
    private readonly life: Life | undefined,
    private readonly afterDispose: (op: string) => Error,
  ) {
    this.values = values;
  }
  get disposed(): boolean {
    return this.values === undefined || this.life?.disposed === true;
  }
  get data(): Float64Array {
    if (!this.values) throw new FeedError("read", "tensor was disposed");
    return this.values;
  }
  async read(): Promise<HostTensor> {
    if (this.life?.disposed) throw this.afterDispose("read");
    if (this.shareOnRead && this.dtype === "float64") return { shape: this.shape, dtype: this.dtype, data: this.data };
    const data = this.dtype === "float32" ? Float32Array.from(this.data) : Float64Array.from(this.data);
    return { shape: this.shape, dtype: this.dtype, data };
  }
  dispose(): void {
    this.values = undefined;
  }
}

/** Row-major offsets into `inShape` for every element of `outShape`, under broadcasting. */
function broadcastOffsets(inShape: Shape, outShape: Shape): Int32Array {
  const strides = stridesOf(inShape);
  const rank = outShape.length;
  const out = new Int32Array(sizeOf(outShape));
  const outStrides = stridesOf(outShape);
  for (let flat = 0; flat < out.length; flat++) {
    let offset = 0;
    for (let axis = 0; axis < rank; axis++) {
      const i = Math.floor(flat / outStrides[axis]!) % outShape[axis]!;
      const inAxis = axis - (rank - inShape.length);
      if (inAxis >= 0 && inShape[inAxis] !== 1) offset += i * strides[inAxis]!;
    }
    out[flat] = offset;
  }
  return out;
}

const bf16 = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16.buffer);
function toBFloat16(v: number): number {
  bf16[0] = v;
  bf16Bits[0] = (bf16Bits[0]! + 0x7fff + ((bf16Bits[0]! >>> 16) & 1)) & 0xffff0000;
  return bf16[0]!;
}

export class TestBackend implements Backend {
  readonly name: string;
  readonly dtypes: readonly DType[];
  /** Every CompileOptions passed to compile, in order. */
  readonly compileOptions: (CompileOptions | undefined)[] = [];
  private readonly emulate: boolean;
  private readonly faults: Faults;
  private readonly bySize = new Map<number, Executable>();
  private readonly life: Life;

  constructor(private readonly options: TestBackendOptions = {}) {
    this.name = options.name ?? "test";
    this.dtypes = options.dtypes ?? ["float32", "float64"];
    this.emulate = options.emulateFloat32 ?? true;
    this.faults = options.faults ?? {};
    this.life = this.faults.disposeReachesOthers ? sharedLife : { disposed: false };
    // A fresh backend with that fault brings the shared state back to life, as a restarted runtime would.
    if (this.faults.disposeReachesOthers) sharedLife.disposed = false;
  }

  /** Another backend with the same options and faults: what a target's create() gives again. */
  sibling(): TestBackend {
    return new TestBackend(this.options);
  }

  /** The context the suite gives a case on this backend: fresh() makes siblings. */
  context(): CaseContext {
    return { fresh: async () => this.sibling() };
  }

  private afterDispose = (op: string): Error =>
    this.faults.vagueDisposeErrors ? new UnfoldError("backend", "gone") : new UnfoldError(this.name, `${op} after dispose()`);

  private tensor(values: Float64Array, shape: Shape, dtype: DType): TestTensor {
    const life = this.faults.tensorsOutliveDispose ? undefined : this.life;
    return new TestTensor(this.name, values, shape, dtype, this.faults.readWithoutCopy ?? false, life, this.afterDispose);
  }

  async compile(program: Program, options?: CompileOptions): Promise<Executable> {
    if (this.life.disposed && !this.faults.reviveAfterDispose) throw this.afterDispose("compile");
    this.compileOptions.push(options);
    if (!this.faults.ignoreDTypes) {
      for (const node of program.nodes) if (!this.dtypes.includes(node.dtype)) throw new DTypeError("compile", `${this.name} does not support ${node.dtype}`);
    }
    if (this.faults.cacheByNodeCount) {
      const hit = this.bySize.get(program.nodes.length);
      if (hit) return hit;
    }
    const poison = options?.poison ?? false;
    let first: Record<string, Float64Array> | undefined;
    const buffers = new Map<string, Float64Array>();
    const executable: Executable = {
      program,
      run: async (feeds: Feeds) => {
        if (this.life.disposed && !this.faults.reviveAfterDispose) throw this.afterDispose("run");
        if (!this.faults.skipFeedChecks) checkFeeds(program, feeds, this.name);
        const values = this.evaluate(program, feeds, poison);
        if (this.faults.scribbleOnFeeds) for (const f of Object.values(feeds)) if (isDeviceTensor(f)) (f as TestTensor).data.fill(0);
        if (this.faults.scribbleOnHostFeeds) for (const f of Object.values(feeds)) if (!isDeviceTensor(f) && f.data.length > 0) f.data[0] = -f.data[0]! - 1;
        if (this.faults.stale) first ??= values;
        const result = this.faults.stale ? first! : values;
        const out: Record<string, DeviceTensor> = {};
        const byNode = new Map<number, DeviceTensor>();
        for (const o of program.outputs) {
          const node = program.nodes[o.id]!;
          const leafFeed = node.op === "input" || node.op === "param" ? feeds[node.name] : undefined;
          if (this.faults.returnFeedTensors && leafFeed && isDeviceTensor(leafFeed)) {
            out[o.name] = leafFeed;
            continue;
          }
          const shared = this.faults.shareOutputTensors ? byNode.get(o.id) : undefined;
          if (shared) {
            out[o.name] = shared;
            continue;
          }
          let data: Float64Array = result[o.name]!.slice();
          if (this.faults.reuseOutputBuffers) {
            const buffer = buffers.get(o.name) ?? new Float64Array(data.length);
            buffer.set(data);
            buffers.set(o.name, buffer);
            data = buffer;
          }
          const t = this.tensor(data, node.shape, node.dtype);
          byNode.set(o.id, t);
          out[o.name] = t;
        }
        return out;
      },
    };
    if (this.faults.cacheByNodeCount) this.bySize.set(program.nodes.length, executable);
    return executable;
  }

  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    if (this.life.disposed && !this.faults.reviveAfterDispose) throw this.afterDispose("upload");
    if (!this.faults.skipFeedChecks) checkUpload(tensor);
    const data = this.faults.uploadWithoutCopy && tensor.data instanceof Float64Array ? tensor.data : Float64Array.from(tensor.data);
    return this.tensor(data, tensor.shape, tensor.dtype);
  }

  async dispose(): Promise<void> {
    this.life.disposed = true;
    this.bySize.clear();
  }

  private evaluate(program: Program, feeds: Feeds, poison: boolean): Record<string, Float64Array> {
    const values: Float64Array[] = new Array(program.nodes.length);
    for (const node of program.nodes) {
      let value: Float64Array;
      if (node.op === "input" || node.op === "param") {
        const feed = feeds[node.name]!;
        value = isDeviceTensor(feed) ? (feed as TestTensor).data : Float64Array.from(feed.data);
      } else if (node.op === "constant") value = node.value;
      else {
        const args = node.inputs.map((i) => ({ data: values[i]!, shape: program.nodes[i]!.shape }));
        value = this.kernel(node, args);
        this.inject(node, value, poison);
      }
      values[node.id] = value;
    }
    return Object.fromEntries(program.outputs.map((o) => [o.name, values[o.id]!]));
  }

  /** A node's value: core's float64 rule, or float32 arithmetic for float32 nodes when emulating. */
  private kernel(node: Node, args: { data: Float64Array; shape: Shape }[]): Float64Array {
    const single = this.emulate && node.dtype === "float32";
    const round = this.faults.bfloat16 ? toBFloat16 : Math.fround;
    if (single && node.op === "sum") {
      const out = new Float64Array(sizeOf(node.shape));
      const to = broadcastOffsets(node.shape, args[0]!.shape);
      const x = args[0]!.data;
      // Each output's terms in blocks of LONG_SUM_TERMS, each block added serially, then the
      // block totals serially: the longest serial float32 chain a passing backend runs.
      const block = new Float64Array(out.length);
      const count = new Int32Array(out.length);
      for (let i = 0; i < x.length; i++) {
        const o = to[i]!;
        block[o] = round(block[o]! + x[i]!);
        if (++count[o]! % LONG_SUM_TERMS === 0) {
          out[o] = round(out[o]! + block[o]!);
          block[o] = 0;
        }
      }
      for (let o = 0; o < out.length; o++) if (count[o]! % LONG_SUM_TERMS !== 0) out[o] = round(out[o]! + block[o]!);
      return out;
    }
    if (single && node.op === "matmul") return matmul32(node, args, round);
    const value = ruleFor(node.op).evaluate(node as never, args);
    return single ? value.map(round) : value;
  }

  private inject(node: Node, value: Float64Array, poison: boolean): void {
    const f = this.faults;
    if (f.perturbOp === node.op) for (let i = 0; i < value.length; i++) value[i] = value[i]! * (1 + 1e-3) + 1e-3;
    if (f.perturbOneElement === node.op && value.length > 0) value[0] = value[0]! * 1.01 + 1e-2;
    if (f.unwrittenElement === node.op && value.length > 0) value[value.length - 1] = poison ? Number.NaN : 0;
  }
}

function matmul32(node: Node, [a, b]: { data: Float64Array; shape: Shape }[], round: (v: number) => number): Float64Array {
  const [m, n] = node.shape.slice(-2) as [number, number];
  const k = a!.shape.at(-1)!;
  const batch = node.shape.slice(0, -2);
  const ia = broadcastOffsets(a!.shape.slice(0, -2), batch);
  const ib = broadcastOffsets(b!.shape.slice(0, -2), batch);
  const out = new Float64Array(sizeOf(node.shape));
  for (let t = 0; t < ia.length; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        let total = 0;
        for (let p = 0; p < k; p++) {
          acc = round(acc + round(a!.data[ia[t]! * m * k + i * k + p]! * b!.data[ib[t]! * k * n + p * n + j]!));
          if ((p + 1) % LONG_SUM_TERMS === 0 || p === k - 1) {
            total = round(total + acc);
            acc = 0;
          }
        }
        out[t * m * n + i * n + j] = total;
      }
    }
  }
  return out;
}
