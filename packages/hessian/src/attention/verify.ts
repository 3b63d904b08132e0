import { type Backend, ReferenceBackend, relativeError } from "@unfold/core";
import { assembleDense, CurvatureProducts } from "../curvature/operator.js";
import { attentionFeeds, attentionModel } from "../models/attention.js";
import { AttentionHessian, CANONICAL_BLOCKS, blockOf } from "./blocks.js";
import { type LossKind, LOSSES, randomAttentionInstance } from "./instance.js";

/** The sizes of one instance `verifyClosedForm` checks. */
export interface VerifyShape {
  readonly tokens: number;
  readonly model: number;
  readonly key: number;
  readonly out?: number;
}

/** The shapes `verifyClosedForm` checks by default: small, square and non-square. */
export const DEFAULT_VERIFY_SHAPES: readonly VerifyShape[] = [
  { tokens: 4, model: 3, key: 2 },
  { tokens: 5, model: 4, key: 3 },
  { tokens: 3, model: 5, key: 5 },
  { tokens: 6, model: 3, key: 4, out: 2 },
];

/** Options of `verifyClosedForm`: shapes, losses, seed, backend and a progress callback. */
export interface VerifyOptions {
  readonly shapes?: readonly VerifyShape[];
  readonly losses?: readonly LossKind[];
  readonly seed?: number;
  /** Where the autodiff products run; the float64 reference interpreter by default. */
  readonly backend?: Backend;
  /** Called with one line per instance checked. */
  readonly onProgress?: (message: string) => void;
}

/** The check of one shape and loss. */
export interface VerifyCase {
  readonly shape: VerifyShape;
  readonly loss: LossKind;
  /** Worst relative error per block over its parts (full vs H, outer vs GGN, functional vs H_f). */
  readonly blocks: Record<(typeof CANONICAL_BLOCKS)[number], number>;
}

/** What `verifyClosedForm` found: the worst relative error per block, overall, and per case. */
export interface VerifyReport {
  /** Worst case over every instance and part, per block. */
  readonly blocks: Record<(typeof CANONICAL_BLOCKS)[number], number>;
  readonly maxRelErr: number;
  readonly cases: readonly VerifyCase[];
}

/** The fraction of the whole Hessian's norm below which a block is judged by absolute error (see verifyClosedForm). */
const SMALL_BLOCK = 1e-4;

/**
 * The closed form against autodiff in float64 on random instances: for every shape and loss,
 * the dense Hessian, Gauss-Newton matrix and functional part are assembled column by column
 * from the core's products, and each closed-form block of each part is compared with them.
 */
export async function verifyClosedForm(options: VerifyOptions = {}): Promise<VerifyReport> {
  const backend = options.backend ?? new ReferenceBackend();
  const cases: VerifyCase[] = [];
  let seed = options.seed ?? 1;
  for (const shape of options.shapes ?? DEFAULT_VERIFY_SHAPES) {
    for (const loss of options.losses ?? LOSSES) {
      const instance = randomAttentionInstance({ ...shape, loss, seed: seed++ });
      const closed = new AttentionHessian(instance);
      const products = await CurvatureProducts.create(backend, attentionModel(closed.dims, loss), attentionFeeds(instance));
      const dense = {
        full: await assembleDense(products.operator("hessian")),
        outer: await assembleDense(products.operator("ggn")),
        functional: await assembleDense(products.operator("functional")),
      };
      products.dispose();
      const blocks = {} as Record<(typeof CANONICAL_BLOCKS)[number], number>;
      // A block far smaller than the Hessian (a saturated softmax leaves its QQ and KK blocks near
      // 1e-11 of it) holds float64 rounding of order 1e-16 of the Hessian: relative to itself that
      // reads 1e-5. Blocks are judged relative to their own size, but never to less than
      // SMALL_BLOCK of the whole Hessian's, so only absolute errors below 1e-13 of it go unseen.
      const floor = SMALL_BLOCK * norm(dense.full.data);
      for (const name of CANONICAL_BLOCKS) {
        blocks[name] = Math.max(
          ...(["full", "outer", "functional"] as const).map((part) => {
            const want = blockOf(closed, dense[part], name).data;
            const got = closed.block(name, part).data;
            // A part that is exactly zero (H_f(V,V)) is compared absolutely, relative to the block's H.
            const scale = Math.max(norm(want), norm(blockOf(closed, dense.full, name).data), floor, 1e-300);
            if (norm(want) === 0) return norm(got) / scale;
            return norm(want) >= floor ? relativeError(got, want) : norm(got.map((g, i) => g - want[i]!)) / floor;
          }),
        );
      }
      cases.push({ shape, loss, blocks });
      options.onProgress?.(`L=${shape.tokens} d_V=${shape.model} d_K=${shape.key} ${loss}: max ${Math.max(...Object.values(blocks)).toExponential(2)}`);
    }
  }
  const blocks = Object.fromEntries(CANONICAL_BLOCKS.map((b) => [b, Math.max(...cases.map((c) => c.blocks[b]))])) as VerifyReport["blocks"];
  return { blocks, maxRelErr: Math.max(...Object.values(blocks)), cases };
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! ** 2;
  return Math.sqrt(s);
}
