import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { input, ops, runToHost, trace } from "@unfold/core";
import { expect, it } from "vitest";
import { WebGpuBackend } from "../src/index.js";
import { describeGpu } from "./gpu.js";
import { normals } from "./helpers.js";

// A full collection before each sample, so the figure is native memory, not JavaScript garbage.
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

const rssMB = (): number => {
  collect();
  return process.memoryUsage().rss / 2 ** 20;
};

const program = trace({ x: input([32, 32], "float32") }, ({ x }) => ({ y: ops.sum(ops.matmul(x, ops.exp(x)), -1) }));

/** One backend life: create, compile, run, read, dispose. */
async function life(): Promise<void> {
  const backend = await WebGpuBackend.create();
  try {
    const { y } = await runToHost(await backend.compile(program), { x: normals([32, 32], 1) });
    expect(y!.data).toHaveLength(32);
  } finally {
    await backend.dispose();
  }
}

describeGpu("backend lifetimes", () => {
  it("many backend lives in one process do not grow native memory", async () => {
    // Warm-up: the process's Dawn instance, the driver's first shader compiles and its thread
    // pool, the allocator's arenas. RSS climbs for the first 50 to 90 lives, then stays flat.
    for (let i = 0; i < 60; i++) await life();
    // Then 200 lives, RSS sampled every 10: the median of the last five samples against the
    // median of the first five (150 lives apart), so one sample caught high or low does not decide.
    const samples: number[] = [];
    for (let i = 1; i <= 200; i++) {
      await life();
      if (i % 10 === 0) samples.push(rssMB());
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const growth = median(samples.slice(-5)) - median(samples.slice(0, 5));
    console.info(`webgpu: RSS over 150 backend lives after a warm-up: ${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB (samples ${samples.map((m) => m.toFixed(0)).join(" ")})`);
    // A Dawn instance per backend grew RSS by about 2.5 MB a life (400 MB here); a device kept
    // alive by its own error listener, by about 0.45 MB a life (65 MB); a steady process stays
    // within about 10 MB either way.
    expect(growth).toBeLessThan(25);
  });

  it("a backend on a device passed in takes its listener away on dispose and leaves the device alive", async () => {
    const owner = await WebGpuBackend.create();
    try {
      const device = owner.device!;
      const added: EventListenerOrEventListenerObject[] = [];
      const removed: EventListenerOrEventListenerObject[] = [];
      const add = device.addEventListener.bind(device);
      const remove = device.removeEventListener.bind(device);
      device.addEventListener = ((type: string, listener: EventListenerOrEventListenerObject) => (added.push(listener), add(type, listener))) as typeof device.addEventListener;
      device.removeEventListener = ((type: string, listener: EventListenerOrEventListenerObject) => (removed.push(listener), remove(type, listener))) as typeof device.removeEventListener;
      try {
        const guest = await WebGpuBackend.create({ device });
        await guest.dispose();
      } finally {
        device.addEventListener = add;
        device.removeEventListener = remove;
      }
      expect(added).toHaveLength(1);
      expect(removed).toEqual(added);
      // The device is the owner's still.
      expect((await runToHost(await owner.compile(program), { x: normals([32, 32], 2) }))["y"]!.data).toHaveLength(32);
    } finally {
      await owner.dispose();
    }
  });
});
