import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { JOB_FILES, type JobOutcome, expandSpec, jobCommandLine, jobDirectory, lastJsonLine, pickMetrics, runJob, validateSweepSpec } from "../src/index.js";
import { launcher, tempDir, trainSpec } from "./helpers/sweep.js";

const scratch = tempDir();
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("jobCommandLine", () => {
  it("train: the job's config file and its own --out inside the job directory, --json last; --resume and --overwrite by mode", () => {
    const spec = trainSpec({ axes: { dim: { path: "model.dim", values: [8, 16] } } });
    const job = expandSpec(spec)[1]!;
    const fresh = jobCommandLine(spec, job, "/r/jobs/j0001");
    expect(fresh.argv).toEqual(["train", "--config", "/r/jobs/j0001/config.json", "--out", "/r/jobs/j0001/run", "--threads", "1", "--json"]);
    expect((fresh.config!["model"] as Record<string, unknown>)["dim"]).toBe(16);
    expect((fresh.config!["train"] as Record<string, unknown>)["seed"]).toBe(1);
    // The base is copied, never changed: the next job must not see this one's values.
    expect(spec.base["model"]).toEqual({ kind: "yang", layers: 1, tied: false, head: "flatten" });
    expect(jobCommandLine(spec, job, "/r/jobs/j0001", "overwrite").argv).toContain("--overwrite");
    const resume = jobCommandLine(spec, job, "/r/jobs/j0001", "resume");
    expect(resume).toEqual({ argv: ["train", "--resume", "--out", "/r/jobs/j0001/run", "--threads", "1", "--json"] });
    // threadsPerJob is each job's thread count, so N workers use N x threadsPerJob cores.
    const two = trainSpec({ threadsPerJob: 2 });
    expect(jobCommandLine(two, expandSpec(two)[0]!, "/d").argv).toEqual(["train", "--config", "/d/config.json", "--out", "/d/run", "--threads", "2", "--json"]);
  });

  it("repeats get the seed's first value plus the repeat", () => {
    const spec = trainSpec({ repeats: 3, seed: { path: "train.seed", first: 10 } });
    const seeds = expandSpec(spec).map((j) => (jobCommandLine(spec, j, "/d").config!["train"] as Record<string, unknown>)["seed"]);
    expect(seeds).toEqual([10, 11, 12]);
  });

  it("flag commands: each value its own argument, a false switch left out, bench's --out in the job directory", () => {
    const spec = validateSweepSpec(
      { name: "h", command: "hessian scaling", base: { backend: "cpu" }, axes: { d: { flag: "d-model", values: [8] }, q: { flag: "quick", values: [true, false] } }, metrics: ["slopes.mlp"] },
      "s",
    );
    const [quick, slow] = expandSpec(spec);
    expect(jobCommandLine(spec, quick!, "/d").argv).toEqual(["hessian", "scaling", "--backend", "cpu", "--d-model", "8", "--quick", "--threads", "1", "--json"]);
    expect(jobCommandLine(spec, slow!, "/d").argv).toEqual(["hessian", "scaling", "--backend", "cpu", "--d-model", "8", "--threads", "1", "--json"]);
    const bench = validateSweepSpec({ name: "b", command: "bench", base: { quick: true }, axes: { e: { flag: "engine", values: ["unfold-cpu,tfjs"] } }, metrics: ["elapsedSeconds"] }, "s");
    expect(jobCommandLine(bench, expandSpec(bench)[0]!, "/d").argv).toEqual(["bench", "--quick", "--engine", "unfold-cpu,tfjs", "--out", "/d/run", "--json"]);
  });

  it("a job id that is not one is refused before any folder is named", () => {
    expect(() => jobDirectory("/root", "../../etc")).toThrow('job id "../../etc" is not a sweep job id');
    expect(() => jobDirectory("/root", "j12")).toThrow("not a sweep job id");
    expect(jobDirectory("/root", "j0012")).toBe("/root/jobs/j0012");
  });
});

describe("pickMetrics", () => {
  const json = { testAccuracy: 0.5, energyByLayer: [-1, -2], nested: { a: { b: 3 } }, text: "x" };
  it("keys and array indices joined by dots", () => {
    expect(pickMetrics(json, ["testAccuracy", "energyByLayer.1", "nested.a.b"])).toEqual({ testAccuracy: 0.5, "energyByLayer.1": -2, "nested.a.b": 3 });
  });
  it("a missing metric names itself and what is there; a non-number names its value", () => {
    expect(() => pickMetrics(json, ["testAcc"])).toThrow('metric "testAcc": the --json object has no "testAcc" (its keys: testAccuracy, energyByLayer, nested, text)');
    expect(() => pickMetrics(json, ["nested.a.c"])).toThrow('metric "nested.a.c": "nested.a" has no "c" (its keys: b)');
    expect(() => pickMetrics(json, ["energyByLayer.5"])).toThrow('"energyByLayer" has no "5"');
    expect(() => pickMetrics(json, ["text"])).toThrow('metric "text" is "x", not a finite number');
  });
  it("the --json line is the last line of stdout that is a JSON object", () => {
    expect(lastJsonLine('progress\n{"a":1}\n{"b":2}\ndone\n')).toEqual({ b: 2 });
    expect(lastJsonLine("{not json\n[1,2]\n")).toBeUndefined();
  });
});

