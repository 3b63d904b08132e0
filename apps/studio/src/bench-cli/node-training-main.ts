// One Node training run of the bench in a process of its own (node-child.ts starts it):
// `node-training-main.ts <backend> <warmup> <steps> [threads]`; prints the NodeTraining as JSON
// on its last line of stdout.
import { consoleIO, runMain } from "@unfold/cli";
import { BENCH_BACKENDS, type BenchBackend } from "./options.js";
import { trainInNode } from "./node-training.js";

const count = (what: string, value: string | undefined): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be an integer >= 1, got '${value ?? ""}'`);
  return n;
};

runMain(async ([backend, warmup, steps, threads, ...rest]) => {
  if (rest.length > 0) throw new Error(`unexpected arguments ${rest.map((a) => `'${a}'`).join(", ")}`);
  if (!BENCH_BACKENDS.includes(backend as BenchBackend)) throw new Error(`backend must be one of ${BENCH_BACKENDS.join(", ")}, got '${backend ?? ""}'`);
  try {
    const result = await trainInNode(backend as BenchBackend, count("warmup", warmup), count("steps", steps), threads === undefined ? undefined : count("threads", threads));
    consoleIO.out(JSON.stringify(result));
  } finally {
    // onnxruntime's and Dawn's threads keep the event loop alive after their backend is disposed.
    setImmediate(() => process.exit());
  }
});
