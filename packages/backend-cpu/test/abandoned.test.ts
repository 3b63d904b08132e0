// A CPU backend dropped without dispose() must not keep its worker threads (each a JavaScript
// engine of its own, several MB) and the shared memory they hold until the process exits: once
// collected, its pool stops them. Worker threads are OS threads, so on Linux /proc/self/task
// shows them; the tests follow the ids of the threads the backends started (V8 and libuv start
// helper threads of their own at any time, so a plain count would mislead).
import { readdirSync } from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";
import { hostTensor, input, ops, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { CpuBackend } from "../src/index.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const linux = process.platform === "linux";
const osThreadIds = (): Set<string> => new Set(readdirSync("/proc/self/task"));
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Which backends were collected, by label. A FinalizationRegistry rather than WeakRefs: a WeakRef
 * made in a job keeps its target alive until the job ends, and Node may keep it longer.
 */
const collected = new Set<string>();
const watcher = new FinalizationRegistry<string>((label) => collected.add(label));

const program = trace({ x: input([32, 32], "float32") }, ({ x }) => ({ y: ops.sum(ops.matmul(x, x)) }));
const x = hostTensor(new Float32Array(32 * 32).fill(0.5), [32, 32], "float32");

/**
 * Makes `count` backends with worker threads, uses each (the first compile starts the threads)
 * and drops them without dispose(). Returns the ids of the threads they started and the labels
 * they are watched under (see `collected`); nothing else of them survives this function.
 */
async function abandon(name: string, count: number, threads: number): Promise<{ started: string[]; labels: string[] }> {
  const before = osThreadIds();
  const started = new Set<string>();
  const labels: string[] = [];
  for (let i = 0; i < count; i++) {
    const backend = new CpuBackend({ threads });
    const out = await (await backend.compile(program)).run({ x });
    await out["y"]!.read();
    labels.push(`${name} ${i}`);
    watcher.register(backend, labels.at(-1)!);
    // Noted now: some may be stopped again before the loop ends.
    for (const id of osThreadIds()) if (!before.has(id)) started.add(id);
  }
  return { started: [...started], labels };
}

/** Collects garbage until none of `ids` is running, or a generous deadline passes; returns those left. */
async function collectUntilGone(ids: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    gc();
    // Finalizers run as tasks after the collection, and a terminated thread takes a moment to exit.
    await tick(50);
    const alive = osThreadIds();
    const left = ids.filter((id) => alive.has(id));
    if (left.length === 0 || Date.now() > deadline) return left;
  }
}

describe.runIf(linux)("cpu backends dropped without dispose()", () => {
  it("are collected, and their worker threads stop", async () => {
    const { started, labels } = await abandon("collected", 4, 3);
    // Two workers each (threads includes the caller's).
    expect(started.length).toBeGreaterThanOrEqual(8);
    expect(await collectUntilGone(started)).toEqual([]);
    expect(labels.filter((l) => !collected.has(l))).toEqual([]);
  });

  it("do not pile up when nobody forces a collection: the threads they started are mostly stopped already", async () => {
    // Past a few undisposed backends, each new pool weighs on the collector as much as its
    // threads cost (threads/pool.ts), which brings collections that stop the threads of the
    // backends dropped before. Without that weight the collector saw a few KB per backend and
    // all 40 kept their threads.
    const count = 40;
    const { started } = await abandon("unforced", count, 2);
    const alive = osThreadIds();
    const running = started.filter((id) => alive.has(id));
    expect(started.length).toBeGreaterThanOrEqual(count);
    expect(running.length).toBeLessThan(count / 2);
    expect(await collectUntilGone(started)).toEqual([]);
  });

  it("a disposed backend's threads stop at dispose(), and the backend can be collected afterwards", async () => {
    const before = osThreadIds();
    let backend: CpuBackend | undefined = new CpuBackend({ threads: 3 });
    await (await backend.compile(program)).run({ x });
    const started = [...osThreadIds()].filter((id) => !before.has(id));
    expect(started.length).toBeGreaterThanOrEqual(2);
    await backend.dispose();
    const deadline = Date.now() + 60_000;
    while (started.some((id) => osThreadIds().has(id)) && Date.now() < deadline) await tick(20);
    expect(started.filter((id) => osThreadIds().has(id))).toEqual([]);
    watcher.register(backend, "disposed");
    backend = undefined;
    for (let i = 0; i < 100 && !collected.has("disposed"); i++) {
      gc();
      await tick(20);
    }
    expect(collected.has("disposed")).toBe(true);
  });
});
