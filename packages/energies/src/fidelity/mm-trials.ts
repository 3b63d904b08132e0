import { Random, input, interpret, trace } from "@unfold/core";
import { attentionEnergyValue, plainSoftmaxAttention, softmaxBetaAttention } from "../yang/attention.js";

/** What `mmDescentTrials` counts: how often each attention step raised the attention energy E_att. */
export interface MmTrialsResult {
  /** The number of random instances tried. */
  readonly trials: number;
  /** Trials where the softmax_beta MM step raised E_att (beyond rounding): 0 is the theorem. */
  readonly mmIncreases: number;
  /** Trials where plain softmax attention raised E_att: it is not a descent step in general. */
  readonly plainSoftmaxIncreases: number;
  /** The largest rise of E_att under the MM step, relative to max(1, |E_att|) before it. */
  readonly worstMmRise: number;
  /** The largest rise of E_att under plain softmax attention, relative to max(1, |E_att|) before it. */
  readonly worstPlainRise: number;
}

/** A rise smaller than this fraction of |E| is rounding, not ascent. */
const ROUNDING = 1e-12;

/**
 * Random instances (n in [3, 20], d in [2, 10], W_a with random scale): does one full attention
 * step lower E_att? Counts the increases of the softmax_beta MM step and of plain softmax.
 */
export function mmDescentTrials(options: { trials?: number; seed?: number; onProgress?: (done: number) => void } = {}): MmTrialsResult {
  const trials = options.trials ?? 2000;
  const rng = new Random(options.seed ?? 2022);
  let mmIncreases = 0;
  let plainSoftmaxIncreases = 0;
  let worstMmRise = -Infinity;
  let worstPlainRise = -Infinity;
  for (let t = 0; t < trials; t++) {
    const n = rng.int(3, 20);
    const d = rng.int(2, 10);
    const scale = 0.25 + 1.75 * rng.uniform();
    const Y = rng.normals(n * d);
    const Wa = rng.normals(d * d, scale / Math.sqrt(d));
    const program = trace({ Y: input([n, d]), Wa: input([1, d, d]) }, ({ Y: y, Wa: wa }) => ({
      before: attentionEnergyValue(y, wa),
      mm: attentionEnergyValue(softmaxBetaAttention(y, wa), wa),
      plain: attentionEnergyValue(plainSoftmaxAttention(y, wa), wa),
    }));
    const out = interpret(program, new Map([["Y", Y], ["Wa", Wa]]));
    const before = out.get("before")![0]!;
    const rise = (after: number): number => (after - before) / Math.max(1, Math.abs(before));
    const mmRise = rise(out.get("mm")![0]!);
    const plainRise = rise(out.get("plain")![0]!);
    if (mmRise > ROUNDING) mmIncreases++;
    if (plainRise > ROUNDING) plainSoftmaxIncreases++;
    worstMmRise = Math.max(worstMmRise, mmRise);
    worstPlainRise = Math.max(worstPlainRise, plainRise);
    if ((t + 1) % 500 === 0) options.onProgress?.(t + 1);
  }
  return { trials, mmIncreases, plainSoftmaxIncreases, worstMmRise, worstPlainRise };
}
