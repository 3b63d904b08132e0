// Live descent: the page draws the run so far after every layer and waits for the next animation
// frame before the next layer, so the tokens move one layer per frame.
import type { DescentResult, LayerEnergy } from "./descent.js";

/**
 * Resolves at the next animation frame; at once in a hidden page, where the browser holds
 * animation frames back and a run would otherwise stall until the page is shown again.
 */
export function nextFrame(): Promise<void> {
  if (document.hidden) return Promise.resolve();
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

/** runDescent's onLayer for a live view: `draw` the run so far, then wait for the next frame. */
export function drawEachFrame(draw: (sofar: DescentResult) => void): (layer: LayerEnergy, state: Float64Array, sofar: DescentResult) => Promise<void> {
  return async (_layer, _state, sofar) => {
    draw(sofar);
    await nextFrame();
  };
}