/** The training steps recorded so far in a trainer run folder's metrics.jsonl. */
function recordedSteps(runDir: string): number {
  const path = join(runDir, "metrics.jsonl");
  if (!existsSync(path)) return 0;
  return readFileSync(path, "utf8").split("\n").filter((l) => l.includes('"loss"')).length;
}

/** Waits until the run has recorded `step` training steps; fails (with the outcome) if the attempt ends first. */
async function untilStep(attempt: Promise<JobOutcome>, runDir: string, step: number): Promise<void> {
  let ended: JobOutcome | undefined;
  void attempt.then((o) => (ended = o));
  while (recordedSteps(runDir) < step) {
    if (ended) throw new Error(`the job ended before step ${step}: ${JSON.stringify(ended)}`);
    await sleep(50);
  }
}

describe("runJob on the real trainer", () => {
  it("runs the job in its own folder and returns the metrics of its --json line", async () => {
    const spec = trainSpec({ metrics: ["testAccuracy", "energyByLayer.0", "energyByLayer.1"] });
    const job = expandSpec(spec)[0]!;
    const outcome = await runJob(spec, job, { sweepRoot: join(scratch, "done"), launcher });
    expect(outcome.status, outcome.error).toBe("done");
    expect(outcome.exitCode).toBe(0);
    expect(outcome.mode).toBe("fresh");
    const dir = jobDirectory(join(scratch, "done"), job.id);
    const printed = lastJsonLine(readFileSync(join(dir, JOB_FILES.log), "utf8"))!;
    expect(outcome.metrics).toEqual({ testAccuracy: printed["testAccuracy"], "energyByLayer.0": (printed["energyByLayer"] as number[])[0], "energyByLayer.1": (printed["energyByLayer"] as number[])[1] });
    expect(printed["checkpoint"]).toBe(join(dir, JOB_FILES.run, "checkpoint"));
    expect(JSON.parse(readFileSync(join(dir, JOB_FILES.config), "utf8")).train.seed).toBe(1);
  });

  it("SIGTERM through the abort signal: the trainer saves and the job is interrupted; run again, it resumes from that checkpoint", async () => {
    // 64 digits in batches of 4: 16 steps an epoch, 800 in all, far more than the test waits for.
    const spec = trainSpec({ base: { task: { kind: "mnist", train: 64, test: 16 }, model: { kind: "yang", dim: 8, layers: 1, tied: false, head: "flatten" }, train: { epochs: 50, batchSize: 4, learningRate: 0.003, warmupSteps: 1 }, energyInputs: 2, onnx: false } });
    const job = expandSpec(spec)[0]!;
    const root = join(scratch, "resume");
    const runDir = join(jobDirectory(root, job.id), JOB_FILES.run);
    const controller = new AbortController();
    const first = runJob(spec, job, { sweepRoot: root, launcher, signal: controller.signal });
    await untilStep(first, runDir, 3);
    controller.abort("SIGTERM");
    const stopped = await first;
    expect(stopped.status, stopped.error).toBe("interrupted");
    expect(stopped.exitCode).toBe(143);
    const saved = (JSON.parse(readFileSync(join(runDir, "checkpoint", "checkpoint.json"), "utf8")) as { step: number }).step;
    expect(saved).toBeGreaterThanOrEqual(3);
    expect(stopped.error).toContain(`at step ${saved}`);

    // The rest of the run: 800 steps is long, so the second attempt is stopped too, after it has resumed.
    const again = new AbortController();
    const second = runJob(spec, job, { sweepRoot: root, launcher, signal: again.signal });
    await untilStep(second, runDir, saved + 2);
    again.abort("SIGTERM");
    const resumed = await second;
    expect(resumed.mode).toBe("resume");
    expect(resumed.resumedFromStep).toBe(saved);
    expect(resumed.status).toBe("interrupted");
    const log = readFileSync(join(jobDirectory(root, job.id), JOB_FILES.log), "utf8");
    expect(log).toContain(`unfold train --resume --out ${runDir} --threads 1 --json (resuming step ${saved})`);
  });

  it("a command that fails: status failed with its error line and exit status", async () => {
    const spec = trainSpec({ axes: { dim: { path: "model.dim", values: [-1] } } });
    const outcome = await runJob(spec, expandSpec(spec)[0]!, { sweepRoot: join(scratch, "fails"), launcher });
    expect(outcome.status).toBe("failed");
    expect(outcome.exitCode).toBe(1);
    expect(outcome.error).toMatch(/^exit 1: .*model\.dim/);
  });
});
