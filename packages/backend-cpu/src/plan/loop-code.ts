/**
 * The further WebAssembly instructions the generated loop kernels use (float64 lanes, bit
 * selects, i32 shifts), on top of the softmax kernel's SimdCode. The loop kernels evaluate in
 * float64 lanes so they round exactly where the JavaScript loops do (once, at the store).
 */
import { uleb } from "../gemm/wasm-emitter.js";
import { SimdCode } from "../kernels/exp-simd.js";

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
  f32DemoteF64(): this {
    return this.byte(0xb6);
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
}
