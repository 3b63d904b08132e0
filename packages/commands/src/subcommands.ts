/**
 * The subcommands of `unfold`, each one of the workspace's command-line apps run as it runs on
 * its own: the entry point is the app's own bin module, loaded only when its subcommand is
 * picked, so `unfold train ...` and `pnpm train ...` are one program with one set of flags,
 * usage texts and errors, and a subcommand loads only what it uses.
 */
export interface Subcommand {
  /** The word after `unfold`. */
  readonly name: string;
  /** What it does, for `unfold help`. */
  readonly summary: string;
  /** Loads the app's bin module, which reads its arguments from process.argv and runs. */
  readonly load: () => Promise<unknown>;
}

/** The subcommand that runs when the first word names none: the unfolding demo, whose own words (export, ...) it parses itself. */
export const DEMO = "demo";

/**
 * The demo's own subcommands, which `unfold` takes as its own words (`unfold export` is `unfold
 * demo export`). The router needs them to tell such a word from a misspelt subcommand, without
 * loading the demo; test/demo-words.test.ts checks them against the demo's.
 */
export const DEMO_WORDS: readonly string[] = ["export", "hopfield"];

export const SUBCOMMANDS: readonly Subcommand[] = [
  { name: "train", summary: "train a model on MNIST, a synthetic task or your data; `unfold train predict` runs an exported model", load: () => import("@unfold/trainer/bin/train") },
  { name: DEMO, summary: `the unfolding demo on MNIST tokens, and its subcommands (${DEMO_WORDS.map((w) => `\`unfold ${w}\``).join(", ")}); \`unfold\` alone runs it`, load: () => import("@unfold/verify/bin/unfold") },
  { name: "verify", summary: "the fidelity report: closed-form steps against autodiff, descent checks, a 12-layer unfolding", load: () => import("@unfold/verify/bin/verify") },
  { name: "bench", summary: "the backends timed against TensorFlow.js and onnxruntime-web (and `bench scaling|fidelity|soak`)", load: () => import("@unfold/bench/bin/bench") },
  { name: "hessian", summary: "the self-attention Hessian: `hessian verify|scaling|plots|bench`", load: () => import("@unfold/hessian-cli/bin/hessian") },
  { name: "sweep", summary: "one command run over a grid of settings, here or across machines (BullMQ + Redis): `sweep run|worker|status|results`", load: () => import("@unfold/sweep/bin/sweep") },
];

/** The subcommand called `name`, if there is one. */
export function subcommandNamed(name: string): Subcommand | undefined {
  return SUBCOMMANDS.find((s) => s.name === name);
}
