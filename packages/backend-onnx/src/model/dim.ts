// One axis of a declared shape, apart from the onnx-proto bindings: the public declarations name
// it, and must not load onnx-proto's types (which need a global Long).

/** One axis of a declared shape: a fixed size, or a named symbolic one. */
export type Dim = number | string;
