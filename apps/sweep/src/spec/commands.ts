/**
 * The commands a sweep may run, and for each what a spec may set. This table is the sweep's
 * security boundary: a job's command line is built only from a command named here and values
 * checked against its rules, so a spec (or a job injected into a queue) can choose settings but
 * never a program, a shell word or a path to write to. Each job's outputs go to flags the runner
 * sets itself, inside the job's own directory.
 */

/** The commands a sweep runs, as `unfold` words. */
export const SWEEP_COMMANDS = ["train", "hessian scaling", "bench"] as const;
export type SweepCommand = (typeof SWEEP_COMMANDS)[number];

/**
 * How a flag's value is checked: a switch is true (given) or false (left out); a word is a
 * value such as a backend name or a comma list, never a path or anything starting with a dash.
 */
export type FlagKind = "switch" | "integer" | "number" | "word";

/** What a word value may hold: letters, digits and `_ . , : + -`, starting with a letter or digit (no slash, so no path). */
export const WORD = /^[A-Za-z0-9][A-Za-z0-9_.,:+-]{0,199}$/;

/** A command the spec configures with a trainer config file (`train`) or with flags (the others). */
export type CommandKind = "config" | "flags";

export interface CommandRule {
  /** The `unfold` words that start it. */
  readonly words: readonly string[];
  readonly kind: CommandKind;
  /** For flag commands: the flags a spec may set (without the dashes) and their kinds. */
  readonly flags: Readonly<Record<string, FlagKind>>;
  /** Where the command writes its own files, set by the runner to a folder of the job directory; none for a command that writes nothing. */
  readonly outFlag?: string;
  /** Whether a job resumes from the command's checkpoint when it is run again (the trainer's --resume). */
  readonly resumes: boolean;
  /**
   * The command's flag for its CPU thread count, which the runner sets to the spec's
   * threadsPerJob, so N jobs at once use N x threadsPerJob cores, not N x every core. None for a
   * command whose engines pick their own threads (bench): there threadsPerJob sets the worker count only.
   */
  readonly threadsFlag?: string;
}

export const COMMAND_RULES: Readonly<Record<SweepCommand, CommandRule>> = {
  train: { words: ["train"], kind: "config", flags: {}, outFlag: "out", resumes: true, threadsFlag: "threads" },
  "hessian scaling": {
    words: ["hessian", "scaling"],
    kind: "flags",
    // --plot is left out on purpose: it writes a file where the spec says.
    flags: { quick: "switch", "d-model": "integer", points: "integer", seeds: "integer", samples: "integer", batch: "integer", "fit-max": "number", backend: "word" },
    resumes: false,
    threadsFlag: "threads",
  },
  bench: {
    words: ["bench"],
    kind: "flags",
    // --compare (reads a file the spec would name) and --out (set by the runner) are left out.
    flags: {
      quick: "switch",
      workload: "word",
      size: "word",
      engine: "word",
      repeats: "integer",
      warmup: "integer",
      budget: "number",
      gap: "number",
      batch: "integer",
      tokens: "integer",
      dim: "integer",
      layers: "integer",
      "skip-reference": "switch",
      "no-relaxed-simd": "switch",
    },
    outFlag: "out",
    resumes: false,
  },
};

/** A config path segment of a trainer config ("model", "learningRate"). */
export const CONFIG_SEGMENT = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** Config fields a spec may not set: the runner sets each job's output directory itself. */
export const RESERVED_CONFIG_FIELDS = ["out"] as const;

/** Why `value` does not suit a flag of `kind`, or undefined when it does. */
export function flagValueProblem(kind: FlagKind, value: unknown): string | undefined {
  switch (kind) {
    case "switch":
      return typeof value === "boolean" ? undefined : `must be true or false (a switch), got ${JSON.stringify(value)}`;
    case "integer":
      return typeof value === "number" && Number.isSafeInteger(value) ? undefined : `must be an integer, got ${JSON.stringify(value)}`;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : `must be a finite number, got ${JSON.stringify(value)}`;
    case "word":
      return typeof value === "string" && WORD.test(value) ? undefined : `must be a word of letters, digits and _ . , : + - (no path, not starting with a dash), got ${JSON.stringify(value)}`;
  }
}
