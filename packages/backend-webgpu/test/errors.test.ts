import { DTypeError, input, ops, runToHost, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { WebGpuBackend } from "../src/index.js";
import { describeGpu } from "./gpu.js";
import { normals } from "./helpers.js";

describe("no adapter", () => {
  it("rejects with how to get one", async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    const failure = WebGpuBackend.create({ gpu });
    await expect(failure).rejects.toThrow(/no WebGPU adapter/);
    await expect(failure).rejects.toThrow("sudo bash scripts/install-webgpu-driver.sh");
    await expect(failure).rejects.toThrow(/machine with a GPU/);
  });

  it("a backend constructed directly fails on first use, not as an unhandled rejection", async () => {
    const backend = new WebGpuBackend({ gpu: { requestAdapter: async () => null } as unknown as GPU });
    await expect(backend.upload(normals([2], 1))).rejects.toThrow(/no WebGPU adapter/);
    await backend.dispose();
  });
});

/** Dawn's instance must outlive its devices: collecting it under a live device crashes the process. */
let dawnInstance: GPU | undefined;

/** A device of our own, through Dawn, so the test can destroy it. */
async function ownDevice(): Promise<GPUDevice> {
  const specifier = "webgpu";
  const dawn = (await import(specifier)) as { create(options: string[]): GPU };
  dawnInstance ??= dawn.create([]);
  const adapter = await dawnInstance.requestAdapter();
  return adapter!.requestDevice();
}

const small = trace({ x: input([4, 3], "float32") }, ({ x }) => ({ y: ops.tanh(ops.mul(x, 2)) }));

describeGpu("errors", () => {
  it("compiling a float64 program rejects with an unsupported dtype error naming the op", async () => {
    const backend = await WebGpuBackend.create();
    try {
      const p = trace({ x: input([2, 2], "float32") }, ({ x }) => ({ y: ops.cast(ops.exp(ops.cast(x, "float64")), "float32") }));
      const error = await backend.compile(p).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DTypeError);
      expect((error as Error).message).toMatch(/unsupported dtype float64 at cast %1/);
    } finally {
      await backend.dispose();
    }
  });

  it("a lost device fails the next run with its reason; a fresh backend recovers", async () => {
    const device = await ownDevice();
    const backend = new WebGpuBackend({ device });
    const executable = await backend.compile(small);
    const feeds = { x: normals([4, 3], 1) };
    expect((await runToHost(executable, feeds))["y"]!.data).toHaveLength(12);
    device.destroy();
    // Whichever notices first (the run, or the read it waits on), the error names the loss and its reason.
    await expect(runToHost(executable, feeds)).rejects.toThrow(/device was lost \(reason: destroyed/);
    await device.lost;
    await expect(executable.run(feeds)).rejects.toThrow(/device was lost \(reason: destroyed.*create a new backend/);
    await expect(backend.compile(trace({ x: input([2], "float32") }, ({ x }) => ({ y: ops.exp(x) })))).rejects.toThrow(/device was lost/);
    await backend.dispose();
    // dispose left the device it was given to its owner (already destroyed here); a new backend works.
    const fresh = await WebGpuBackend.create();
    const again = await fresh.compile(small);
    expect((await runToHost(again, feeds))["y"]!.data[0]).toBeCloseTo(Math.tanh(2 * feeds.x.data[0]!), 5);
    await fresh.dispose();
  });

  it("a tensor over maxStorageBufferBindingSize is rejected at compile, naming the op and both sizes", async () => {
    const backend = await WebGpuBackend.create();
    try {
      const limit = backend.device!.limits.maxStorageBufferBindingSize;
      const side = Math.ceil(Math.sqrt(limit / 4)) + 16;
      const p = trace({ x: input([side], "float32"), y: input([side], "float32") }, ({ x, y }) => ({ outer: ops.matmul(ops.reshape(x, [side, 1]), ops.reshape(y, [1, side])) }));
      const error = (await backend.compile(p).catch((e: unknown) => e)) as Error;
      expect(error.message).toContain(`matmul %`);
      expect(error.message).toContain(`[${side}, ${side}]`);
      expect(error.message).toContain(`${side * side * 4}-byte`);
      expect(error.message).toContain(`maxStorageBufferBindingSize of ${limit} bytes`);
      // Whole (the upload checks its data first): 128 MiB on the default limit lavapipe has.
      const big = { shape: [limit / 4 + 1], dtype: "float32" as const, data: new Float32Array(limit / 4 + 1) };
      await expect(backend.upload(big)).rejects.toThrow(`over this device's maxStorageBufferBindingSize of ${limit} bytes`);
    } finally {
      await backend.dispose();
    }
  });

  it("dispose destroys a device the backend created", async () => {
    const backend = await WebGpuBackend.create();
    const device = backend.device!;
    await backend.dispose();
    const info = await device.lost;
    expect(info.reason).toBe("destroyed");
    await expect(backend.compile(small)).rejects.toThrow("webgpu: compile after dispose(): create a new backend");
  });
});
