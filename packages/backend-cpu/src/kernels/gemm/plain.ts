/** Elements of scratch plainGemm needs: one packed 4-column panel of B. */
export function plainScratchElements(k: number): number {
  return 4 * k;
}

/**
 * The plain TypeScript GEMM, for engines without WebAssembly SIMD or when SIMD is switched off:
 * 4 x 4 register blocking over typed-array views of the same memory. Each 4-column panel of B
 * is first copied to `s` (4k elements of scratch) so the inner loop reads it with unit stride:
 * a row-major B with a power-of-two row length otherwise maps every k step to the same L1 set.
 * Like wasmGemm it is self-contained because worker threads run its toString().
 *
 * Offsets and strides are in elements of `h` (the caller divides byte offsets by the element size).
 */
export function plainGemm(
  h: Float32Array | Float64Array,
  m: number,
  n: number,
  k: number,
  a: number,
  rsA: number,
  csA: number,
  b: number,
  rsB: number,
  csB: number,
  c: number,
  rsC: number,
  s: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let j = 0; j < n4; j += 4) {
    for (let p = 0, pb = b + j * csB, q = s; p < k; p++, pb += rsB, q += 4) {
      h[q] = h[pb];
      h[q + 1] = h[pb + csB];
      h[q + 2] = h[pb + 2 * csB];
      h[q + 3] = h[pb + 3 * csB];
    }
    for (let i = 0; i < m4; i += 4) {
      const a0 = a + i * rsA;
      const a1 = a0 + rsA;
      const a2 = a1 + rsA;
      const a3 = a2 + rsA;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pa = 0;
      const end = s + 4 * k;
      for (let q = s; q < end; q += 4) {
        const b0 = h[q], b1 = h[q + 1], b2 = h[q + 2], b3 = h[q + 3];
        const x0 = h[a0 + pa], x1 = h[a1 + pa], x2 = h[a2 + pa], x3 = h[a3 + pa];
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
        pa += csA;
      }
      let pc = c + i * rsC + j;
      h[pc] = c00; h[pc + 1] = c01; h[pc + 2] = c02; h[pc + 3] = c03;
      pc += rsC;
      h[pc] = c10; h[pc + 1] = c11; h[pc + 2] = c12; h[pc + 3] = c13;
      pc += rsC;
      h[pc] = c20; h[pc + 1] = c21; h[pc + 2] = c22; h[pc + 3] = c23;
      pc += rsC;
      h[pc] = c30; h[pc + 1] = c31; h[pc + 2] = c32; h[pc + 3] = c33;
    }
  }
  // Edges: the rows below m4 (all columns) and the columns right of n4 (rows above m4).
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let sum = 0;
      let pa = a + i * rsA;
      let pb = b + j * csB;
      for (let p = 0; p < k; p++) {
        sum += h[pa] * h[pb];
        pa += csA;
        pb += rsB;
      }
      h[c + i * rsC + j] = sum;
    }
  }
}
