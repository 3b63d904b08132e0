import type * as Jax from "@jax-js/jax";
import type { Array64 } from "../workloads/problem.js";

type JaxModule = typeof Jax;
/** jax-js's array type (exported as `Array`, which would shadow the global one if imported bare). */
export type JArray = Jax.Array;

/** A float32 array on the wasm device holding the problem's values. */
export function arrayOf(jax: JaxModule, a: Array64): JArray {
  const np = jax.numpy;
  return np.array(Float32Array.from(a.data), { shape: [...a.shape], dtype: np.float32, device: "wasm" });
}

/** Reads `a` back as float64, consuming it (data() takes ownership of the array it reads). */
export async function float64(a: JArray): Promise<Float64Array> {
  return Float64Array.from(await a.data());
}

/** Drops one count unless the array is already freed (a step that threw may have consumed it). */
export function release(a: JArray): void {
  if (a.refCount > 0) a.dispose();
}
