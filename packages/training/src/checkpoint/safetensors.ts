import { UnfoldError } from "@unfold/core";

/**
 * The safetensors format, so checkpoints open in the usual tools (Python's safetensors, viewers):
 *   8 bytes   little-endian unsigned header length N
 *   N bytes   UTF-8 JSON: {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}
 *   rest      the tensors' raw little-endian bytes; offsets are relative to the start of this part
 * The header is padded with spaces to a multiple of 8 bytes so every tensor's data starts 8-byte
 * aligned in the file, as the reference writer does.
 */

export interface NamedTensor {
  readonly data: Float32Array | Float64Array | Int32Array;
  readonly shape: readonly number[];
}

type DType = "F32" | "F64" | "I32";
const ITEM_SIZE: Record<DType, number> = { F32: 4, F64: 8, I32: 4 };
const METADATA_KEY = "__metadata__";

function dtypeOf(data: NamedTensor["data"]): DType {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof Float64Array) return "F64";
  return "I32";
}

function product(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

// Typed arrays use the host's byte order; the format is little-endian. Every platform Node runs
// on today is little-endian, but swapping on the rare other one costs nothing here.
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapInPlace(bytes: Uint8Array, itemSize: number): void {
  for (let i = 0; i < bytes.length; i += itemSize) bytes.subarray(i, i + itemSize).reverse();
}

/** The safetensors file holding `tensors` (in the order given, little-endian) and string `metadata`. */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") throw new UnfoldError("encodeSafetensors", `metadata ${JSON.stringify(key)} must be a string, got ${typeof value}`);
  }
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, tensor] of entries) {
    if (name === METADATA_KEY) throw new UnfoldError("encodeSafetensors", `a tensor cannot be named ${METADATA_KEY}`);
    if (!(tensor.data instanceof Float32Array || tensor.data instanceof Float64Array || tensor.data instanceof Int32Array)) {
      throw new UnfoldError("encodeSafetensors", `tensor ${JSON.stringify(name)} must hold a Float32Array, Float64Array or Int32Array`);
    }
    if (!tensor.shape.every((d) => Number.isInteger(d) && d >= 0) || product(tensor.shape) !== tensor.data.length) {
      throw new UnfoldError("encodeSafetensors", `tensor ${JSON.stringify(name)} has ${tensor.data.length} elements, which is not shape [${tensor.shape.join(", ")}]`);
    }
    const dtype = dtypeOf(tensor.data);
    const end = offset + tensor.data.length * ITEM_SIZE[dtype];
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, tensor] of entries) {
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    out.set(bytes, at);
    if (!HOST_LITTLE_ENDIAN) swapInPlace(out.subarray(at, at + bytes.length), tensor.data.BYTES_PER_ELEMENT);
    at += bytes.length;
  }
  return out;
}

interface HeaderEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/**
 * Reads a safetensors file, checking everything a truncated, hand-edited or foreign file could
 * get wrong; each error names `source` (the file path) so a broken checkpoint is easy to find.
 */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors data"): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  const fail = (detail: string): never => {
    throw new UnfoldError(`decodeSafetensors ${source}`, detail);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) fail(`header length ${declared} runs past the end of the file (${bytes.length} bytes); the file is truncated or not safetensors`);
  const headerLength = Number(declared);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    fail(`the header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return fail("the header must be a JSON object");
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(`${METADATA_KEY} must be an object of strings`);
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== "string") fail(`${METADATA_KEY}.${key} must be a string, got ${JSON.stringify(value)}`);
        metadata[key] = value as string;
      }
      continue;
    }
    entries.push(readEntry(name, raw, dataLength, fail));
  }

  // Sorted by position, neighbours must not overlap and must leave no gaps: the format requires
  // the tensors to tile the data section exactly, and a gap or overlap means a damaged file.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of sorted) {
    if (entry.begin < covered) fail(`tensor ${JSON.stringify(entry.name)} bytes [${entry.begin}, ${entry.end}) overlap tensor ${JSON.stringify(previous!.name)} bytes [${previous!.begin}, ${previous!.end})`);
    if (entry.begin > covered) fail(`bytes [${covered}, ${entry.begin}) of the data belong to no tensor`);
    covered = entry.end;
    previous = entry;
  }
  if (covered !== dataLength) fail(`the tensors cover ${covered} bytes of data but the file holds ${dataLength}`);

  const tensors: Record<string, NamedTensor> = {};
  for (const entry of entries) {
    // A copy into a fresh buffer, not a view: the data may not be aligned for its type, the
    // caller should not keep the whole file alive through one small tensor, and on a Node Buffer
    // slice() would return a view into a shared pool rather than a copy.
    const copy = new Uint8Array(entry.end - entry.begin);
    copy.set(bytes.subarray(dataStart + entry.begin, dataStart + entry.end));
    if (!HOST_LITTLE_ENDIAN) swapInPlace(copy, ITEM_SIZE[entry.dtype]);
    const data = entry.dtype === "F32" ? new Float32Array(copy.buffer) : entry.dtype === "F64" ? new Float64Array(copy.buffer) : new Int32Array(copy.buffer);
    tensors[entry.name] = { data, shape: entry.shape };
  }
  return { tensors, metadata };
}

function readEntry(name: string, raw: unknown, dataLength: number, fail: (detail: string) => never): HeaderEntry {
  const label = `tensor ${JSON.stringify(name)}`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail(`${label} must be described by an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in ITEM_SIZE)) return fail(`${label} has dtype ${JSON.stringify(dtype)}; only F32, F64 and I32 are supported`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`${label} has shape ${JSON.stringify(shape)}; it must be an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    return fail(`${label} has data_offsets ${JSON.stringify(offsets)}; it must be [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) return fail(`${label} data_offsets [${begin}, ${end}] fall outside the ${dataLength} bytes of data`);
  const itemSize = ITEM_SIZE[dtype as DType];
  const expected = product(shape as number[]) * itemSize;
  if (end - begin !== expected) return fail(`${label} has ${end - begin} bytes, but shape [${(shape as number[]).join(", ")}] of ${dtype} needs ${expected}`);
  return { name, dtype: dtype as DType, shape: shape as number[], begin, end };
}
