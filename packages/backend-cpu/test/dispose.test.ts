// What dispose() must stop even when it races the backend's start: the first compile makes the
// matrix engine and its worker threads asynchronously, and a dispose() in between must not
// leave threads behind or restart them. The rule for every use after dispose() is the
// conformance suite's (lifetimes group), which this backend passes.
import { readdirSync } from "node:fs";
import { hostTensor, input, ops, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { CpuBackend } from "../src/index.js";

const linux = process.platform === "linux";
const osThreadIds = (): Set<string> => new Set(readdirSync("/proc/self/task"));
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (up to a generous deadline) for the threads in `ids` to exit; returns those still running. */
async function stillRunning(ids: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const alive = osThreadIds();
    const left = ids.filter((id) => alive.has(id));
    if (left.length === 0 || Date.now() > deadline) return left;
    await tick(20);
  }
}

const program = trace({ x: input([16, 16], "float32") }, ({ x }) => ({ y: ops.sum(ops.matmul(x, x)) }));

describe.runIf(linux)("cpu backend: dispose() during its first compile", () => {
  it("rejects that compile and stops the threads it was starting", async () => {
    const before = osThreadIds();
    const cpu = new CpuBackend({ threads: 3 });
    const compiling = cpu.compile(program);
    const disposing = cpu.dispose();
    await expect(compiling).rejects.toThrow("cpu: compile after dispose(): create a new backend");
    await disposing;
    // The backend is still referenced here, so only dispose() can have stopped them.
    const started = [...osThreadIds()].filter((id) => !before.has(id));
    expect(await stillRunning(started)).toEqual([]);
    await expect(cpu.compile(program)).rejects.toThrow("cpu: compile after dispose()");
    await expect(cpu.upload(hostTensor([1], [1]))).rejects.toThrow("cpu: upload after dispose()");
    await expect(cpu.engineInfo()).rejects.toThrow("cpu: engineInfo after dispose()");
    // Nothing was started again by those calls.
    expect(await stillRunning([...osThreadIds()].filter((id) => !before.has(id)))).toEqual([]);
  });
});
