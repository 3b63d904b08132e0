import { describe, expect, it, vi } from "vitest";
import {
  CompileCache,
  type DeviceTensor,
  type Executable,
  FeedError,
  type HostTensor,
  type Program,
  Random,
  ReferenceBackend,
  UnfoldError,
  fingerprint,
  gradients,
  hostTensor,
  input,
  param,
  relativeError,
  runToHost,
  scalarTensor,
  trace,
} from "../src/index.js";
import { collidingDoubles } from "./helpers.js";

const affine = (scale: number, shape: number[] = [2, 3]): Program =>
  trace({ x: input(shape), w: param([shape.at(-1)!]) }, ({ x, w }) => ({ y: x.mul(w).add(scale).named("y"), s: x.sum() }));

describe("compile cache", () => {
  it("compiles structurally identical programs once: the same Executable object", async () => {
    const backend = new ReferenceBackend();
    const p1 = affine(2);
    const p2 = affine(2);
    expect(p1).not.toBe(p2);
    const [e1, e2] = await Promise.all([backend.compile(p1), backend.compile(p2)]);
    expect(e1).toBe(e2);
    expect(await backend.compile(p1)).toBe(e1);
  });

  it("ignores labels but not constants, shapes or output names", async () => {
    const backend = new ReferenceBackend();
    const base = await backend.compile(affine(2));
    const relabelled = trace({ x: input([2, 3]), w: param([3]) }, ({ x, w }) => ({ y: x.named("X").mul(w).add(2).named("other"), s: x.sum() }));
    expect(await backend.compile(relabelled)).toBe(base);
    expect(await backend.compile(affine(3))).not.toBe(base);
    expect(await backend.compile(affine(2, [4, 3]))).not.toBe(base);
    const renamed = trace({ x: input([2, 3]), w: param([3]) }, ({ x, w }) => ({ z: x.mul(w).add(2), s: x.sum() }));
    expect(await backend.compile(renamed)).not.toBe(base);
    expect(await new ReferenceBackend().compile(affine(2))).not.toBe(base);
  });

  it("never shares a plan between programs whose constants differ, even when their hashes collide", async () => {
    const [v1, v2] = collidingDoubles();
    const withConstant = (v: number): Program => trace({ x: input([]) }, ({ x }, g) => x.mul(g.constant(v, [], "float64")));
    const p1 = withConstant(v1);
    const p2 = withConstant(v2);
    // The two programs do collide: the cache cannot rely on the key alone.
    expect(fingerprint(p1)).toBe(fingerprint(p2));
    const backend = new ReferenceBackend();
    const e1 = await backend.compile(p1);
    const e2 = await backend.compile(p2);
    expect(e2).not.toBe(e1);
    expect((await runToHost(e1, { x: scalarTensor(1) }))["out"]!.data[0]).toBe(v1);
    expect((await runToHost(e2, { x: scalarTensor(1) }))["out"]!.data[0]).toBe(v2);
    expect(await backend.compile(withConstant(v2))).toBe(e2);
  });

  it("CompileCache builds once per program and does not keep a failed build", async () => {
    const cache = new CompileCache<string>();
    const build = vi.fn(async () => "plan");
    expect(await cache.get(affine(1), build)).toBe("plan");
    expect(await cache.get(affine(1), build)).toBe("plan");
    expect(build).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(1);

    const failing = vi.fn(async (): Promise<string> => {
      throw new Error("no device");
    });
    await expect(cache.get(affine(5), failing)).rejects.toThrow("no device");
    await Promise.resolve();
    expect(await cache.get(affine(5), build)).toBe("plan");
    expect(build).toHaveBeenCalledTimes(2);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it("dispose is final: compiling again rejects, naming the backend and the operation", async () => {
    const backend = new ReferenceBackend();
    await backend.compile(affine(2));
    await backend.dispose();
    await expect(backend.compile(affine(2))).rejects.toThrow("reference: compile after dispose()");
  });
});

describe("dtypes of outputs", () => {
  it("float32 programs read back as Float32Array, rounded to float32", async () => {
    const program = trace({ x: input([3], "float32") }, ({ x }) => ({ y: x.div(3), z: x.cast("float64").div(3) }));
    const exe = await new ReferenceBackend().compile(program);
    const x = hostTensor([1, 2, 4], [3], "float32");
    const out = await runToHost(exe, { x });
    expect(out["y"]!.dtype).toBe("float32");
    expect(out["y"]!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(out["y"]!.data)).toEqual([1, 2, 4].map((v) => Math.fround(v / 3)));
    expect(out["z"]!.dtype).toBe("float64");
    expect(out["z"]!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(out["z"]!.data)).toEqual([1, 2, 4].map((v) => v / 3));
  });

  it("float64 programs read back as Float64Array", async () => {
    const exe = await new ReferenceBackend().compile(affine(0.1));
    const out = await runToHost(exe, { x: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]), w: hostTensor([1, 1, 1], [3]) });
    expect(out["y"]!.data).toBeInstanceOf(Float64Array);
    expect(out["y"]!.shape).toEqual([2, 3]);
    expect(out["y"]!.data[0]).toBe(1.1);
    expect(out["s"]!.shape).toEqual([]);
    expect(out["s"]!.data[0]).toBe(21);
  });
});

