import { type HostTensor, type Program, Random, gradients, hostTensor, input, interpret, ops, param, relativeError, runToHost, trace } from "@unfold/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WebGpuBackend } from "../src/index.js";
import { describeGpu } from "./gpu.js";

/** Integer positions in [0, rows), as the float tensor gather and scatterAdd take. */
function positions(count: number, rows: number, seed: number, shape: readonly number[] = [count]): HostTensor {
  const rng = new Random(seed);
  return hostTensor(Float32Array.from({ length: count }, () => rng.int(0, rows - 1)), shape, "float32");
}

function normals(shape: readonly number[], seed: number): HostTensor {
  const rng = new Random(seed);
  return hostTensor(Float32Array.from(rng.normals(shape.reduce((a, b) => a * b, 1))), shape, "float32");
}

async function compare(backend: WebGpuBackend, program: Program, feeds: Record<string, HostTensor>): Promise<Record<string, number>> {
  const got = await runToHost(await backend.compile(program), feeds);
  const want = interpret(program, new Map(Object.entries(feeds).map(([k, t]) => [k, Float64Array.from(t.data)])));
  return Object.fromEntries(program.outputs.map((o) => [o.name, relativeError(got[o.name]!.data, want.get(o.name)!)]));
}

/**
 * The float32 sum the scatterAdd kernel computes over one row's list, in the list's order:
 * blocks of eight added as a tree, blocks merged like a binary counter, a partial last block in
 * order, what is left pending summed smallest first (codegen/rows.ts, pairwiseSum).
 */
function pairwiseSum32(terms: readonly number[]): number {
  const f = Math.fround;
  const pending: number[] = [];
  let blocks = 0;
  const merge = (part: number): void => {
    let k = 0;
    let sum = part;
    for (let bits = blocks; (bits & 1) === 1; bits >>= 1) sum = f(pending[k++]! + sum);
    pending[k] = sum;
    blocks++;
  };
  let at = 0;
  for (; at + 8 <= terms.length; at += 8) {
    const t = terms.slice(at, at + 8);
    merge(f(f(f(t[0]! + t[1]!) + f(t[2]! + t[3]!)) + f(f(t[4]! + t[5]!) + f(t[6]! + t[7]!))));
  }
  if (at < terms.length) merge(terms.slice(at).reduce((sum, t) => f(sum + t), 0));
  return pending.reduce((acc, p, k) => ((blocks >> k) & 1 ? f(acc + p) : acc), 0);
}

describeGpu("scatterAdd", () => {
  let backend: WebGpuBackend;
  beforeAll(async () => {
    backend = await WebGpuBackend.create();
  });
  afterAll(() => backend.dispose());

  it("an embedding gradient over 100,000 indices (past one dispatch dimension) matches the reference", async () => {
    const [count, rows, width] = [100_000, 1000, 64];
    const program = trace({ E: param([rows, width], "float32"), ids: input([count], "float32"), g: input([count, width], "float32") }, ({ E, ids, g }) => {
      // d/dE of <gather(E, ids), g> is scatterAdd(g, ids): the backward of an embedding lookup.
      const [dE] = gradients(ops.sum(ops.mul(ops.gather(E, ids, 0), g)), [E]);
      return { dE: dE! };
    });
    const feeds = { E: normals([rows, width], 1), ids: positions(count, rows, 2), g: normals([count, width], 3) };
    const executable = await backend.compile(program);
    // Two passes: the row lists, then the sums.
    expect(executable.labels.filter((l) => l.startsWith("scatterAdd"))).toHaveLength(2);
    const started = performance.now();
    const errors = await compare(backend, program, feeds);
    console.info(`webgpu: scatterAdd of ${count} indices into [${rows}, ${width}] took ${(performance.now() - started).toFixed(0)} ms with its check`);
    expect(errors["dE"]).toBeLessThan(1e-6);
  });

  it("indices of rank 2 on a middle axis, 70,000 positions, several rows each: matches the reference, the same bits every run", async () => {
    const [a, b, rows] = [280, 250, 37];
    const program = trace({ u: input([2, a, b, 3], "float32"), ids: input([a, b], "float32") }, ({ u, ids }) => ({ s: ops.scatterAdd(u, ids, 1, rows) }));
    const feeds = { u: normals([2, a, b, 3], 4), ids: positions(a * b, rows, 5, [a, b]) };
    expect((await compare(backend, program, feeds))["s"]).toBeLessThan(1e-6);
    // The lists are sorted after they are built, so the sums' order never depends on scheduling.
    const executable = await backend.compile(program);
    const first = (await runToHost(executable, feeds))["s"]!.data;
    const second = (await runToHost(executable, feeds))["s"]!.data;
    expect(Array.from(second)).toEqual(Array.from(first));
  });

  it("sums each row's updates in ascending index order, whatever order the lists were built in: the exact float32 bits", async () => {
    // Updates of magnitudes 1e-3 to 1e3: any other order or grouping changes the bits.
    const [count, rows] = [3000, 4];
    const rng = new Random(8);
    const values = Float32Array.from({ length: count }, () => rng.normal() * 10 ** rng.int(-3, 3));
    const ids = positions(count, rows, 9);
    const program = trace({ u: input([count], "float32"), ids: input([count], "float32") }, ({ u, ids }) => ({ s: ops.scatterAdd(u, ids, 0, rows) }));
    const s = (await runToHost(await backend.compile(program), { u: hostTensor(values, [count], "float32"), ids }))["s"]!.data;
    const expected = Array.from({ length: rows }, (_, r) => pairwiseSum32(Array.from(values).filter((_, j) => ids.data[j] === r)));
    expect(Array.from(s)).toEqual(expected);
  });

  it("rows no index names are zero, and every index in one row sums them all", async () => {
    const [count, rows] = [5000, 9];
    const program = trace({ u: input([count, 2], "float32"), ids: input([count], "float32") }, ({ u, ids }) => ({ s: ops.scatterAdd(u, ids, 0, rows) }));
    const ids = hostTensor(new Float32Array(count).fill(4), [count], "float32");
    const u = hostTensor(Float32Array.from({ length: count * 2 }, (_, i) => (i % 2 === 0 ? 1 : 0.5)), [count, 2], "float32");
    const s = (await runToHost(await backend.compile(program), { u, ids }))["s"]!.data;
    expect(Array.from(s)).toEqual(Array.from({ length: rows * 2 }, (_, i) => (Math.floor(i / 2) === 4 ? (i % 2 === 0 ? count : count / 2) : 0)));
  });
});
