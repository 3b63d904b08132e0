/**
 * The record of a composite found in a program: what every backend reads to fuse it. One record
 * per composite instance, keyed by its root (the node whose value it produces).
 */

/** Every kind of composite the recognizer finds. */
export const COMPOSITE_KINDS = ["softmax", "logSoftmax", "logsumexp", "layerNorm", "sigmoid", "crossEntropy", "yangAttention", "symmetricProduct"] as const;
/** The kind of a composite. */
export type CompositeKind = (typeof COMPOSITE_KINDS)[number];

/** What every record carries. */
interface CompositeBase<K extends CompositeKind> {
  readonly kind: K;
  /** The node whose value the composite produces (a fused kernel writes it). */
  readonly root: number;
  /** The values the composite is computed from: a fused kernel reads these and nothing else. */
  readonly args: readonly number[];
  /**
   * The decomposition's computed nodes between `args` and `root`, which a fused kernel replaces.
   * Constants (a count, an epsilon) are not listed: CSE may share them with any other node. A
   * backend that skips these nodes must first check that nothing else reads them
   * (`innerReadOnlyByComposite`).
   */
  readonly inner: readonly number[];
}

/**
 * exp(x - m) / sum(exp(x - m)) over one axis, m = stopGradient(max(x)), as trace/composites.ts
 * traces it. `rowBias` is set when the axis is the last and x is itself `logits - bias` with the
 * bias one row vector per `period` rows (per batch item, or one for every row): a kernel may
 * subtract the bias itself, and with `rowBias.sub` in its inner nodes never form x.
 */
export interface SoftmaxComposite extends CompositeBase<"softmax"> {
  readonly input: number;
  readonly axis: number;
  readonly rowBias?: RowBias;
}

/** x = logits - bias, the bias one row vector (shape [..., 1, n]) per `period` rows of x. */
export interface RowBias {
  /** The sub node x itself. */
  readonly sub: number;
  readonly logits: number;
  readonly bias: number;
  /** Rows of x (over all leading axes) that read one bias row: n per item, or every row when one bias serves all. */
  readonly period: number;
}

/** log(sum(exp(x - m))) + m over one axis, the axis kept (as size 1), as the decomposition's root keeps it. */
export interface LogsumexpComposite extends CompositeBase<"logsumexp"> {
  readonly input: number;
  readonly axis: number;
}

/** x - logsumexp(x) over one axis. */
export interface LogSoftmaxComposite extends CompositeBase<"logSoftmax"> {
  readonly input: number;
  readonly axis: number;
}

/** (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) over one axis; gain and bias stay separate nodes. */
export interface LayerNormComposite extends CompositeBase<"layerNorm"> {
  readonly input: number;
  readonly axis: number;
  readonly eps: number;
}

/** Elementwise 1 / (1 + e^-x), in core's two-branch form; `axis` is -1 (none). */
export interface SigmoidComposite extends CompositeBase<"sigmoid"> {
  readonly input: number;
  readonly axis: -1;
}

/** mean over rows of -sum(targets * logSoftmax(logits)) along `axis`: a scalar. */
export interface CrossEntropyComposite extends CompositeBase<"crossEntropy"> {
  readonly logits: number;
  readonly targets: number;
  readonly axis: number;
  /** The logSoftmax inside it (a backend that does not fuse the whole may still fuse this). */
  readonly logSoftmax: number;
}

/** matmul(Z, transpose(Z)) with the transpose swapping the last two axes: a symmetric product. */
export interface SymmetricProductComposite extends CompositeBase<"symmetricProduct"> {
  readonly operand: number;
  /** The transpose node: a layout view of Z, not listed in `inner` (no kernel computes it). */
  readonly transpose: number;
  /** Z's last two axes: the product is n x n per item, over k. */
  readonly n: number;
  readonly k: number;
  /** The product of Z's leading axes. */
  readonly items: number;
}

/**
 * One step of Yang attention's weights, softmax(Z Z^T - 1 b^T) over the last axis
 * (docs/mathematics.md, 'Yang attention energy'): a softmax whose row bias is subtracted from a
 * symmetric product, the bias one row per item (`period` = n) or one row for all items
 * (`period` = n * items). `inner` is the softmax's inner nodes with the subtraction and the
 * product. `yangBias` lists the bias's nodes when the bias is |z_j|^2 / 2 of the same Z,
 * mul(transpose(sum(mul(Z, Z), last axis, kept)), 1/2), which a kernel may read off the Gram
 * diagonal instead (their readers are checked like the inner nodes', root = the bias's reader).
 */
export interface YangAttentionComposite extends CompositeBase<"yangAttention"> {
  readonly operand: number;
  readonly bias: number;
  readonly period: number;
  /** Whether every item has its own bias row (else one row serves all). */
  readonly biasPerItem: boolean;
  readonly softmax: SoftmaxComposite & { readonly rowBias: RowBias };
  readonly product: SymmetricProductComposite;
  readonly yangBias?: readonly number[];
}

/** A composite recognised in a program, with its parameters. */
export type Composite =
  | SoftmaxComposite
  | LogSoftmaxComposite
  | LogsumexpComposite
  | LayerNormComposite
  | SigmoidComposite
  | CrossEntropyComposite
  | SymmetricProductComposite
  | YangAttentionComposite;

/** The record of one kind. */
export type CompositeOf<K extends CompositeKind> = Extract<Composite, { kind: K }>;
