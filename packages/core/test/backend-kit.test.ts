import { describe, expect, it } from "vitest";
import {
  BackendLife,
  CompilePipeline,
  type CompileSteps,
  DTypeError,
  ExecutableLife,
  FeedError,
  HeldDeviceTensor,
  type HostTensor,
  type Program,
  UnfoldError,
  input,
  trace,
  unsupportedNode,
} from "../src/index.js";
import { thrown } from "./helpers.js";

/** Resolves with what `promise` rejects with, or fails. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}


// x * 1 + 0: the optimizer folds the identities, so the optimized program has fewer nodes.
const program = (dtype: "float32" | "float64" = "float32", scale = 2): Program =>
  trace({ x: input([3], dtype) }, ({ x }) => ({ y: x.mul(1).add(0).mul(scale) }));

describe("BackendLife", () => {
  it("passes every use until dispose(), then throws the after-dispose error naming the backend", () => {
    const life = new BackendLife("demo");
    expect(life.disposed).toBe(false);
    life.check("upload");
    life.dispose();
    life.dispose();
    expect(life.disposed).toBe(true);
    const e = thrown(() => life.check("upload"));
    expect(e).toBeInstanceOf(UnfoldError);
    expect(e.message).toBe("demo: upload after dispose(): create a new backend");
    expect(thrown(() => life.check("run")).message).toBe("demo: run after dispose(): the backend that compiled this executable was disposed");
  });
});

describe("ExecutableLife", () => {
  it("runs until release(), then every run gets the one released error; release() reports only the first call", () => {
    const executable = new ExecutableLife(new BackendLife("demo-cpu"), "demo");
    executable.checkRun();
    expect(executable.released).toBe(false);
    expect(executable.release()).toBe(true);
    expect(executable.release()).toBe(false);
    expect(executable.released).toBe(true);
    expect(thrown(() => executable.checkRun()).message).toBe("demo backend: executable was released by its release(); it cannot run again");
  });

  it("says the backend was disposed when it was, released or not", () => {
    const life = new BackendLife("demo-cpu");
    const executable = new ExecutableLife(life, "demo");
    executable.release();
    life.dispose();
    expect(thrown(() => executable.checkRun()).message).toBe("demo-cpu: run after dispose(): the backend that compiled this executable was disposed");
  });
});

/** A tensor over a plain array that counts how often it was freed. */
class ArrayTensor extends HeldDeviceTensor<Float64Array> {
  freed = 0;
  deviceLost = false;

  constructor(life: BackendLife, values: Float64Array) {
    super(life, values, [values.length], "float64");
  }

  get values(): Float64Array {
    return this.held("demo backend");
  }

  protected override checkReadable(): void {
    if (this.deviceLost) throw new UnfoldError("read", "device lost");
  }

  protected async readHeld(values: Float64Array): Promise<HostTensor> {
    return { shape: this.shape, dtype: this.dtype, data: values.slice() };
  }

  protected free(): void {
    this.freed++;
  }
}

describe("HeldDeviceTensor", () => {
  it("reads its values and names its backend until disposed", async () => {
    const tensor = new ArrayTensor(new BackendLife("demo"), Float64Array.of(1, 2, 3));
    expect(tensor.backend).toBe("demo");
    expect(tensor.disposed).toBe(false);
    const read = await tensor.read();
    expect([...read.data]).toEqual([1, 2, 3]);
    expect(read.shape).toEqual([3]);
  });

  it("frees its handle once, however often it is disposed, and then refuses reads and feeds", async () => {
    const tensor = new ArrayTensor(new BackendLife("demo"), Float64Array.of(1));
    tensor.dispose();
    tensor.dispose();
    expect(tensor.freed).toBe(1);
    expect(tensor.disposed).toBe(true);
    const e = await rejection(tensor.read());
    expect(e).toBeInstanceOf(FeedError);
    expect(e.message).toBe("read: tensor was disposed");
    expect(thrown(() => tensor.values).message).toBe("demo backend: tensor was disposed");
  });

  it("reports disposed with its backend, and a read then gets the after-dispose error first", async () => {
    const life = new BackendLife("demo");
    const tensor = new ArrayTensor(life, Float64Array.of(1));
    life.dispose();
    expect(tensor.disposed).toBe(true);
    tensor.dispose();
    expect((await rejection(tensor.read())).message).toBe("demo: read after dispose(): the backend that holds this tensor was disposed");
  });

  it("asks the backend's own read check before the handle", async () => {
    const tensor = new ArrayTensor(new BackendLife("demo"), Float64Array.of(1));
    tensor.deviceLost = true;
    tensor.dispose();
    expect((await rejection(tensor.read())).message).toBe("read: device lost");
  });
});

describe("unsupportedNode", () => {
  it("finds the first node of a dtype the backend does not compute", () => {
    const p = trace({ x: input([2], "float32") }, ({ x }) => ({ y: x.cast("float64").add(1) }));
    expect(unsupportedNode(p, ["float32", "float64"])).toBeUndefined();
    const node = unsupportedNode(p, ["float32"]);
    expect(node?.dtype).toBe("float64");
    expect(node?.op).toBe("cast");
  });
});

