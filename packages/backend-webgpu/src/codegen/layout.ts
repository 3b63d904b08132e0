/**
 * Index arithmetic for strided views: a kernel walks an iteration space in row-major order,
 * and each view it reads has its own stride per axis. Axes are simplified first (size-1 axes
 * dropped, neighbours merged where every view is contiguous across them), so most kernels
 * divide by one or two sizes per element instead of one per axis.
 */

export interface Axes {
  readonly dims: readonly number[];
  /** strides[v][k]: view v's stride along axis k. */
  readonly strides: readonly (readonly number[])[];
}

export function simplifyAxes(dims: readonly number[], strides: readonly (readonly number[])[]): Axes {
  const keep = dims.map((d) => d !== 1);
  let outDims = dims.filter((_, k) => keep[k]);
  let outStrides = strides.map((s) => s.filter((_, k) => keep[k]));
  // Merge axis k into k + 1 (k is the outer one) when every view steps across both as one axis.
  for (let k = outDims.length - 2; k >= 0; k--) {
    const inner = outDims[k + 1]!;
    if (outStrides.every((s) => s[k] === s[k + 1]! * inner)) {
      outDims = [...outDims.slice(0, k), outDims[k]! * inner, ...outDims.slice(k + 2)];
      outStrides = outStrides.map((s) => [...s.slice(0, k), s[k + 1]!, ...s.slice(k + 2)]);
    }
  }
  return { dims: outDims, strides: outStrides };
}

/**
 * WGSL statements that split the u32 index `flat` into coordinates over `axes.dims` (named
 * `${prefix}c${k}`) and define, for each view v, `let ${names[v]} = bases[v] + sum(c_k * stride)`.
 */
export function decompose(flat: string, axes: Axes, bases: readonly (number | string)[], names: readonly string[], prefix: string): string[] {
  const lines: string[] = [];
  const rank = axes.dims.length;
  const coord = (k: number): string => `${prefix}c${k}`;
  if (rank === 1) lines.push(`let ${coord(0)} = ${flat};`);
  else if (rank > 1) {
    lines.push(`var ${prefix}r = ${flat};`);
    for (let k = rank - 1; k >= 1; k--) {
      lines.push(`let ${coord(k)} = ${prefix}r % ${axes.dims[k]}u;`, `${prefix}r = ${prefix}r / ${axes.dims[k]}u;`);
    }
    lines.push(`let ${coord(0)} = ${prefix}r;`);
  }
  names.forEach((name, v) => {
    const base = bases[v]!;
    const terms = typeof base === "number" ? (base === 0 ? [] : [`${base}u`]) : [base];
    for (let k = 0; k < rank; k++) {
      const s = axes.strides[v]![k]!;
      if (s === 0) continue;
      terms.push(s === 1 ? coord(k) : `${coord(k)} * ${s}u`);
    }
    lines.push(`let ${name} = ${terms.length ? terms.join(" + ") : "0u"};`);
  });
  return lines;
}
