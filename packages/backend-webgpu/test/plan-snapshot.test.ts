// The plans the WebGPU planner makes (which workspace buffer each slot shares, and how many
// buffers of which sizes) are part of its speed: kernels are bound against them. This pins them
// for three programs, planned for fixed device limits (no device needed), so a refactor of the
// planner that moves a single slot fails here. The expected values were taken from the planner
// before its slots and live intervals moved into core's backend kit.
import { createHash } from "node:crypto";
import { type Program, crossEntropy, gradients, input, optimize, param, softmax, trace } from "@unfold/core";
import { modelCases } from "@unfold/conformance";
import { describe, expect, it } from "vitest";
import { assignWorkspace } from "../src/plan/liveness.js";
import { lower } from "../src/plan/lower.js";

// WebGPU's default limits: 8 storage buffers per stage, 128 MiB per binding.
const limits = { maxBindings: 8, maxBindingBytes: 134_217_728 };

/** A training step as programs of a model trainer are built: forward, loss, gradients, SGD update. */
function trainingStep(): Program {
  const [batch, tokens, dim, classes] = [4, 6, 8, 5];
  return trace(
    { x: input([batch, tokens, dim], "float32"), target: input([batch, classes], "float32"), Wq: param([dim, dim], "float32"), Wo: param([dim, classes], "float32") },
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

function modelProgram(name: string): Program {
  const found = modelCases().find((c) => c.name.startsWith(name));
  if (!found) throw new Error(`no conformance model case named '${name}...'`);
  return found.programs("float32")[0]!;
}

/** What the planner made: slots by kind, the workspace buffers' sizes, and a digest of which buffer each slot uses. */
function planOf(program: Program): string {
  const plan = lower(optimize(program), limits);
  const { buffers, slotBuffer } = assignWorkspace(plan.slots, plan.steps, limits.maxBindingBytes);
  const kinds = new Map<string, number>();
  for (const slot of plan.slots) kinds.set(slot.kind, (kinds.get(slot.kind) ?? 0) + 1);
  const assignment = JSON.stringify({ buffers, slots: [...slotBuffer].sort((a, b) => a[0] - b[0]), kinds: plan.slots.map((s) => s.kind) });
  const digest = createHash("sha256").update(assignment).digest("hex").slice(0, 16);
  const counts = [...kinds].sort().map(([kind, n]) => `${n} ${kind}`).join(", ");
  return `${plan.steps.length} steps; slots ${counts}; ${buffers.length} buffers ${buffers.reduce((a, b) => a + b, 0)} bytes; ${digest}`;
}

describe("webgpu plans", () => {
  it("shares buffers between slots as it did before", () => {
    const got = {
      "12-layer Yang unfolding": planOf(modelProgram("12-layer tied Yang")),
      "training step": planOf(trainingStep()),
      "Energy Transformer step": planOf(modelProgram("one Energy Transformer")),
    };
    expect(got).toEqual({
      "12-layer Yang unfolding": "154 steps; slots 4 input, 14 output, 140 workspace; 8 buffers 7168 bytes; e6e8196909637a18",
      "training step": "28 steps; slots 4 input, 3 output, 25 workspace; 11 buffers 5888 bytes; 6c96cccc0e245770",
      "Energy Transformer step": "35 steps; slots 1 constant, 7 input, 4 output, 31 workspace; 8 buffers 3776 bytes; 773382e2248c107c",
    });
  });
});
