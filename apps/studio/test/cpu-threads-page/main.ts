// A page that runs the CPU backend with worker threads (Web Workers) where it is cross-origin
// isolated, and reports on window.__cpuThreads: each program's outputs against one thread and the
// float64 reference, the chunks the workers ran, and (not isolated) what asking for threads says.
import { type HostTensor, type Program, Random, ReferenceBackend, defineUnfolding, hostTensor, input, relativeError, runToHost, softmax, trace, unfoldedProgram } from "@unfold/core";
import { CpuBackend } from "@unfold/backend-cpu";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "@unfold/energies";
import type { ThreadsCase, ThreadsReport } from "./report.js";

/** More workers than this machine's cores is fine: a worker without a core just claims less. */
const THREADS = 3;
/** Runs of each program: the first rounds of a new loop kernel reach the workers late. */
const RUNS = 6;
/**
 * On a busy machine a worker may get no core for a few runs; runs go on (up to this many) until
 * the workers have taken chunks, so the test counts what they did and never times it.
 */
const MAX_RUNS = 200;

interface Case {
  readonly name: string;
  readonly program: Program;
  readonly feeds: Record<string, HostTensor>;
}

function tensor(rng: Random, shape: number[], scale = 1): HostTensor {
  return hostTensor(rng.normals(shape.reduce((a, b) => a * b, 1), scale), shape, "float32");
}

/** Products and softmax rows: GEMM chunks and softmax rounds. */
function productCase(): Case {
  const rng = new Random(1);
  const program = trace({ a: input([256, 192], "float32"), b: input([192, 256], "float32") }, ({ a, b }) => ({ p: softmax(a.matmul(b), -1) }));
  return { name: "matmul and softmax", program, feeds: { a: tensor(rng, [256, 192], 0.2), b: tensor(rng, [192, 256], 0.2) } };
}

/** One large elementwise loop and nothing else: kernel rounds of a loop kernel shared with the workers. */
function loopCase(): Case {
  const rng = new Random(2);
  const program = trace({ x: input([1024, 1024], "float32"), y: input([1024, 1024], "float32") }, ({ x, y }) => ({ z: x.mul(y).add(x).maximum(0) }));
  return { name: "elementwise loop", program, feeds: { x: tensor(rng, [1024, 1024]), y: tensor(rng, [1024, 1024]) } };
}

/** Two tied layers of the Yang forward on a batch of 4: item rounds with shared item loops. */
function yangCase(): Case {
  const [batch, tokens, dim] = [4, 24, 8];
  const energy = yangEnergy({ dim });
  const params = initYangParams({ dim }, { seed: 4 });
  const unfolding = defineUnfolding({ energy, steps: yangLayerSteps(energy, { feedForwardStepSize: safeFeedForwardStepSize(params, dim) }), layers: 2, tiedWeights: true });
  const feeds: Record<string, HostTensor> = { state: hostTensor(new Random(tokens).uniforms(batch * tokens * dim), [batch, tokens, dim], "float32") };
  for (const [name, value] of Object.entries(params)) feeds[name] = hostTensor(value.data, value.shape, "float32");
  return { name: "Yang forward (item rounds)", program: unfoldedProgram(unfolding, [batch, tokens, dim], "float32"), feeds };
}

function worst(got: Record<string, HostTensor>, want: Record<string, HostTensor>): number {
  return Math.max(...Object.keys(want).map((name) => relativeError(got[name]!.data, want[name]!.data)));
}

async function runCase(threaded: CpuBackend, single: CpuBackend, reference: ReferenceBackend, c: Case): Promise<ThreadsCase> {
  const exe = await threaded.compile(c.program);
  const before = threaded.threadActivity();
  let got: Record<string, HostTensor> = {};
  let got0: Record<string, HostTensor> | undefined;
  for (let run = 0; run < RUNS || (run < MAX_RUNS && threaded.threadActivity().onWorkers === before.onWorkers); run++) {
    got = await runToHost(exe, c.feeds);
    // Outputs of every run are checked, not only the last.
    if (worst(got, got0 ??= got) !== 0) throw new Error(`${c.name}: run ${run} differs from the first`);
  }
  const after = threaded.threadActivity();
  const steps = Object.keys(await exe.profile(c.feeds));
  const alone = await runToHost(await single.compile(c.program), c.feeds);
  const want = await runToHost(await reference.compile(c.program), c.feeds);
  return { name: c.name, steps, toSingle: worst(got, alone), toReference: worst(got, want), chunks: after.chunks - before.chunks, onWorkers: after.onWorkers - before.onWorkers };
}

async function main(): Promise<ThreadsReport> {
  const isolated = crossOriginIsolated;
  const fallback = new CpuBackend();
  const defaultThreads = (await fallback.engineInfo()).threads;
  await fallback.dispose();
  let threaded: CpuBackend;
  try {
    // Every product threads however small (parallelThreshold 0), as the Node tests run them.
    threaded = new CpuBackend({ threads: THREADS, parallelThreshold: 0 });
  } catch (error) {
    return { done: true, crossOriginIsolated: isolated, threadsError: String((error as Error).message), defaultThreads, cases: [] };
  }
  const single = new CpuBackend({ threads: 1 });
  const reference = new ReferenceBackend();
  try {
    const { threads } = await threaded.engineInfo();
    const cases: ThreadsCase[] = [];
    for (const c of [productCase(), loopCase(), yangCase()]) cases.push(await runCase(threaded, single, reference, c));
    return { done: true, crossOriginIsolated: isolated, defaultThreads, threads, cases };
  } finally {
    await threaded.dispose();
    await single.dispose();
  }
}

main().then(
  (report) => (window.__cpuThreads = report),
  (error: unknown) => (window.__cpuThreads = { done: true, crossOriginIsolated, cases: [], error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) }),
);
