// The Yang attention step softmax(Z Z^T - 1 b^T) V lowers to one fused step per batch
// (gram-softmax.ts) when nothing else reads its parts, to a fused Gram softmax when the weights
// are read elsewhere too, and to the unfused steps otherwise. Every form must match the
// reference interpreter, with poisoned buffers; which form ran shows in the plan's profile.
import { type Program, Random, ReferenceBackend, hostTensor, input, relativeError, runToHost, softmax, trace, type DType } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/index.js";

// Step by step: an item round would run these steps inside one step of its own, and the profile
// would show only that (item-rounds.test.ts holds rounds to this plan).
const cpu = new CpuBackend({ itemRounds: false });
const reference = new ReferenceBackend();
afterAll(async () => {
  await cpu.dispose();
});

interface Variant {
  readonly name: string;
  readonly batch: number;
  readonly n: number;
  readonly k: number;
  readonly dtype: DType;
  /** Shape of the values (default [batch, n, k]: the tokens themselves). */
  readonly valueShape?: (batch: number, n: number) => number[];
  /** Which outputs the program has besides the attention output. */
  readonly alsoOutput?: "weights" | "logits" | "norms";
  /** Step kinds the plan must run, and must not. */
  readonly runs: string[];
  readonly not: string[];
}

/** Z = Y W, logits Z Z^T - q / 2 with q_j = |z_j|^2 (the Yang bias), output softmax(logits) V. */
function attentionProgram(v: Variant): Program {
  const valueShape = v.valueShape?.(v.batch, v.n) ?? [v.batch, v.n, v.k];
  return trace({ Y: input([v.batch, v.n, v.k], v.dtype), W: input([v.k, v.k], v.dtype), V: input(valueShape, v.dtype) }, ({ Y, W, V }) => {
    const Z = Y.matmul(W);
    const q = Z.mul(Z).sum([2], true).transpose([0, 2, 1]);
    const logits = Z.matmul(Z.T).sub(q.mul(0.5));
    const weights = softmax(logits, -1);
    const out = { out: weights.matmul(V) };
    if (v.alsoOutput === "weights") return { ...out, weights };
    if (v.alsoOutput === "logits") return { ...out, logits };
    if (v.alsoOutput === "norms") return { ...out, q };
    return out;
  });
}

const variants: Variant[] = [
  // The Yang bias |z_j|^2 / 2 is read off the Gram diagonal: its sum of squares never runs.
  { name: "the whole step fuses", batch: 4, n: 37, k: 6, dtype: "float32", runs: ["attention"], not: ["softmax", "gram", "sum"] },
  { name: "a batch of 128-token items, d 64", batch: 8, n: 128, k: 64, dtype: "float32", runs: ["attention"], not: ["softmax", "gram", "sum"] },
  { name: "the norms also an output: the bias is computed and read as it is", batch: 4, n: 21, k: 5, dtype: "float32", alsoOutput: "norms", runs: ["attention", "sum"], not: ["softmax", "gram"] },
  { name: "weights also an output: the Gram softmax fuses, the value product stays", batch: 4, n: 21, k: 5, dtype: "float32", alsoOutput: "weights", runs: ["gram", "matmul"], not: ["attention", "softmax"] },
  { name: "values shared by the batch: no value fusion", batch: 4, n: 21, k: 5, dtype: "float32", valueShape: (_b, n) => [1, n, 5], runs: ["gram", "matmul"], not: ["attention", "softmax"] },
  { name: "logits also an output: nothing fuses with the product", batch: 4, n: 21, k: 5, dtype: "float32", alsoOutput: "logits", runs: ["softmax", "matmul"], not: ["attention", "gram"] },
  { name: "float64 keeps the row kernel", batch: 4, n: 21, k: 5, dtype: "float64", runs: ["softmax", "matmul"], not: ["attention", "gram"] },
];

describe("attention fusion", () => {
  for (const v of variants) {
    it(v.name, async () => {
      const rng = new Random(v.n * 7 + v.batch);
      const program = attentionProgram(v);
      const valueShape = v.valueShape?.(v.batch, v.n) ?? [v.batch, v.n, v.k];
      const feeds = {
        Y: hostTensor(rng.normals(v.batch * v.n * v.k, 0.8), [v.batch, v.n, v.k], v.dtype),
        W: hostTensor(rng.normals(v.k * v.k, 1 / Math.sqrt(v.k)), [v.k, v.k], v.dtype),
        V: hostTensor(rng.normals(valueShape.reduce((a, b) => a * b, 1)), valueShape, v.dtype),
      };
      const executable = await cpu.compile(program, { poison: true });
      const got = await runToHost(executable, feeds);
      const want = await runToHost(await reference.compile(program), feeds);
      for (const name of Object.keys(want)) {
        expect(relativeError(got[name]!.data, want[name]!.data), name).toBeLessThanOrEqual(v.dtype === "float64" ? 1e-13 : 2e-6);
      }
      const steps = Object.keys(await executable.profile(feeds));
      for (const kind of v.runs) expect(steps, `runs ${kind}`).toContain(kind);
      for (const kind of v.not) expect(steps, `does not run ${kind}`).not.toContain(kind);
    });
  }

  it("runs the same fused plan again and again without drift (scratch reused across runs)", async () => {
    const v = variants[1]!;
    const rng = new Random(5);
    const program = attentionProgram(v);
    const feeds = {
      Y: hostTensor(rng.normals(v.batch * v.n * v.k, 0.8), [v.batch, v.n, v.k], "float32"),
      W: hostTensor(rng.normals(v.k * v.k, 1 / Math.sqrt(v.k)), [v.k, v.k], "float32"),
      V: hostTensor(rng.normals(v.batch * v.n * v.k), [v.batch, v.n, v.k], "float32"),
    };
    const executable = await cpu.compile(program);
    const first = (await runToHost(executable, feeds))["out"]!.data;
    for (let r = 0; r < 5; r++) expect(Array.from((await runToHost(executable, feeds))["out"]!.data)).toEqual(Array.from(first));
  });
});
