/**
 * The pool's workers on Node's worker_threads. A worker takes the loop-kernel modules posted to
 * it straight off its port (receiveMessageOnPort), inside its Atomics loop.
 */
import type { MessagePort, Worker as NodeWorker } from "node:worker_threads";
import type { PoolWorkers, StartWorkers } from "./pool-workers.js";
import type { SharedKernelMessage, WorkerData } from "./worker-main.js";
import { type WorkerProgram, workerDeclarations } from "./worker-source.js";

/** What a Node worker gets as its workerData: the pool's start data and its kernel port. */
interface NodeWorkerData {
  readonly data: WorkerData;
  readonly kernels: MessagePort;
}

function nodeWorkerSource(program: WorkerProgram): string {
  return [
    '"use strict";',
    'const { workerData, parentPort, receiveMessageOnPort } = require("node:worker_threads");',
    ...workerDeclarations(program),
    "const inbox = { receive: () => receiveMessageOnPort(workerData.kernels)?.message };",
    'workerMain(workerData.data, () => parentPort.postMessage("ready"), runners, wasmGemm, plainGemm, kernelChunk, inbox);',
  ].join("\n");
}

export const startNodeWorkers: StartWorkers = async (size, dataOf, program) => {
  const { MessageChannel, Worker } = await import("node:worker_threads");
  const source = nodeWorkerSource(program);
  const workers: NodeWorker[] = [];
  const ports: MessagePort[] = [];
  try {
    for (let i = 0; i < size; i++) {
      const channel = new MessageChannel();
      ports.push(channel.port1);
      const workerData: NodeWorkerData = { data: dataOf(i + 1), kernels: channel.port2 };
      workers.push(new Worker(source, { eval: true, workerData, transferList: [channel.port2] }));
    }
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once("message", () => resolve());
            w.once("error", reject);
            w.once("exit", (code) => reject(new Error(`cpu worker thread exited early (code ${code})`)));
          }),
      ),
    );
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    for (const port of ports) port.close();
    throw error;
  }
  // Idle workers hold no handles of their own; unref so an undisposed pool never keeps
  // the process alive.
  for (const w of workers) {
    w.removeAllListeners();
    w.on("error", () => undefined);
    w.unref();
  }
  // The ports only carry modules to workers that poll them; they must not keep Node alive.
  for (const port of ports) port.unref();
  const { Buffer } = await import("node:buffer");
  return nodeWorkers(workers, ports, Buffer);
};

/** The started workers as the pool sees them; nothing here reaches the pool. */
function nodeWorkers(workers: readonly NodeWorker[], ports: readonly MessagePort[], buffer: { allocUnsafeSlow(bytes: number): Uint8Array }): PoolWorkers {
  return {
    size: workers.length,
    post(message: SharedKernelMessage) {
      for (const port of ports) port.postMessage(message);
    },
    terminate() {
      for (const port of ports) port.close();
      return Promise.all(workers.map((w) => w.terminate()));
    },
    weight: (bytes) => buffer.allocUnsafeSlow(bytes),
  };
}
