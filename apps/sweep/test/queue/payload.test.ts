import { describe, expect, it } from "vitest";
import { expandSpec } from "../../src/spec/expand.js";
import { validateSweepSpec } from "../../src/spec/load.js";
import { RefusedJob, admitQueuedJob, parseQueueJobId, queueJobId, queuedJobData, specFingerprint } from "../../src/queue/payload.js";

const spec = validateSweepSpec(
  { name: "growth", command: "hessian scaling", base: { seeds: 1 }, axes: { d: { flag: "d-model", values: [4, 8] } }, metrics: ["slopes.Q_outer"] },
  "test spec",
);
const [first, second] = expandSpec(spec);

describe("queue job ids", () => {
  it("are fixed by the spec and change with it", () => {
    expect(queueJobId(spec, first!)).toBe(queueJobId(validateSweepSpec(JSON.parse(JSON.stringify(spec)), "copy"), first!));
    const changed = validateSweepSpec({ ...spec, base: { seeds: 2 } }, "changed");
    expect(specFingerprint(changed)).not.toBe(specFingerprint(spec));
    expect(parseQueueJobId(queueJobId(spec, second!))).toEqual({ sweep: "growth", fingerprint: specFingerprint(spec), job: "j0001" });
    expect(parseQueueJobId("growth-j0001")).toBeUndefined();
  });
});

describe("a queued job's payload", () => {
  it("is admitted with the worker's own expansion of the spec", () => {
    const admitted = admitQueuedJob(queueJobId(spec, second!), queuedJobData(spec, second!));
    expect(admitted.job).toEqual(second);
    expect(admitted.spec).toEqual(spec);
  });

  // Bad input: payloads pushed onto the queue by something other than `sweep run`.
  const id = queueJobId(spec, first!);
  const cases: [string, string | undefined, unknown, RegExp][] = [
    ["not an object", id, "rm -rf /", /^refused: queued job ".*": field \(top level\): /],
    ["no spec or job", id, {}, /^refused: queued job ".*": field (spec|job): missing; /],
    ["an extra field (a command line)", id, { ...queuedJobData(spec, first!), argv: ["sh", "-c", "id"] }, /^refused: .*unknown field "argv"; a sweep job carries only \{spec, job\}/],
    ["a job id that is a path", id, { spec, job: "../../etc" }, /^refused: .*field job: must be a sweep job id/],
    ["a command outside the sweep commands", id, { spec: { ...spec, command: "sh -c" }, job: "j0000" }, /^refused: queued job ".*": spec: field command: must be one of "train", "hessian scaling"/],
    ["a flag the sweep rules leave out (--plot writes a file)", id, { spec: { ...spec, base: { seeds: 1, plot: "/etc/passwd" } }, job: "j0000" }, /^refused: .*field base.plot: hessian scaling has no flag "plot"/],
    ["a value that is a path", id, { spec: { ...spec, base: { seeds: 1, backend: "../../x" } }, job: "j0000" }, /^refused: .*field base.backend: --backend must be a word/],
    ["a sweep name with a slash", id, { spec: { ...spec, name: "../escape" }, job: "j0000" }, /^refused: .*field name: /],
    ["a job the spec does not have", queueJobId(spec, "j0099"), { spec, job: "j0099" }, /^refused: .*the sweep 'growth' has no job j0099/],
    ["a queue id that is not the job's", "someone-else", queuedJobData(spec, first!), /^refused: queued job "someone-else": the queue id of job j0000 of sweep 'growth' is "growth-[0-9a-f]{12}-j0000"/],
    ["no queue id", undefined, queuedJobData(spec, first!), /^refused: queued job "\(no id\)"/],
  ];
  it.each(cases)("refuses %s", (_name, queueId, data, message) => {
    let error: unknown;
    try {
      admitQueuedJob(queueId, data);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RefusedJob);
    expect((error as Error).message).toMatch(message);
  });
});
