// The MNIST scene's tokens put back together as the image they were cut from: the digit at the
// input and the tokens after the last layer, each a 32 x 32 picture (Observable Plot raster).
import type { DescentResult } from "./descent.js";
import { drawMatrix } from "./heatmap.js";
import { MNIST_PADDED_SIDE, patchesToImage } from "./mnist-scene.js";

/** Draws the input and the last layer's tokens into `parent` (emptied first). */
export function drawDigitTokens(parent: HTMLElement, result: DescentResult): void {
  parent.replaceChildren();
  const last = result.states.length - 1;
  for (const [layer, title] of [[0, "the digit's patches (input)"], [last, `the patches after layer ${last}`]] as const) {
    drawMatrix(parent, {
      title,
      rows: MNIST_PADDED_SIDE,
      cols: MNIST_PADDED_SIDE,
      values: patchesToImage(result.states[layer]!),
      label: "pixel",
      description: `${title}: the 64 tokens of 4 x 4 pixels put back in their places in the 32 x 32 image`,
      size: 160,
    });
  }
}
