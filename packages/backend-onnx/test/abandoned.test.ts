// onnxruntime-web keeps each session's graph and buffers in its WebAssembly heap, which never
// shrinks, until the session is released. A session of an executable or backend dropped without
// dispose() must be released once it is collected. The sessions are watched through
// onnxruntime's own release path (the session handler's dispose), wrapped here.
import v8 from "node:v8";
import vm from "node:vm";
import { hostTensor, input, ops, param, trace } from "@unfold/core";
import * as ort from "onnxruntime-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnnxBackend } from "../src/index.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One entry per session created in this file: how often onnxruntime was asked to release it. */
const sessions: { releases: number }[] = [];
type Create = typeof ort.InferenceSession.create;
const create: Create = ort.InferenceSession.create;

beforeAll(() => {
  ort.InferenceSession.create = (async (...args: Parameters<Create>) => {
    const session = await create.apply(ort.InferenceSession, args);
    const handler = (session as unknown as { handler: { dispose(): Promise<void> } }).handler;
    const entry = { releases: 0 };
    const dispose = handler.dispose.bind(handler);
    handler.dispose = () => (entry.releases++, dispose());
    sessions.push(entry);
    return session;
  }) as Create;
});
afterAll(() => {
  ort.InferenceSession.create = create;
});

const program = (scale: number) => trace({ x: input([8, 8], "float32"), W: param([8, 8], "float32") }, ({ x, W }) => ({ y: ops.tanh(ops.mul(ops.matmul(x, W), scale)) }));
const x = hostTensor(new Float32Array(64).fill(0.25), [8, 8], "float32");

/** Compiles and runs `count` programs on a backend that is then dropped without dispose(). */
async function abandon(count: number): Promise<void> {
  const backend = new OnnxBackend();
  for (let i = 0; i < count; i++) {
    const out = await (await backend.compile(program(i + 1))).run({ x, W: x });
    await out["y"]!.read();
  }
}

describe("onnx sessions nobody released", () => {
  it("are released once their backend, dropped without dispose(), is collected", async () => {
    const first = sessions.length;
    await abandon(3);
    const mine = sessions.slice(first);
    expect(mine.length).toBe(3);
    expect(mine.map((s) => s.releases)).toEqual([0, 0, 0]);
    const deadline = Date.now() + 60_000;
    while (mine.some((s) => s.releases === 0) && Date.now() < deadline) {
      gc();
      await tick(50);
    }
    expect(mine.map((s) => s.releases)).toEqual([1, 1, 1]);
  });

  it("are released once, by dispose(), when the backend is disposed and then collected", async () => {
    const first = sessions.length;
    const dispose = async (): Promise<void> => {
      const backend = new OnnxBackend();
      await (await backend.compile(program(1))).run({ x, W: x });
      await backend.dispose();
    };
    await dispose();
    const mine = sessions.slice(first);
    expect(mine.map((s) => s.releases)).toEqual([1]);
    // Collecting the released session must not release it a second time.
    for (let i = 0; i < 20; i++) {
      gc();
      await tick(20);
    }
    expect(mine.map((s) => s.releases)).toEqual([1]);
  });
});
