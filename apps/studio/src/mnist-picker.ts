// The digit picker of the MNIST scene: which of the build's test digits (mnist-digits.bin, fetched
// once when the scene is first chosen) is cut into tokens, with its label shown.
import type { PageDigits } from "./train/digits-format.js";
import { fetchPageDigits } from "./train/digits.js";
import { MNIST_SIDE } from "@unfold/datasets/tokens";
import { type MnistScene, mnistScene } from "./mnist-scene.js";

/** The test digit an input's text names, checked against the `count` there are; an error naming the input otherwise. */
export function digitIndex(text: string, count: number): number {
  const value = text.trim() === "" ? Number.NaN : Number(text);
  if (!(Number.isInteger(value) && value >= 0 && value < count)) {
    throw new Error(`MNIST test digit: '${text}' is not one of the ${count} test digits (a whole number from 0 to ${count - 1})`);
  }
  return value;
}

export interface MnistPicker {
  /** Shows or hides the picker (it belongs to the MNIST scene only). */
  show(visible: boolean): void;
  /** The scene of the digit the input names (fetching the digits the first time); shows its label. */
  scene(): Promise<MnistScene>;
  onChange(listener: () => void): void;
}

export function mountMnistPicker(ui: { readonly control: HTMLElement; readonly input: HTMLInputElement; readonly label: HTMLOutputElement }): MnistPicker {
  let digits: Promise<PageDigits> | undefined;
  return {
    show(visible) {
      ui.control.hidden = !visible;
    },
    async scene() {
      digits ??= fetchPageDigits();
      // A failed fetch is tried afresh next time.
      digits.catch(() => (digits = undefined));
      const { test } = await digits;
      ui.input.max = String(test.count - 1);
      const index = digitIndex(ui.input.value, test.count);
      const pixels = MNIST_SIDE * MNIST_SIDE;
      const label = test.labels[index]!;
      ui.label.value = `a ${label}`;
      return mnistScene(test.images.slice(index * pixels, (index + 1) * pixels), label, index);
    },
    onChange(listener) {
      ui.input.addEventListener("change", listener);
    },
  };
}
