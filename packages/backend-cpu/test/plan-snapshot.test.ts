// The plans the CPU planner makes (which slot gets which workspace bytes, and how many bytes the
// workspace and each item round's private region take) are part of its speed: kernels are
// compiled against them. This pins them for three programs, so a refactor of the planner that
// moves a single slot fails here. The expected values were taken from the planner before its
// slots and live intervals moved into core's backend kit.
import { createHash } from "node:crypto";
import { type DType, type Program, crossEntropy, gradients, input, param, softmax, trace } from "@unfold/core";
import { modelCases } from "@unfold/conformance";
import { afterAll, describe, expect, it, vi } from "vitest";
import { CpuBackend } from "../src/index.js";
import type * as Liveness from "../src/plan/liveness.js";

/** Every workspace placement the planner made, in order: the round regions, then the plan's workspace. */
const placements: { slots: number; bytes: number; offsets: [number, number][] }[] = [];

vi.mock("../src/plan/liveness.js", async (original) => {
  const real = await original<typeof Liveness>();
  return {
    ...real,
    assignWorkspace: (...args: Parameters<typeof real.assignWorkspace>) => {
      const placed = real.assignWorkspace(...args);
      placements.push({ slots: placed.offsets.size, bytes: placed.bytes, offsets: [...placed.offsets].sort((a, b) => a[0] - b[0]) });
      return placed;
    },
  };
});

/** A training step as programs of a model trainer are built: forward, loss, gradients, SGD update. */
function trainingStep(dtype: DType): Program {
  const [batch, tokens, dim, classes] = [4, 6, 8, 5];
  return trace(
    { x: input([batch, tokens, dim], dtype), target: input([batch, classes], dtype), Wq: param([dim, dim], dtype), Wo: param([dim, classes], dtype) },
    ({ x, target, Wq, Wo }) => {
      const q = x.matmul(Wq);
      const attended = softmax(q.matmul(x.transpose([0, 2, 1])), -1).matmul(x);
      const logits = attended.mean([1]).matmul(Wo);
      const loss = crossEntropy(logits, target).mean();
      const [gq, go] = gradients(loss, [Wq, Wo]);
      return { loss, "next.Wq": Wq.sub(gq!.mul(0.1)), "next.Wo": Wo.sub(go!.mul(0.1)) };
    },
  );
}

function modelProgram(name: string, dtype: DType): Program {
  const found = modelCases().find((c) => c.name.startsWith(name));
  if (!found) throw new Error(`no conformance model case named '${name}...'`);
  return found.programs(dtype)[0]!;
}

const programs: [string, (dtype: DType) => Program][] = [
  ["12-layer Yang unfolding", (dtype) => modelProgram("12-layer tied Yang", dtype)],
  ["training step", trainingStep],
  ["Energy Transformer step", (dtype) => modelProgram("one Energy Transformer", dtype)],
];

/** What a compile placed: how many placements, the plan workspace's bytes, and a digest of every offset. */
async function planOf(backend: CpuBackend, program: Program): Promise<string> {
  placements.length = 0;
  await backend.compile(program);
  const digest = createHash("sha256").update(JSON.stringify(placements)).digest("hex").slice(0, 16);
  const workspace = placements.at(-1)!;
  return `${placements.length} placements, workspace ${workspace.slots} slots ${workspace.bytes} bytes, ${digest}`;
}

// Two threads with every product threaded (item rounds form), and one thread (none do).
const threaded = new CpuBackend({ threads: 2, parallelThreshold: 0 });
const single = new CpuBackend({ threads: 1 });
afterAll(async () => {
  await threaded.dispose();
  await single.dispose();
});

describe("cpu plans", () => {
  it("places every slot where it did before", async () => {
    const got: Record<string, string> = {};
    for (const [name, build] of programs) {
      for (const dtype of ["float32", "float64"] as const) {
        const program = build(dtype);
        got[`${name} ${dtype} threaded`] = await planOf(threaded, program);
        got[`${name} ${dtype} single`] = await planOf(single, program);
      }
    }
    expect(got).toEqual({
      "12-layer Yang unfolding float32 single": "1 placements, workspace 176 slots 7200 bytes, 6c5e0cbaa9bbbaf2",
      "12-layer Yang unfolding float32 threaded": "14 placements, workspace 127 slots 8480 bytes, e44ec9ee5718f4b9",
      "12-layer Yang unfolding float64 single": "1 placements, workspace 176 slots 14400 bytes, 70276d364151ff98",
      "12-layer Yang unfolding float64 threaded": "14 placements, workspace 176 slots 14400 bytes, 62dc10996f76f0fe",
      "Energy Transformer step float32 single": "1 placements, workspace 42 slots 2496 bytes, 05414e809c198e36",
      "Energy Transformer step float32 threaded": "6 placements, workspace 20 slots 2880 bytes, 5578b9d1d69aca49",
      "Energy Transformer step float64 single": "1 placements, workspace 42 slots 4992 bytes, b8b23333c31d5fa6",
      "Energy Transformer step float64 threaded": "1 placements, workspace 42 slots 5952 bytes, 4b50ead14bf09127",
      "training step float32 single": "1 placements, workspace 29 slots 2592 bytes, 6b0afb704b48f763",
      "training step float32 threaded": "6 placements, workspace 19 slots 2848 bytes, 8549ae8d9699d109",
      "training step float64 single": "1 placements, workspace 29 slots 5184 bytes, 5d14aca569577e30",
      "training step float64 threaded": "3 placements, workspace 27 slots 5696 bytes, 71fe255a35e287e3",
    });
  });
});
