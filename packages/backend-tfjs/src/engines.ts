// The engines' names, apart from the module that loads TensorFlow.js: the public declarations
// name them, and must not load TensorFlow.js's types (whose WebGL backend needs lib.dom).

/** The TensorFlow.js backends ("engines") a TfjsBackend can run on. */
export type TfjsEngine = "cpu" | "wasm" | "webgpu";

/** The TensorFlow.js engines a TfjsBackend can run on. */
export const TFJS_ENGINES: readonly TfjsEngine[] = ["cpu", "wasm", "webgpu"];
