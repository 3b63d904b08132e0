// The Node side of the browser test: the run the page takes layer by layer, taken whole by
// core's runUnfolding on the float64 reference backend.
import { ReferenceBackend, runUnfolding } from "@unfold/core";
import { type DescentSettings, type LayerEnergy, unfoldingFor } from "../src/descent.js";
import { type Scene, sceneNamed } from "../src/scenes.js";

/** The energy trace of `energy` (a zoo scene's name, or a scene such as an MNIST digit's) under `settings`. */
export async function nodeReferenceTrace(energy: string | Scene, settings: DescentSettings): Promise<LayerEnergy[]> {
  const instance = (typeof energy === "string" ? sceneNamed(energy) : energy).build("float64");
  const { unfolding, params } = unfoldingFor(instance, settings);
  const { trace } = await runUnfolding(unfolding, new ReferenceBackend(), { state: instance.state, params });
  return trace.layers.map((l) => ({ layer: l.layer, energy: l.energy, terms: l.terms }));
}

/** The largest relative difference, energy and every term, over the layers (a missing layer or term is Infinity). */
export function worstRelativeDifference(got: readonly LayerEnergy[], want: readonly LayerEnergy[]): number {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  want.forEach((w, i) => {
    const g = got[i]!;
    const pairs: [number | undefined, number][] = [[g.energy, w.energy], ...Object.entries(w.terms).map(([t, v]): [number | undefined, number] => [g.terms[t], v])];
    for (const [a, b] of pairs) {
      if (a === undefined) return void (worst = Infinity);
      worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(b), 1e-12));
    }
  });
  return worst;
}
