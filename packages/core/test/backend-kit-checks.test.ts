import { describe, expect, it } from "vitest";
import { BackendLife, describeNode, DTypeError, ExecutableLife, FeedError, hostTensor, input, trace, UnfoldError } from "../src/index.js";
import { thrown } from "./helpers.js";


const program = trace({ x: input([2], "float32") }, ({ x }) => ({ y: x.exp() }));
const x = hostTensor([1, 2], [2], "float32");

describe("BackendLife.disposeWith", () => {
  it("marks the backend disposed at once and releases once; every call shares the first call's promise", async () => {
    const life = new BackendLife("demo");
    let releases = 0;
    let finish = (): void => {};
    const release = (): Promise<void> => {
      releases++;
      return new Promise((resolve) => (finish = resolve));
    };
    const first = life.disposeWith(release);
    // Before the release has finished, every use already fails naming the dispose.
    expect(life.disposed).toBe(true);
    expect(thrown(() => life.check("upload")).message).toBe("demo: upload after dispose(): create a new backend");
    const second = life.disposeWith(release);
    expect(second).toBe(first);
    expect(releases).toBe(1);
    let settled = false;
    void second.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    finish();
    await first;
    expect(settled).toBe(true);
    expect(releases).toBe(1);
  });
});

describe("the run and upload checks", () => {
  it("check liveness, then the feeds against the program, naming the backend", () => {
    const life = new BackendLife("demo");
    life.checkRun(program, { x });
    const wrong = thrown(() => life.checkRun(program, { x: hostTensor([1, 2, 3], [3], "float32") }));
    expect(wrong).toBeInstanceOf(FeedError);
    expect(wrong.message).toBe("run: feed 'x' has shape [3], the program expects [2]");
    expect(thrown(() => life.checkRun(program, { z: x })).message).toBe("run: unknown feed 'z'; the program takes: x");
    life.dispose();
    // Liveness first: after dispose() even bad feeds get the dispose error.
    expect(thrown(() => life.checkRun(program, { z: x })).message).toBe("demo: run after dispose(): the backend that compiled this executable was disposed");
  });

  it("for an executable: liveness, then release, then the feeds", () => {
    const life = new BackendLife("demo-cpu");
    const executable = new ExecutableLife(life, "demo");
    executable.checkRunAndFeeds(program, { x });
    expect(thrown(() => executable.checkRunAndFeeds(program, {})).message).toBe("run: missing feed 'x' (input float32[2])");
    executable.release();
    expect(thrown(() => executable.checkRunAndFeeds(program, {})).message).toBe("demo backend: executable was released by its release(); it cannot run again");
    life.dispose();
    expect(thrown(() => executable.checkRunAndFeeds(program, {})).message).toBe("demo-cpu: run after dispose(): the backend that compiled this executable was disposed");
  });

  it("refuse an upload of a dtype the backend does not hold, a malformed tensor, or any upload after dispose", () => {
    const life = new BackendLife("demo");
    life.checkUpload(x, ["float32"]);
    life.checkUpload(hostTensor([1], [1], "float64"), ["float32", "float64"]);
    const f64 = thrown(() => life.checkUpload(hostTensor([1], [1], "float64"), ["float32"]));
    expect(f64).toBeInstanceOf(DTypeError);
    expect(f64.message).toBe("upload: demo holds float32 only, got float64");
    const short = thrown(() => life.checkUpload({ shape: [3], dtype: "float32", data: new Float32Array(2) }, ["float32"]));
    expect(short).toBeInstanceOf(UnfoldError);
    expect(short.message).toContain("[3]");
    const nan = thrown(() => life.checkUpload(hostTensor([Number.NaN], [1], "float32"), ["float32"]));
    expect(nan).toBeInstanceOf(UnfoldError);
    life.dispose();
    expect(thrown(() => life.checkUpload(hostTensor([1], [1], "float64"), ["float32"])).message).toBe("demo: upload after dispose(): create a new backend");
  });
});

describe("describeNode", () => {
  it("names a node by op, id, label when it has one, and shape", () => {
    const p = trace({ a: input([2, 3]) }, ({ a }) => ({ s: a.matmul(a.transpose([1, 0])).named("scores"), t: a.exp() }));
    const scores = p.nodes.find((n) => n.label === "scores")!;
    const exp = p.nodes.find((n) => n.op === "exp")!;
    expect(describeNode(scores)).toBe(`matmul %${scores.id} 'scores' [2, 2]`);
    expect(describeNode(exp)).toBe(`exp %${exp.id} [2, 3]`);
  });
});

describe("BackendLife.awaitLive", () => {
  it("starts nothing once disposed, and fails naming the dispose when it comes while waiting", async () => {
    const life = new BackendLife("demo");
    let started = 0;
    expect(await life.awaitLive("compile", async () => (started++, 7))).toBe(7);
    let finish = (_: number): void => {};
    const pending = life.awaitLive("upload", () => (started++, new Promise<number>((resolve) => (finish = resolve))));
    life.dispose();
    finish(8);
    await expect(pending).rejects.toThrow("demo: upload after dispose(): create a new backend");
    await expect(life.awaitLive("compile", async () => (started++, 9))).rejects.toThrow("demo: compile after dispose(): create a new backend");
    expect(started).toBe(2);
  });
});
