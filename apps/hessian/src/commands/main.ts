import { benchCommand } from "./bench.js";
import type { CommandIO } from "@unfold/cli";
import { plotsCommand } from "./plots.js";
import { scalingCommand } from "./scaling.js";
import { verifyCommand } from "./verify.js";

export const COMMANDS = { verify: verifyCommand, scaling: scalingCommand, plots: plotsCommand, bench: benchCommand } as const;

const USAGE = `usage: unfold hessian <command> [flags]   (--help after a command for its flags)
  verify    closed-form self-attention Hessian blocks against autodiff (float64)
  scaling   growth rates of Hessian blocks with the data scale (log-log slopes)
  plots     SVG figures: block heatmap, entry histograms, growth curves
  bench     the hessian-block timing: closed form against Hessian-vector-product assembly`;

/** `pnpm hessian <command>`: dispatches to one command; an unknown one is an error listing them. */
export async function hessianMain(argv: string[], io: CommandIO): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "help") return io.out(USAGE);
  const command = COMMANDS[name as keyof typeof COMMANDS];
  if (!command) throw new Error(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(", ")})`);
  await command(rest, io);
}
