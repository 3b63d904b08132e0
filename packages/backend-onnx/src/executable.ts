import { type BackendLife, type CompileOptions, type DeviceTensor, type Executable, ExecutableLife, type Feeds, type Program, UnfoldError, formatShape, isDeviceTensor, sizeOf } from "@unfold/core";
import type * as Ort from "onnxruntime-web";
import type { OnnxModel } from "./export.js";
import { forgetSession, releaseWhenCollected } from "./lifetime.js";
import { queueOrtRun } from "./run-queue.js";
import type { OrtModule } from "./runtime.js";
import { OnnxTensor } from "./tensor.js";

/** A program compiled for the ONNX backend: its model and the InferenceSession that runs it. */
export interface OnnxExecutable extends Executable {
  /** The model bytes the session was created from (what exportOnnx would give). */
  readonly model: Uint8Array;
  /** Releases the session once any queued run has finished; later runs throw. A second call does nothing. */
  release(): Promise<void>;
}

/**
 * Binds a session to its program. The compile options change nothing here: see README on poison
 * (outputs are fresh onnxruntime allocations, always size-checked). Left out of the published
 * declarations (it names onnxruntime-web's types, which need lib.dom): OnnxBackend.compile is the way in.
 * @internal
 */
export function bindSession(ort: OrtModule, program: Program, model: OnnxModel, session: Ort.InferenceSession, _options: CompileOptions, life: BackendLife): OnnxExecutable {
  const lifecycle = new ExecutableLife(life, "onnx");
  releaseWhenCollected(session);
  // Runs queue process-wide (run-queue.ts), so overlapping callers each get their own answer;
  // `lastRun` is this session's latest, which release() waits for.
  let lastRun: Promise<unknown> = Promise.resolve();
  const outputs = program.outputs.map((o) => ({ name: o.name, graphName: model.outputs.get(o.name)!, node: program.nodes[o.id]! }));

  const run = async (feeds: Feeds): Promise<Record<string, DeviceTensor>> => {
    lifecycle.checkRunAndFeeds(program, feeds);
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const [feed, graphName] of model.inputs) {
      const f = feeds[feed]!;
      // ORT copies inputs into its heap and never writes them, so host arrays go in as they are.
      ortFeeds[graphName] = isDeviceTensor(f) ? (f as OnnxTensor).ortTensor : new ort.Tensor(f.dtype, f.data, [...f.shape]);
    }
    const task = queueOrtRun(() => session.run(ortFeeds));
    lastRun = task.catch(() => undefined);
    const result = await task;
    const outs: Record<string, DeviceTensor> = {};
    for (const o of outputs) {
      const t = result[o.graphName];
      // What poisoning guards against elsewhere (an element nobody wrote) shows here as an output
      // of the wrong size: ORT allocates every output afresh, so there is no buffer to pre-fill.
      if (!t || t.data.length !== sizeOf(o.node.shape)) {
        throw new UnfoldError("onnx backend", `onnxruntime returned ${t ? `${t.data.length} values` : "nothing"} for output '${o.name}' ${formatShape(o.node.shape)}`);
      }
      outs[o.name] = OnnxTensor.wrap(t, o.node.shape, o.node.dtype, life);
    }
    return outs;
  };
  return {
    program,
    model: model.bytes,
    run,
    release: async () => {
      if (!lifecycle.release()) return;
      forgetSession(session);
      await lastRun;
      await session.release();
    },
  };
}
