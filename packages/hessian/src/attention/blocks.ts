import { UnfoldError } from "@unfold/core";
import { addCongruenceUpper } from "../dense/congruence.js";
import { type Matrix, addKronInto, matmul, matmulTransposeA, matrix, outer, row, subMatrix, transpose, transposeTimesVector, timesVector } from "../dense/matrix.js";
import { symmetricKronSum } from "./kron-sum.js";
import { type AttentionForward, attentionForward } from "./forward.js";
import type { AttentionInstance } from "./instance.js";
import { type AttentionMoments, attentionMoments } from "./moments.js";

/** The attention weights, in the order the full Hessian stacks them: vec(W_Q), vec(W_K), vec(W_V). */
export const ATTENTION_PARAMS = ["Q", "K", "V"] as const;
/** One of the attention weights W_Q, W_K, W_V, by letter. */
export type AttentionParam = (typeof ATTENTION_PARAMS)[number];

/** A block H(row, col) named by its two parameters: "VQ" is d2l / dvec(W_V) dvec(W_Q)^T. */
export type BlockName = `${AttentionParam}${AttentionParam}`;
/** The six blocks docs/mathematics.md, 'Hessian blocks', gives; the other three are their transposes. */
export const CANONICAL_BLOCKS = ["VV", "QQ", "KK", "VQ", "VK", "QK"] as const satisfies readonly BlockName[];
/** All nine blocks of the Hessian over (W_Q, W_K, W_V), row parameter first. */
export const BLOCK_NAMES: readonly BlockName[] = ATTENTION_PARAMS.flatMap((a) => ATTENTION_PARAMS.map((b) => `${a}${b}` as BlockName));

/**
 * outer: the Gauss-Newton part J^T (d2l/dF2) J (PSD on the diagonal blocks). functional: the rest,
 * (dl/dF kron I) d2F/dW2; for QK it includes the T-functional part. tFunctional: only the term
 * from T being a product W_Q W_K^T (non-zero in the QK block alone). full: outer + functional.
 */
export const HESSIAN_PARTS = ["outer", "functional", "tFunctional", "full"] as const;
/** Which part of a block: the Gauss-Newton (outer) part, the functional part, its T-functional term, or the full Hessian. */
export type HessianPart = (typeof HESSIAN_PARTS)[number];

export function checkBlockName(op: string, name: string): BlockName {
  if (!(BLOCK_NAMES as readonly string[]).includes(name)) {
    throw new UnfoldError(op, `unknown block '${name}' (blocks: ${BLOCK_NAMES.join(", ")})`);
  }
  return name as BlockName;
}

export function checkPart(op: string, part: string): HessianPart {
  if (!(HESSIAN_PARTS as readonly string[]).includes(part)) {
    throw new UnfoldError(op, `unknown Hessian part '${part}' (parts: ${HESSIAN_PARTS.join(", ")})`);
  }
  return part as HessianPart;
}

/** Per query row i: the quantities every block is a sum over i of. */
interface RowTerms {
  readonly x: Float64Array;
  readonly m: Float64Array;
  readonly M2: Matrix;
  readonly lambda: Matrix;
  readonly g: Float64Array;
  /** W_Q^T x_i [d_K]. */
  readonly q: Float64Array;
  /** W_V^T M2_i W_K [d_out, d_K]: row i's Jacobian of F_i in W_Q is x_i^T kron B_i / sqrt(d_K). */
  readonly B: Matrix;
  /** W_V^T M2_i [d_out, d_V]: row i's Jacobian in W_K is C_i kron (W_Q^T x_i)^T / sqrt(d_K). */
  readonly C: Matrix;
  /** u_i = W_V g_i [d_V]: the direction M3 is contracted with in the functional part. */
  readonly u: Float64Array;
}

/**
 * The Hessian of a single-head self-attention loss in W_Q, W_K, W_V in closed form (docs/mathematics.md,
 * 'Hessian blocks'), for any loss that is a sum of per-row terms: MSE's Lambda_i = c I gives its
 * formulas, cross-entropy's softmax covariance gives the same structure with Lambda_i inside.
 * Row-major throughout: the row of H over W_Q indexed a * d_K + b is entry (a, b) of W_Q, and a
 * block "VQ" has W_V's index as rows and W_Q's as columns.
 */
export class AttentionHessian {
  readonly forward: AttentionForward;
  readonly moments: AttentionMoments;
  private readonly rows: RowTerms[];
  private readonly third = new Map<number, Matrix>();

