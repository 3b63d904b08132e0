import type { CommandIO } from "@unfold/cli";
import { type BenchCommandOptions, benchCommand } from "./bench.js";
import { type FidelityCommandOptions, fidelityCommand } from "./fidelity.js";
import { type FixedPointCommandOptions, fixedPointCommand } from "./fixed-point.js";
import { type ScalingCommandOptions, scalingCommand } from "./scaling.js";
import { type SoakCommandOptions, soakCommand } from "./soak.js";

/** The studies of their own, after `pnpm bench`; anything else is the benchmark table's flags. */
export const BENCH_SUBCOMMANDS = ["scaling", "fidelity", "soak", "fixed-point"] as const;

export interface BenchMainOptions {
  readonly bench?: BenchCommandOptions;
  readonly scaling?: ScalingCommandOptions;
  readonly fidelity?: FidelityCommandOptions;
  readonly soak?: SoakCommandOptions;
  readonly fixedPoint?: FixedPointCommandOptions;
}

/** `pnpm bench [scaling|fidelity|soak|fixed-point] ...`: dispatches to the study named first, or the benchmark table. */
export async function benchMain(argv: string[], io: CommandIO, options: BenchMainOptions = {}): Promise<void> {
  const [first, ...rest] = argv;
  if (first === "scaling") return scalingCommand(rest, io, options.scaling);
  if (first === "fidelity") return fidelityCommand(rest, io, options.fidelity);
  if (first === "soak") return soakCommand(rest, io, options.soak);
  if (first === "fixed-point") return fixedPointCommand(rest, io, options.fixedPoint);
  // A word where a flag belongs is most likely a mistyped study: say which ones there are.
  if (first !== undefined && !first.startsWith("-")) {
    throw new Error(`unknown subcommand '${first}' (subcommands: ${BENCH_SUBCOMMANDS.join(", ")}; without one, unfold bench takes flags: see --help)`);
  }
  return benchCommand(argv, io, options.bench);
}