interface Built {
  readonly lowered: Program;
  readonly poison: boolean;
  released: number;
}

/** Steps of a float32-only backend that records what it built. */
function steps(log: { builds: number; fail?: boolean }, optimize = true, prepare?: () => Promise<string>): CompileSteps<string, Built> {
  return {
    checkDTypes: (p) => {
      const node = unsupportedNode(p, ["float32"]);
      if (node) throw new DTypeError("compile", `demo: %${node.id} is ${node.dtype}`);
    },
    ...(prepare ? { prepare } : {}),
    optimize,
    build: async (lowered, _context, options) => {
      log.builds++;
      if (log.fail) throw new UnfoldError("demo", "cannot lower");
      return { lowered, poison: options.poison === true, released: 0 };
    },
  };
}

describe("CompilePipeline", () => {
  it("builds once per program and variant: the same executable for an equal program, another with poison", async () => {
    const pipeline = new CompilePipeline<Built>(new BackendLife("demo"));
    const log = { builds: 0 };
    const a = await pipeline.compile(program(), {}, steps(log));
    expect(await pipeline.compile(program(), {}, steps(log))).toBe(a);
    const poisoned = await pipeline.compile(program(), { poison: true }, steps(log));
    expect(poisoned).not.toBe(a);
    expect(poisoned.poison).toBe(true);
    expect(await pipeline.compile(program("float32", 3), {}, steps(log))).not.toBe(a);
    expect(log.builds).toBe(3);
    expect(pipeline.cache.size).toBe(3);
  });

  it("hands the build the optimized program, or the program as written when asked", async () => {
    const p = program();
    const optimized = await new CompilePipeline<Built>(new BackendLife("demo")).compile(p, {}, steps({ builds: 0 }));
    expect(optimized.lowered.nodes.length).toBeLessThan(p.nodes.length);
    const asWritten = await new CompilePipeline<Built>(new BackendLife("demo")).compile(p, {}, steps({ builds: 0 }, false));
    expect(asWritten.lowered).toBe(p);
  });

  it("refuses a dtype the backend does not compute with its own error, and caches nothing", async () => {
    const pipeline = new CompilePipeline<Built>(new BackendLife("demo"));
    const log = { builds: 0 };
    const e = await rejection(pipeline.compile(program("float64"), {}, steps(log)));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/^compile: demo: %0 is float64$/);
    expect(log.builds).toBe(0);
    expect(pipeline.cache.size).toBe(0);
  });

  it("does not cache a failed build, so a retry builds again", async () => {
    const pipeline = new CompilePipeline<Built>(new BackendLife("demo"));
    const log = { builds: 0, fail: true };
    expect((await rejection(pipeline.compile(program(), {}, steps(log)))).message).toBe("demo: cannot lower");
    log.fail = false;
    await pipeline.compile(program(), {}, steps(log));
    expect(log.builds).toBe(2);
    expect(pipeline.cache.size).toBe(1);
  });

  it("checks liveness before the dtypes, and again once the device is ready", async () => {
    const life = new BackendLife("demo");
    const pipeline = new CompilePipeline<Built>(life);
    const log = { builds: 0 };
    // Disposed while the device was being readied: the compile fails naming the dispose.
    const pending = pipeline.compile(program(), {}, steps(log, true, async () => "device"));
    life.dispose();
    expect((await rejection(pending)).message).toBe("demo: compile after dispose(): create a new backend");
    // A program of an unsupported dtype after dispose gets the dispose error, not the dtype one.
    expect((await rejection(pipeline.compile(program("float64"), {}, steps(log)))).message).toBe("demo: compile after dispose(): create a new backend");
    expect(log.builds).toBe(0);
  });

  it("caches at once when there is no device to ready: a second compile in the same tick shares the build", async () => {
    const pipeline = new CompilePipeline<Built>(new BackendLife("demo"));
    const log = { builds: 0 };
    const first = pipeline.compile(program(), {}, steps(log));
    expect(pipeline.cache.size).toBe(1);
    const [a, b] = await Promise.all([first, pipeline.compile(program(), {}, steps(log))]);
    expect(a).toBe(b);
    expect(log.builds).toBe(1);
  });

  it("releaseAll releases every built executable once, skips failed builds and forgets them all", async () => {
    const pipeline = new CompilePipeline<Built>(new BackendLife("demo"));
    const a = await pipeline.compile(program(), {}, steps({ builds: 0 }));
    const b = await pipeline.compile(program("float32", 5), {}, steps({ builds: 0 }));
    const failing = pipeline.compile(program("float32", 7), {}, steps({ builds: 0, fail: true }));
    const released: Built[] = [];
    await pipeline.releaseAll((e) => {
      e.released++;
      released.push(e);
    });
    await rejection(failing);
    expect(released).toEqual([a, b]);
    expect(a.released).toBe(1);
    expect(pipeline.cache.size).toBe(0);
  });
});
