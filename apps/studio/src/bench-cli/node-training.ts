// The Node side of the training comparison: the page's training run (the trainer's quick config
// on the page's own digits, decoded from the same bytes the build ships) in this Node process,
// on the backend as the trainer creates it, timed as the page's run is: steps per second over
// the steps after the warm-up, compiling excluded.
import { availableParallelism } from "node:os";
import { mnistSplit } from "@unfold/datasets";
import type { Backend } from "@unfold/core";
import { TrainingSession, buildModel } from "@unfold/training";
import { pageDigitsBytes } from "../../vite/mnist-asset.js";
import { decodeDigits } from "../train/digits-format.js";
import { DIGITS_FILE } from "../train/digits-file.js";
import { QUICK_PATCH, quickModelConfig, quickTrainConfig } from "../train/quick-config.js";
import { pageMnistTask } from "../train/task.js";
import type { BenchBackend } from "./options.js";

export interface NodeTraining {
  readonly backend: BenchBackend;
  /** What the backend runs on, in words. */
  readonly engine: string;
  /** Threads of the CPU backend or of onnxruntime's wasm provider; undefined on WebGPU and TensorFlow.js. */
  readonly threads: number | undefined;
  readonly steps: number;
  readonly stepsPerSecond: number;
  /** Opening the session: compiling its programs and uploading the parameters. */
  readonly compileMs: number;
}

/**
 * The backend as `pnpm train --backend <name>` creates it (apps/trainer/src/train/backends.ts):
 * the CPU backend with relaxed SIMD where V8 has it, the CPU backend and onnxruntime's wasm
 * provider on every core unless `threads` is given, TensorFlow.js on its wasm engine.
 */
async function nodeBackend(name: BenchBackend, threads: number | undefined): Promise<{ backend: Backend; engine: string; threads: number | undefined }> {
  const node = `Node ${process.versions.node}`;
  switch (name) {
    case "cpu": {
      const [{ CpuBackend }, { enableRelaxedSimd }] = await Promise.all([import("@unfold/backend-cpu"), import("@unfold/backend-cpu/node")]);
      enableRelaxedSimd();
      const backend = new CpuBackend(threads === undefined ? {} : { threads });
      const info = await backend.engineInfo();
      const simd = info.simd ? (info.relaxed ? "relaxed SIMD" : "SIMD") : "scalar";
      return { backend, engine: `WebAssembly ${simd}, ${info.threads} thread${info.threads === 1 ? "" : "s"} (${node})`, threads: info.threads };
    }
    case "webgpu": {
      const { WebGpuBackend } = await import("@unfold/backend-webgpu");
      const backend = await WebGpuBackend.create();
      const info = backend.device?.adapterInfo;
      const adapter = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ") : "";
      return { backend, engine: `WebGPU (Dawn in Node)${adapter ? ` on ${adapter}` : ""}`, threads: undefined };
    }
    case "onnx": {
      const { OnnxBackend } = await import("@unfold/backend-onnx");
      const backend = new OnnxBackend({ executionProvider: "wasm", threads: threads ?? availableParallelism() });
      const info = await backend.engineInfo();
      return { backend, engine: `onnxruntime-web ${info.version}, ${info.executionProvider} provider, ${info.threads} thread${info.threads === 1 ? "" : "s"} (${node})`, threads: info.threads };
    }
    case "tfjs": {
      const { TfjsBackend } = await import("@unfold/backend-tfjs");
      return { backend: new TfjsBackend({ engine: "wasm" }), engine: `TensorFlow.js wasm engine (${node})`, threads: undefined };
    }
  }
}

/** Runs `warmup` untimed steps of the page's run in this process, then times `steps` more. */
export async function trainInNode(name: BenchBackend, warmup: number, steps: number, threads?: number): Promise<NodeTraining> {
  const task = pageMnistTask(decodeDigits(pageDigitsBytes(mnistSplit), DIGITS_FILE), QUICK_PATCH);
  const opened = await nodeBackend(name, threads);
  try {
    const start = performance.now();
    const session = await TrainingSession.open(opened.backend, { model: buildModel(quickModelConfig(), task), task, train: quickTrainConfig(), dtype: "float32" });
    const compileMs = performance.now() - start;
    try {
      for (let i = 0; i < warmup; i++) await session.next();
      const timed = performance.now();
      for (let i = 0; i < steps; i++) await session.next();
      const seconds = (performance.now() - timed) / 1000;
      return { backend: name, engine: opened.engine, threads: opened.threads, steps, stepsPerSecond: steps / seconds, compileMs };
    } finally {
      session.dispose();
    }
  } finally {
    await opened.backend.dispose();
  }
}
