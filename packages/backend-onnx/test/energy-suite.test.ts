// Every zoo energy on the ONNX backend (float32 and float64) against the float64 reference and
// under a throwing guard; and every zoo energy exported with a symbolic batch axis, each file run
// in a fresh onnxruntime-web session at two batch sizes.
import { type HostTensor, hostTensor } from "@unfold/core";
import { describeEnergyExport, describeEnergySuite } from "@unfold/conformance/energies";
import * as ort from "onnxruntime-web";
import { OnnxBackend, buildOnnxModel } from "../src/index.js";

describeEnergySuite({ name: "onnx (wasm)", create: () => new OnnxBackend() });

/** A fresh session per file and run, released afterwards: nothing is shared with the backend's sessions. */
async function runInFreshSession(bytes: Uint8Array, feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.dtype, t.data, [...t.shape])]));
    const outputs = await session.run(inputs);
    return Object.fromEntries(
      Object.entries(outputs).map(([name, t]) => {
        if (t.type !== "float32" && t.type !== "float64") throw new Error(`output '${name}' is ${t.type}, not a float tensor`);
        return [name, hostTensor(t.data as Float32Array | Float64Array, t.dims.map(Number), t.type)];
      }),
    );
  } finally {
    await session.release();
  }
}

describeEnergyExport({ name: "exportOnnx (onnxruntime-web)", export: buildOnnxModel, run: runInFreshSession });