  constructor(readonly instance: AttentionInstance) {
    this.forward = attentionForward(instance, "AttentionHessian");
    const { X, WQ, WK, WV } = instance;
    this.moments = attentionMoments(this.forward.A, X);
    const { gradient, rowHessians } = this.forward.loss;
    this.rows = Array.from({ length: X.rows }, (_, i) => {
      const M2 = this.moments.second[i]!;
      const C = matmulTransposeA(WV, M2);
      const g = row(gradient, i);
      return {
        x: row(X, i),
        m: row(this.moments.first, i),
        M2,
        lambda: rowHessians[i]!,
        g,
        q: transposeTimesVector(WQ, row(X, i)),
        B: matmul(C, WK),
        C,
        u: timesVector(WV, g),
      };
    });
  }

  get dims(): AttentionForward["dims"] {
    return this.forward.dims;
  }

  /** Rows (and columns) of vec(W) for one parameter. */
  size(param: AttentionParam): number {
    const { model, key, out } = this.dims;
    return param === "V" ? model * out : model * key;
  }

  /** Where a parameter's entries start in the stacked vector vec(W_Q), vec(W_K), vec(W_V). */
  offset(param: AttentionParam): number {
    return ATTENTION_PARAMS.slice(0, ATTENTION_PARAMS.indexOf(param)).reduce((n, p) => n + this.size(p), 0);
  }

  get totalSize(): number {
    return ATTENTION_PARAMS.reduce((n, p) => n + this.size(p), 0);
  }

  /** One block of one part, e.g. block("QQ", "outer"). Transposed names ("QV") are transposes. */
  block(name: string, part: string = "full"): Matrix {
    const block = checkBlockName("AttentionHessian.block", name);
    const which = checkPart("AttentionHessian.block", part);
    const canonical = (CANONICAL_BLOCKS as readonly string[]).includes(block);
    if (!canonical) return transpose(this.block(`${block[1]}${block[0]}`, which));
    if (which === "full") {
      // The diagonal Q and K blocks share their Kronecker factor between the two parts: one pass.
      if (block === "QQ") return this.queryKronSum(true, true);
      return this.sum(this.outer(block), this.functional(block));
    }
    if (which === "outer") return this.outer(block);
    if (which === "functional") return this.functional(block);
    return block === "QK" ? this.tFunctional() : matrix(this.size(block[0] as AttentionParam), this.size(block[1] as AttentionParam));
  }

  /** The whole (Q, K, V) Hessian of one part, assembled from its blocks. */
  assemble(part: string = "full"): Matrix {
    const which = checkPart("AttentionHessian.assemble", part);
    const n = this.totalSize;
    const out = matrix(n, n);
    for (const r of ATTENTION_PARAMS) {
      for (const c of ATTENTION_PARAMS) {
        const b = this.block(`${r}${c}`, which);
        const r0 = this.offset(r);
        const c0 = this.offset(c);
        for (let i = 0; i < b.rows; i++) out.data.set(b.data.subarray(i * b.cols, (i + 1) * b.cols), (r0 + i) * n + c0);
      }
    }
    return out;
  }

