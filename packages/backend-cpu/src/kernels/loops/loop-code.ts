/**
 * The further WebAssembly instructions the generated loop kernels use (float64 lanes, bit
 * selects, i32 shifts, the rest of float32 lanes), on top of the softmax kernel's SimdCode.
 */
import { uleb } from "../../wasm/wasm-emitter.js";
import { SimdCode } from "../../wasm/exp-simd.js";

export class LoopCode extends SimdCode {
  private sub(op: number): this {
    this.bytes.push(0xfd);
    uleb(this.bytes, op);
    return this;
  }
  private byte(op: number): this {
    this.bytes.push(op);
    return this;
  }

  /** Appends another body's instructions (prologue and loops are generated separately). */
  append(other: LoopCode): this {
    for (const b of other.bytes) this.bytes.push(b);
    return this;
  }

  i32Shl(): this {
    return this.byte(0x74);
  }
  f64Max(): this {
    return this.byte(0xa5);
  }

  f64x2Eq(): this {
    return this.sub(0x47);
  }
  f64x2Gt(): this {
    return this.sub(0x4a);
  }
  f64x2Ge(): this {
    return this.sub(0x4c);
  }
  v128Or(): this {
    return this.sub(0x50);
  }
  /** (a & mask) | (b & ~mask), operands pushed a, b, mask. */
  v128Bitselect(): this {
    return this.sub(0x52);
  }
  /** Pseudo-min, b < a ? b : a: a NaN in a is kept. */
  f32x4Pmin(): this {
    return this.sub(0xea);
  }
  f64x2Abs(): this {
    return this.sub(0xec);
  }
  f64x2Neg(): this {
    return this.sub(0xed);
  }
  f64x2Sqrt(): this {
    return this.sub(0xef);
  }
  f64x2Sub(): this {
    return this.sub(0xf1);
  }
  f64x2Div(): this {
    return this.sub(0xf3);
  }
  /** IEEE minimum/maximum: NaN propagates and -0 < +0, as Math.min/Math.max. */
  f64x2Min(): this {
    return this.sub(0xf4);
  }
  f64x2Max(): this {
    return this.sub(0xf5);
  }

  // Float32 lanes (the loops that compute in float32; see expr.ts).
  f32x4Eq(): this {
    return this.sub(0x41);
  }
  f32x4Ge(): this {
    return this.sub(0x46);
  }
  f32x4Abs(): this {
    return this.sub(0xe0);
  }
  f32x4Neg(): this {
    return this.sub(0xe1);
  }
  f32x4Sqrt(): this {
    return this.sub(0xe3);
  }
  f32x4Div(): this {
    return this.sub(0xe7);
  }
  /** IEEE minimum/maximum: NaN propagates and -0 < +0, as Math.min/Math.max. */
  f32x4Min(): this {
    return this.sub(0xe8);
  }
  f32x4Max(): this {
    return this.sub(0xe9);
  }
}