describe("resident tensors", () => {
  const n = 8;
  const k = 3;
  const m = 2;
  const lr = 0.05;
  // One gradient-descent step on the mean squared error of X W - Y.
  const update = trace({ W: param([k, m]), X: input([n, k]), Y: input([n, m]) }, ({ W, X, Y }) => {
    const r = X.matmul(W).sub(Y);
    const loss = r.mul(r).sum().mul(0.5 / n);
    const [g] = gradients(loss, [W]);
    return { next: W.sub(g!.mul(lr)), loss };
  });

  function plainLoop(W: Float64Array, X: Float64Array, Y: Float64Array, steps: number): Float64Array {
    const w = Float64Array.from(W);
    for (let s = 0; s < steps; s++) {
      const r = new Float64Array(n * m);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc += X[i * k + p]! * w[p * m + j]!;
          r[i * m + j] = acc - Y[i * m + j]!;
        }
      }
      const g = new Float64Array(k * m);
      for (let p = 0; p < k; p++) {
        for (let j = 0; j < m; j++) {
          let acc = 0;
          for (let i = 0; i < n; i++) acc += X[i * k + p]! * r[i * m + j]!;
          g[p * m + j] = acc / n;
        }
      }
      for (let q = 0; q < w.length; q++) w[q] = w[q]! - lr * g[q]!;
    }
    return w;
  }

  it("run a gradient-descent update 50 times feeding the output back, reading only at the end", async () => {
    const rng = new Random(7);
    const W0 = rng.normals(k * m);
    const X = rng.normals(n * k);
    const Y = rng.normals(n * m);
    const backend = new ReferenceBackend();
    const exe = await backend.compile(update);
    const x = await backend.upload(hostTensor(X, [n, k]));
    const y = await backend.upload(hostTensor(Y, [n, m]));
    let w = await backend.upload(hostTensor(W0, [k, m]));
    const read = vi.spyOn(Object.getPrototypeOf(w) as DeviceTensor, "read");
    const old: DeviceTensor[] = [];
    for (let s = 0; s < 50; s++) {
      const outs = await exe.run({ W: w, X: x, Y: y });
      outs["loss"]!.dispose();
      w.dispose();
      old.push(w);
      w = outs["next"]!;
    }
    expect(read).not.toHaveBeenCalled();
    const final = await w.read();
    expect(read).toHaveBeenCalledTimes(1);
    read.mockRestore();
    const want = plainLoop(W0, X, Y, 50);
    expect(relativeError(final.data, want)).toBeLessThan(1e-12);
    // It did move: 50 steps are far from the start.
    expect(relativeError(final.data, W0)).toBeGreaterThan(1e-2);
    expect(old.every((t) => t.disposed)).toBe(true);
    expect(x.disposed || y.disposed).toBe(false);
  });

  it("uploads copy host data and reads return copies", async () => {
    const backend = new ReferenceBackend();
    const host = hostTensor([1, 2, 3], [3]);
    const dev = await backend.upload(host);
    host.data[0] = 100;
    const first = await dev.read();
    expect(Array.from(first.data)).toEqual([1, 2, 3]);
    first.data[1] = 200;
    expect(Array.from((await dev.read()).data)).toEqual([1, 2, 3]);
    expect(dev.shape).toEqual([3]);
    expect(dev.dtype).toBe("float64");
    expect(dev.backend).toBe("reference");
  });

  it("outputs do not alias the feeds they were computed from", async () => {
    const program = trace({ x: input([3]) }, ({ x }) => ({ same: x }));
    const exe = await new ReferenceBackend().compile(program);
    const host = hostTensor([1, 2, 3], [3]);
    const outs = await exe.run({ x: host });
    host.data[0] = 100;
    expect(Array.from((await outs["same"]!.read()).data)).toEqual([1, 2, 3]);
  });

  it("disposed tensors are rejected as feeds and cannot be read", async () => {
    const backend = new ReferenceBackend();
    const exe = await backend.compile(update);
    const x = await backend.upload(hostTensor(new Float64Array(n * k), [n, k]));
    const y = await backend.upload(hostTensor(new Float64Array(n * m), [n, m]));
    const w = await backend.upload(hostTensor(new Float64Array(k * m), [k, m]));
    w.dispose();
    expect(w.disposed).toBe(true);
    const run = exe.run({ W: w, X: x, Y: y });
    await expect(run).rejects.toBeInstanceOf(FeedError);
    await expect(exe.run({ W: w, X: x, Y: y })).rejects.toThrow("run: feed 'W' was disposed");
    await expect(w.read()).rejects.toBeInstanceOf(UnfoldError);
    await expect(w.read()).rejects.toThrow("disposed");
    expect(() => w.dispose()).not.toThrow();
  });

  it("runToHost reads every output and disposes the device copies", async () => {
    const backend = new ReferenceBackend();
    const exe = await backend.compile(update);
    let produced: Record<string, DeviceTensor> = {};
    const spy: Executable = {
      program: exe.program,
      run: async (feeds) => (produced = await exe.run(feeds)),
    };
    const host = await runToHost(spy, {
      W: hostTensor([1, 2, 3, 4, 5, 6], [k, m]),
      X: hostTensor(new Float64Array(n * k).fill(1), [n, k]),
      Y: hostTensor(new Float64Array(n * m), [n, m]),
    });
    expect(Object.keys(produced).sort()).toEqual(["loss", "next"]);
    for (const t of Object.values(produced)) expect(t.disposed).toBe(true);
    expect(Object.keys(host).sort()).toEqual(["loss", "next"]);
    const loss: HostTensor = host["loss"]!;
    // X = 1, Y = 0: every residual of row i, column j is the column sum of W.
    expect(loss.data[0]).toBeCloseTo((0.5 / n) * n * (9 ** 2 + 12 ** 2), 12);
  });
});

describe("CompileCache variants", () => {
  it("builds once per program and variant, and lists every plan", async () => {
    const { CompileCache: Cache, trace: tr, input: inp } = await import("../src/index.js");
    const cache = new Cache<number>();
    const program = tr({ x: inp([2]) }, ({ x }) => x.exp());
    let builds = 0;
    const build = async (): Promise<number> => ++builds;
    expect(await cache.get(program, build)).toBe(1);
    expect(await cache.get(program, build)).toBe(1);
    expect(await cache.get(program, build, "poison")).toBe(2);
    expect(await cache.get(program, build, "poison")).toBe(2);
    expect((await Promise.all(cache.all())).sort()).toEqual([1, 2]);
  });
});