  private sum(a: Matrix, b: Matrix): Matrix {
    return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v + b.data[i]!) };
  }

  private empty(name: BlockName): Matrix {
    return matrix(this.size(name[0] as AttentionParam), this.size(name[1] as AttentionParam));
  }

  private get scale(): number {
    return 1 / Math.sqrt(this.dims.key);
  }

  private outer(name: BlockName): Matrix {
    if (name === "QQ") return this.queryKronSum(true, false);
    const h = this.empty(name);
    const s = this.scale;
    for (const t of this.rows) {
      switch (name) {
        case "VV":
          addKronInto(h, outer(t.m, t.m), t.lambda);
          break;
        case "KK":
          addKronInto(h, matmulTransposeA(t.C, matmul(t.lambda, t.C)), outer(t.q, t.q), s * s);
          break;
        case "VQ":
          addKronInto(h, outer(t.m, t.x), matmul(t.lambda, t.B), s);
          break;
        case "VK":
          addKronInto(h, columnKron(t.m, matmul(t.lambda, t.C)), rowVector(t.q), s);
          break;
        case "QK":
          addKronInto(h, columnKron(t.x, matmulTransposeA(t.B, matmul(t.lambda, t.C))), rowVector(t.q), s * s);
          break;
        default:
          throw new UnfoldError("AttentionHessian", `block '${name}' is not canonical`);
      }
    }
    return h;
  }

  private functional(name: BlockName): Matrix {
    if (name === "QQ") return this.queryKronSum(false, true);
    const h = this.empty(name);
    if (name === "VV") return h; // F is linear in W_V.
    const s = this.scale;
    const { WK } = this.instance;
    const { model: dV, key: dK, out: dOut } = this.dims;
    this.rows.forEach((t, i) => {
      switch (name) {
        case "KK":
          addKronInto(h, this.m3(i), outer(t.q, t.q), s * s);
          break;
        case "QK":
          addKronInto(h, columnKron(t.x, matmulTransposeA(WK, this.m3(i))), rowVector(t.q), s * s);
          break;
        case "VQ": {
          // H_f(V,Q)[(p,r),(a,b)] = sum_i g_ir x_ia (M2_i W_K)_pb / sqrt(d_K).
          const MK = matmul(t.M2, WK);
          for (let p = 0; p < dV; p++) for (let r = 0; r < dOut; r++) {
            const rowBase = (p * dOut + r) * h.cols;
            for (let a = 0; a < dV; a++) {
              const w = s * t.g[r]! * t.x[a]!;
              if (w === 0) continue;
              for (let b = 0; b < dK; b++) h.data[rowBase + a * dK + b]! += w * MK.data[p * dK + b]!;
            }
          }
          break;
        }
        case "VK":
          // H_f(V,K)[(p,r),(c,d)] = sum_i g_ir (M2_i)_pc (W_Q^T x_i)_d / sqrt(d_K).
          for (let p = 0; p < dV; p++) for (let r = 0; r < dOut; r++) {
            const rowBase = (p * dOut + r) * h.cols;
            for (let c = 0; c < dV; c++) {
              const w = s * t.g[r]! * t.M2.data[p * dV + c]!;
              if (w === 0) continue;
              for (let d = 0; d < dK; d++) h.data[rowBase + c * dK + d]! += w * t.q[d]!;
            }
          }
          break;
        default:
          throw new UnfoldError("AttentionHessian", `block '${name}' is not canonical`);
      }
    });
    if (name === "QK") {
      const tf = this.tFunctional();
      for (let k = 0; k < h.data.length; k++) h.data[k]! += tf.data[k]!;
    }
    return h;
  }

  /**
   * The part of H(Q,K) from T = X W_Q W_K^T X^T being bilinear in the two weights:
   * (sum_i x_i (M2_i W_V g_i)^T) kron I_{d_K} / sqrt(d_K).
   */
  private tFunctional(): Matrix {
    const { model: dV, key: dK } = this.dims;
    const left = matrix(dV, dV);
    for (const t of this.rows) {
      const mu = timesVector(t.M2, t.u);
      for (let a = 0; a < dV; a++) for (let c = 0; c < dV; c++) left.data[a * dV + c]! += t.x[a]! * mu[c]!;
    }
    const eye = matrix(dK, dK);
    for (let k = 0; k < dK; k++) eye.data[k * dK + k] = 1;
    const h = this.empty("QK");
    addKronInto(h, left, eye, this.scale);
    return h;
  }

  /**
   * H(Q,Q) = (1/d_K) sum_i (x_i x_i^T) kron S_i (see symmetricKronSum) with the symmetric factor
   * S_i = B_i^T Lambda_i B_i (outer part) + W_K^T M3_i[W_V g_i] W_K (functional part). The factors'
   * upper triangles go straight into one buffer (all the kernel reads), sharing one scratch.
   * This is the closed form's cost, L d_V^2 d_K^2 / 4, against d_V d_K products for autodiff.
   */
  private queryKronSum(outer: boolean, functional: boolean): Matrix {
    const { model: dV, key: dK, out: dOut } = this.dims;
    const kk = dK * dK;
    const factors = new Float64Array(this.rows.length * kk);
    const scratch = new Float64Array(Math.max(dOut, dV) * dK);
    const { WK, X } = this.instance;
    this.rows.forEach((t, i) => {
      if (outer) addCongruenceUpper(factors, i * kk, t.B, t.lambda, scratch);
      if (functional) addCongruenceUpper(factors, i * kk, WK, this.m3(i), scratch);
    });
    return symmetricKronSum(X, factors, dK, this.scale * this.scale);
  }

  private m3(i: number): Matrix {
    let m = this.third.get(i);
    if (!m) this.third.set(i, (m = this.moments.third(i, this.rows[i]!.u)));
    return m;
  }
}

/** The closed-form Hessian of an attention instance (see AttentionHessian). */
export function attentionHessian(instance: AttentionInstance): AttentionHessian {
  return new AttentionHessian(instance);
}

/** A sub-block of a stacked (Q, K, V) matrix, e.g. of a dense autodiff Hessian. */
export function blockOf(h: AttentionHessian, full: Matrix, name: string): Matrix {
  const block = checkBlockName("blockOf", name);
  const r = block[0] as AttentionParam;
  const c = block[1] as AttentionParam;
  return subMatrix(full, h.offset(r), h.offset(c), h.size(r), h.size(c));
}

const columnVector = (v: Float64Array): Matrix => ({ rows: v.length, cols: 1, data: v });
const rowVector = (v: Float64Array): Matrix => ({ rows: 1, cols: v.length, data: v });
/** v kron M for a column vector v: rows (p, r) = v_p M_r. */
const columnKron = (v: Float64Array, m: Matrix): Matrix => {
  const out = matrix(v.length * m.rows, m.cols);
  addKronInto(out, columnVector(v), m);
  return out;
};
