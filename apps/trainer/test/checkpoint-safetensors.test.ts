import { describe, expect, it } from "vitest";
import { type NamedTensor, decodeSafetensors, encodeSafetensors } from "@unfold/training";

const tensors: Record<string, NamedTensor> = {
  "layer.0.weight": { data: Float32Array.from([1.5, -2, 3.25, Math.fround(0.1), 0, -0]), shape: [2, 3] },
  "layer.0.bias": { data: Float64Array.from([Math.PI, -1e-300, Number.MAX_VALUE]), shape: [3] },
  step_counts: { data: Int32Array.from([0, -1, 2147483647, -2147483648]), shape: [2, 2] },
  scalar: { data: Float64Array.from([42]), shape: [] },
  empty: { data: new Float32Array(0), shape: [0, 4] },
};

/** Builds a file by hand: header JSON (unpadded) plus data bytes. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("safetensors codec", () => {
  it("round-trips F32, F64 and I32 tensors bit for bit, with metadata", () => {
    const bytes = encodeSafetensors(tensors, { step: "7", note: "x" });
    const { tensors: back, metadata } = decodeSafetensors(bytes, "t.safetensors");
    expect(metadata).toEqual({ step: "7", note: "x" });
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name]!.data.constructor).toBe(t.data.constructor);
      expect(back[name]!.shape).toEqual(t.shape);
      expect(new Uint8Array(back[name]!.data.buffer)).toEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
    expect(Object.is(back["layer.0.weight"]!.data[5], -0)).toBe(true);
  });

  it("writes the documented byte layout", () => {
    const bytes = encodeSafetensors({ a: { data: Int32Array.from([1, -2]), shape: [2] }, b: { data: Float64Array.from([0.5]), shape: [1, 1] } }, { k: "v" });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const headerLength = Number(view.getBigUint64(0, true));
    // Padded with spaces to a multiple of 8, so data starts aligned.
    expect(headerLength % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(headerText.trimEnd()).toBe('{"__metadata__":{"k":"v"},"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]}}');
    expect(headerText.slice(headerText.trimEnd().length)).toMatch(/^ *$/);
    expect(bytes.length).toBe(8 + headerLength + 16);
    const data = 8 + headerLength;
    // Little-endian int32 1, -2 then float64 0.5.
    expect(Array.from(bytes.subarray(data, data + 8))).toEqual([1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
    expect(view.getFloat64(data + 8, true)).toBe(0.5);
  });

  it("decodes from a Node Buffer (whose slice is a view into a shared pool)", () => {
    const bytes = encodeSafetensors(tensors);
    // Buffer.from(array) of a small size lands in Node's pool, at an offset inside a larger buffer.
    const buffer = Buffer.from(Array.from(bytes));
    const back = decodeSafetensors(buffer).tensors;
    expect(back["step_counts"]!.data).toEqual(tensors["step_counts"]!.data);
    expect(back["step_counts"]!.data.buffer.byteLength).toBe(16);
    expect(back["layer.0.bias"]!.data).toEqual(tensors["layer.0.bias"]!.data);
  });

  it("encodes a typed array that is a view into a larger buffer", () => {
    const big = Float32Array.from([9, 1, 2, 9]);
    const bytes = encodeSafetensors({ v: { data: big.subarray(1, 3), shape: [2] } });
    expect(Array.from(decodeSafetensors(bytes).tensors["v"]!.data)).toEqual([1, 2]);
  });

  it("reads files where data is not aligned for its type", () => {
    // A 5-byte header puts float64 data at byte 13.
    const data = new Uint8Array(new Float64Array([1.25]).buffer);
    const header = { x: { dtype: "F64", shape: [1], data_offsets: [0, 8] } };
    const json = JSON.stringify(header);
    const bytes = rawFile(json, data);
    expect(json.length % 8).not.toBe(0);
    expect(Array.from(decodeSafetensors(bytes).tensors["x"]!.data)).toEqual([1.25]);
  });

  it("rejects tensors whose size does not match their shape, and reserved names", () => {
    expect(() => encodeSafetensors({ w: { data: new Float32Array(5), shape: [2, 3] } })).toThrow(/tensor "w" has 5 elements, which is not shape \[2, 3\]/);
    expect(() => encodeSafetensors({ __metadata__: { data: new Float32Array(1), shape: [1] } })).toThrow(/cannot be named __metadata__/);
  });
});

describe("decodeSafetensors rejects damaged files, naming the source", () => {
  const source = "ckpt/weights-3.safetensors";
  const f32 = (n: number) => new Uint8Array(n * 4);
  const cases: [string, Uint8Array, RegExp][] = [
    ["shorter than the length prefix", new Uint8Array(5), /5 bytes is too short/],
    ["header length beyond the file", rawFile({}, new Uint8Array(0), 1000), /header length 1000 runs past the end of the file \(10 bytes\)/],
    ["header that is not JSON", rawFile("{not json"), /header is not valid UTF-8 JSON/],
    ["header that is not UTF-8", rawFile("\"\"").map((b, i) => (i === 8 ? 0xff : b)), /header is not valid UTF-8 JSON/],
    ["header that is an array", rawFile([1]), /header must be a JSON object/],
    ["unknown dtype", rawFile({ x: { dtype: "BF16", shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), /tensor "x" has dtype "BF16"; only F32, F64 and I32/],
    ["bad shape", rawFile({ x: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f32(1)), /tensor "x" has shape \[-1\]/],
    ["bad offsets", rawFile({ x: { dtype: "F32", shape: [1], data_offsets: [0] } }, f32(1)), /tensor "x" has data_offsets \[0\]/],
    ["offsets past the data", rawFile({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, f32(1)), /tensor "x" data_offsets \[0, 8\] fall outside the 4 bytes of data/],
    ["offsets reversed", rawFile({ x: { dtype: "F32", shape: [0], data_offsets: [4, 0] } }, f32(1)), /data_offsets \[4, 0\] fall outside/],
    ["size not product(shape) * itemsize", rawFile({ x: { dtype: "F64", shape: [2], data_offsets: [0, 8] } }, f32(2)), /tensor "x" has 8 bytes, but shape \[2\] of F64 needs 16/],
    [
      "overlapping tensors",
      rawFile({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32(3)),
      /tensor "b" bytes \[4, 12\) overlap tensor "a" bytes \[0, 8\)/,
    ],
    ["a gap in the data", rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, f32(2)), /bytes \[0, 4\) of the data belong to no tensor/],
    ["trailing bytes", rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32(2)), /the tensors cover 4 bytes of data but the file holds 8/],
    ["metadata that is not strings", rawFile({ __metadata__: { step: 3 } }), /__metadata__.step must be a string, got 3/],
  ];
  for (const [what, bytes, pattern] of cases) {
    it(what, () => {
      expect(() => decodeSafetensors(bytes, source)).toThrow(pattern);
      expect(() => decodeSafetensors(bytes, source)).toThrow(new RegExp(`^decodeSafetensors ${source.replace(".", "\\.")}: `));
    });
  }

  it("a truncated real file", () => {
    const bytes = encodeSafetensors(tensors);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 3), source)).toThrow(/fall outside|cover/);
    expect(() => decodeSafetensors(bytes.subarray(0, 40), source)).toThrow(/runs past the end of the file \(40 bytes\)/);
  });
});
