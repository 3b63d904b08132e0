// A new energy, defined as a user outside the repository would, from the installed packages
// only, run on two backends: the float64 reference and the CPU backend in float32, within 1e-4
// of the reference, with the guard checking every layer's descent. Then the conformance suite's
// model cases on the CPU backend from @unfold/conformance/portable, which needs no test runner
// (vitest is not installed here).
// @boundaries-ignore resolved from the packed tarballs in a project outside the workspace
import { CpuBackend } from "@unfold/backend-cpu";
// @boundaries-ignore resolved from the packed tarballs in a project outside the workspace
import { conformanceSuite } from "@unfold/conformance/portable";
// @boundaries-ignore resolved from the packed tarballs in a project outside the workspace
import { type Backend, ReferenceBackend, defineEnergy, defineUnfolding, gradientStep, hostTensor, logsumexp, ops, runUnfolding } from "@unfold/core";

// E(X) = 1/2 ||X - T||^2 + sum_i logsumexp(x_i): a pull to T and a soft-max barrier. Its gradient
// is Lipschitz with L <= 1 + 1/2, so gradient steps of 0.5 < 2/L descend it.
const energy = defineEnergy({
  name: "pull-and-barrier",
  params: { T: { shape: [4, 3] } },
  terms: [
    { name: "pull", value: (X, p) => ops.mul(ops.sum(ops.mul(ops.sub(X, p.T), ops.sub(X, p.T))), 0.5) },
    { name: "barrier", value: (X) => ops.sum(logsumexp(X, -1)) },
  ],
});

const unfolding = defineUnfolding({
  energy,
  steps: [gradientStep(energy, { stepSize: 0.5 })],
  layers: 6,
  guard: { mode: "throw", watch: "total" },
});

const state = Array.from({ length: 12 }, (_, i) => Math.sin(i + 1) * 2);
const target = Array.from({ length: 12 }, (_, i) => Math.cos(i) - 0.5);

async function finalEnergies(backend: Backend, dtype: "float32" | "float64"): Promise<number[]> {
  try {
    const { trace } = await runUnfolding(unfolding, backend, {
      state: hostTensor(state, [4, 3], dtype),
      params: { T: hostTensor(target, [4, 3], dtype) },
    });
    return trace.layers.map((l) => l.energy);
  } finally {
    await backend.dispose();
  }
}

const reference = await finalEnergies(new ReferenceBackend(), "float64");
for (const [name, backend] of [["cpu", new CpuBackend()]] as const) {
  const energies = await finalEnergies(backend, "float32");
  const worst = Math.max(...energies.map((e, i) => Math.abs(e - reference[i]!) / Math.max(1, Math.abs(reference[i]!))));
  if (!(worst < 1e-4)) throw new Error(`${name}: the energies differ from the float64 reference by ${worst} (relative)`);
  console.log(`${name}: ${energies.length - 1} layers, energy ${energies[0]!.toFixed(4)} -> ${energies.at(-1)!.toFixed(4)}, within ${worst.toExponential(1)} of the reference`);
}

// The suite as plain data for any runner (here a loop): setup, the tests of one group, teardown.
const suite = await conformanceSuite({ name: "cpu", create: () => new CpuBackend(), dtypes: ["float32"] });
const models = suite.tests.filter((t) => t.path[1] === "models");
if (models.length === 0) throw new Error(`${suite.name}: no model cases`);
await suite.setup();
try {
  for (const test of models) await test.run();
} finally {
  await suite.teardown();
}
console.log(`${suite.name} (portable, no vitest): ${models.length} model cases pass`);
