/** Generated WGSL for one kernel, with how to dispatch and bind it. */
export interface KernelCode {
  readonly wgsl: string;
  readonly workgroups: readonly [number, number, number];
  /** Slot bound at each binding index; binding 0 is the output, read_write. */
  readonly bindings: readonly number[];
}

/**
 * What kind of processor kernels are shaped for. "gpu": workgroup memory and barriers are cheap
 * and loads coalesce across neighbouring invocations. "cpu": a software adapter (lavapipe,
 * SwiftShader) runs a workgroup's invocations as SIMD lanes of one thread, where a barrier is a
 * context switch, workgroup memory is ordinary memory reached by per-lane gathers, and a load
 * every lane makes from one address is a single scalar load.
 */
export type KernelTarget = "gpu" | "cpu";

/** The largest workgroup count WebGPU guarantees along one dispatch dimension. */
export const MAX_GROUPS_PER_DIM = 65535;

/**
 * Buffer bindings of a kernel: the output first, then each distinct slot read, once, however
 * many views read it (views of one slot differ only in offsets and strides, which are in the code).
 */
export class Bindings {
  readonly slots: number[];
  /** Element types other than f32, by binding index (a buffer's bytes read as integers, say). */
  private readonly types = new Map<number, string>();

  constructor(out: number) {
    this.slots = [out];
  }

  /** The WGSL name of the buffer holding `slot`, read as an array of `type` (u32, atomic<u32>). */
  typed(slot: number, type: string): string {
    const name = this.name(slot);
    this.types.set(Number(name.slice(1)), type);
    return name;
  }

  /** The WGSL name of the buffer holding `slot`. */
  name(slot: number): string {
    let at = this.slots.indexOf(slot);
    if (at < 0) {
      at = this.slots.length;
      this.slots.push(slot);
    }
    return `b${at}`;
  }

  declarations(): string {
    return this.slots.map((_, i) => `@group(0) @binding(${i}) var<storage, ${i === 0 ? "read_write" : "read"}> b${i}: array<${this.types.get(i) ?? "f32"}>;`).join("\n");
  }
}

/**
 * A float32 literal in WGSL, including the values WGSL has no literal for: NaN, the infinities
 * and -0 come from their bit patterns at run time (WGSL rejects them as constant expressions).
 */
export function f32Literal(value: number): string {
  if (Number.isNaN(value)) return "bits_f(0x7fc00000u)";
  const f = Math.fround(value);
  if (f === Number.POSITIVE_INFINITY) return "bits_f(0x7f800000u)";
  if (f === Number.NEGATIVE_INFINITY) return "bits_f(0xff800000u)";
  if (Object.is(f, -0)) return "bits_f(0x80000000u)";
  // The shortest decimal of a float32 widened to a double reads back as that float32.
  let text = String(f);
  if (!/[.e]/.test(text)) text += ".0";
  return `f32(${text})`;
}

export const NEG_INFINITY = f32Literal(Number.NEGATIVE_INFINITY);

/**
 * A 1-D launch of `count` invocations in workgroups of `size`, folded into two dimensions past
 * the per-dimension limit. `flat` is the WGSL for the invocation's index in the 1-D launch.
 */
export function grid(count: number, size: number): { workgroups: [number, number, number]; flat: string } {
  const groups = Math.max(1, Math.ceil(count / size));
  const x = Math.min(groups, MAX_GROUPS_PER_DIM);
  const y = Math.ceil(groups / x);
  const flat = y > 1 ? `((wid.y * ${x}u + wid.x) * ${size}u + lid)` : `(wid.x * ${size}u + lid)`;
  return { workgroups: [x, y, 1], flat };
}

/** The workgroup-id based index of a workgroup in a (possibly folded) 1-D launch of `groups`. */
export function groupGrid(groups: number): { workgroups: [number, number, number]; group: string } {
  const x = Math.min(Math.max(1, groups), MAX_GROUPS_PER_DIM);
  const y = Math.ceil(Math.max(1, groups) / x);
  return { workgroups: [x, y, 1], group: y > 1 ? `(wid.y * ${x}u + wid.x)` : "wid.x" };
}

export const MAIN_ARGS = "@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32";

/** Adds the bit-pattern helper f32Literal's special values call, where the shader uses it. */
export function withSpecialValues(wgsl: string): string {
  if (!wgsl.includes("bits_f(")) return wgsl;
  // Through a variable, so the bitcast is not a constant expression.
  return `${wgsl}\nfn bits_f(b: u32) -> f32 {\n  var v = b;\n  return bitcast<f32>(v);\n}\n`;
}
