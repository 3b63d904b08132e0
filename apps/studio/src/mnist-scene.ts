// A bundled MNIST digit as tokens: the 28 x 28 digit padded with a 2-pixel border to 32 x 32 and
// cut into 4 x 4 patches, 64 tokens in 16-D (the live bench's size, so its frame rate is this
// scene's), descending the Yang et al. energy. Pixels are in [0, 1], non-negative as the ReLU
// step's projection set wants them. Pure (no DOM): the page passes a digit of the build's digits
// file, Node the same digit from @unfold/datasets, and both get the same unfolding.
import { MNIST_SIDE, patchTokens } from "@unfold/datasets/tokens";
import type { Scene } from "./scenes.js";
import { yangSceneInstance } from "./yang-scene.js";

/** The scene's name in the energy <select>. */
export const MNIST_SCENE = "mnist";
/** The padded image's side: 28 + 2 + 2, the smallest multiple of the patch side with a border on every side. */
export const MNIST_PADDED_SIDE = 32;
/** Each token is a PATCH x PATCH square of pixels. */
export const MNIST_PATCH = 4;
const BORDER = (MNIST_PADDED_SIDE - MNIST_SIDE) / 2;
/** (32 / 4)^2 = 64 tokens. */
export const MNIST_TOKENS = (MNIST_PADDED_SIDE / MNIST_PATCH) ** 2;
/** 4 x 4 = 16 pixels a token. */
export const MNIST_TOKEN_DIM = MNIST_PATCH * MNIST_PATCH;
const MNIST_LAYERS = 8;
const MNIST_SEED = 520;

/** The digit (28 x 28, row-major) centred in a 32 x 32 image of zeros. */
export function padDigit(digit: Float64Array): Float64Array {
  if (digit.length !== MNIST_SIDE * MNIST_SIDE) throw new Error(`an MNIST digit has ${MNIST_SIDE} x ${MNIST_SIDE} = ${MNIST_SIDE * MNIST_SIDE} pixels, got ${digit.length}`);
  const padded = new Float64Array(MNIST_PADDED_SIDE * MNIST_PADDED_SIDE);
  for (let r = 0; r < MNIST_SIDE; r++) padded.set(digit.subarray(r * MNIST_SIDE, (r + 1) * MNIST_SIDE), (r + BORDER) * MNIST_PADDED_SIDE + BORDER);
  return padded;
}

/** The digit's tokens, [64 x 16] row-major: patch (row, column) in row-major patch order, its pixels row-major. */
export function mnistPatchTokens(digit: Float64Array): Float64Array {
  return patchTokens(padDigit(digit), 1, MNIST_PADDED_SIDE, MNIST_PATCH).tokens;
}

/** Tokens back into the padded 32 x 32 image they were cut from (the page draws the tokens after the last layer this way). */
export function patchesToImage(tokens: Float64Array): Float64Array {
  if (tokens.length !== MNIST_TOKENS * MNIST_TOKEN_DIM) throw new Error(`${MNIST_TOKENS} tokens of ${MNIST_TOKEN_DIM} pixels are ${MNIST_TOKENS * MNIST_TOKEN_DIM} values, got ${tokens.length}`);
  const grid = MNIST_PADDED_SIDE / MNIST_PATCH;
  const image = new Float64Array(MNIST_PADDED_SIDE * MNIST_PADDED_SIDE);
  tokens.forEach((value, i) => {
    const token = Math.floor(i / MNIST_TOKEN_DIM);
    const pixel = i % MNIST_TOKEN_DIM;
    const row = Math.floor(token / grid) * MNIST_PATCH + Math.floor(pixel / MNIST_PATCH);
    const column = (token % grid) * MNIST_PATCH + (pixel % MNIST_PATCH);
    image[row * MNIST_PADDED_SIDE + column] = value;
  });
  return image;
}

/** The MNIST scene, with the digit it cuts into tokens. */
export interface MnistScene extends Scene {
  readonly digit: { readonly index: number; readonly label: number };
}

/** The digit of an MNIST scene; undefined for any other scene. */
export function digitOf(scene: Scene): MnistScene["digit"] | undefined {
  return (scene as Partial<MnistScene>).digit;
}

/**
 * Test digit `index` (label `label`) of the bundled digits as a scene: its 64 patches in 16-D, one
 * sequence, under the Yang et al. energy with one head and seeded weights (tied, or one set per layer).
 */
export function mnistScene(digit: Float64Array, label: number, index: number): MnistScene {
  if (!(Number.isInteger(label) && label >= 0 && label <= 9)) throw new Error(`an MNIST label is a digit 0..9, got ${label}`);
  const tokens = mnistPatchTokens(digit);
  return {
    name: MNIST_SCENE,
    digit: { index, label },
    reference: `MNIST test digit ${index} (a ${label}), padded to ${MNIST_PADDED_SIDE} x ${MNIST_PADDED_SIDE} and cut into ${MNIST_TOKENS} patches of ${MNIST_PATCH} x ${MNIST_PATCH}: ${MNIST_TOKENS} tokens in ${MNIST_TOKEN_DIM}-D under the Yang et al. energy (NeurIPS 2022), one head`,
    guarantee: "each step lowers its own term: the attention MM step for any damping in (0, 2), the ReLU step below 2/L",
    build: (dtype) =>
      yangSceneInstance({ dim: MNIST_TOKEN_DIM, tokens, shape: [1, MNIST_TOKENS, MNIST_TOKEN_DIM], layers: MNIST_LAYERS, seed: MNIST_SEED }, dtype),
  };
}
