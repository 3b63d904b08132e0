import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { captureIO } from "@unfold/testing";
import { type RefusalCase, refusalTable, spawnedRefusals } from "@unfold/testing/refusals";
import { afterAll, describe, expect, it } from "vitest";
import { type BenchCommandOptions, type BenchRow, type CommandIO, benchMain } from "../src/index.js";
import { TINY, TINY_BATCH, TINY_MATMUL } from "./helpers.js";

/**
 * Bad input to `pnpm bench`, `bench scaling`, `bench fidelity` and `bench soak`: each case must
 * fail before any work starts (no progress, no output, nothing written) with an error naming
 * what the user gave: the flag, the value, the file, and the valid values or range.
 */

const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "unfold-bench-bad-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};
const FILE = file("a-file", "a file, not a directory\n");
const DIR = join(tmp, "a-dir");
mkdirSync(DIR);
const MISSING = join(tmp, "missing.json");
const EMPTY = file("empty.json", "");
const GARBLED = file("garbled.json", "\u0000\u00ff\u0013 not a bench result \u00fe");
const NOT_JSON = file("progress.txt", "[bench] matmul 6x5x7: float64 reference done in 0.0 s\n[bench] done in 1.0 s\n");
const TRUNCATED = file("truncated.json", '[bench] done in 1.0 s\n{"rows": [{"workload": "matmul", "size": "6x5');
const NO_ROWS = file("no-rows.json", '{"points": [], "fits": []}\n');
const BAD_ROW = file("bad-row.json", '{"rows": [{"workload": "matmul", "engine": "tfjs-cpu", "medianMs": 1}]}\n');
const row = { workload: "matmul", size: "6x5x7", engine: "tfjs-cpu", medianMs: 1 };
const TWICE = file("twice.json", `${JSON.stringify({ rows: [row, row] })}\n`);

/** Tiny sizes, so that a case which wrongly starts work still ends quickly (and fails on its progress). */
const tiny: BenchCommandOptions = { sizes: [TINY, { ...TINY_BATCH, quick: false }], matmul: TINY_MATMUL, hessianBlockSizes: { tiny: 3 } };
/** Stand-ins that fail if the study or the checks start: nothing may run after a bad flag. */
const options = {
  bench: tiny,
  scaling: {
    measure: () => {
      throw new Error("the scaling study started");
    },
  },
  fidelity: {
    backend: () => {
      throw new Error("the fidelity checks started");
    },
  },
};

/** [arguments, what the message must name]. */
type Case = RefusalCase;

const ENGINES = "unfold-reference, unfold-cpu, unfold-onnx, unfold-tfjs, unfold-webgpu, tfjs-cpu, tfjs-wasm, tfjs-webgpu, ort-wasm, jax-js";

const BENCH: readonly Case[] = [
  [["--engine", "tfjs-gpu"], ["--engine", "'tfjs-gpu'", ENGINES]],
  [["--engine", ""], ["--engine", ENGINES]],
  [["--workload", "conv"], ["--workload", "'conv'", "matmul, descent-step"]],
  [["--workload", ""], ["--workload", "matmul, descent-step"]],
  [["--size", "huge"], ["--size", "'huge'", "tiny, tiny2"]],
  [["--size", ""], ["--size", "tiny, tiny2"]],
  [["--repeats", "0"], ["--repeats", "'0'", ">= 1"]],
  [["--repeats", "1.5"], ["--repeats", "'1.5'"]],
  [["--repeats", "many"], ["--repeats", "'many'"]],
  [["--warmup=-1"], ["--warmup", "'-1'", ">= 0"]],
  [["--budget", "0"], ["--budget", "'0'", ">= 1"]],
  [["--budget", "0.5"], ["--budget", "'0.5'"]],
  [["--gap=-5"], ["--gap", "'-5'", ">= 0"]],
  [["--batch", "0"], ["--batch", "'0'"]],
  [["--tokens", "0"], ["--tokens", "'0'"]],
  [["--dim", "x"], ["--dim", "'x'"]],
  [["--layers", "1.5"], ["--layers", "'1.5'"]],
  // Filters that select nothing in the chosen workloads.
  [["--workload", "matmul", "--size", "tiny"], ["--size", "matmul"]],
  [["--workload", "matmul", "--dim", "8"], ["--dim", "matmul"]],
  [["--workload", "hessian-block", "--size", "tiny2"], ["--size", "'tiny2'", "hessian-block", "tiny"]],
  [["--workload", "hessian-block", "--engine", "tfjs-cpu"], ["--engine", "hessian-block"]],
  // Earlier results that cannot be compared with.
  [["--compare", MISSING], ["--compare", MISSING, "no such file"]],
  [["--compare", DIR], ["--compare", DIR, "is a directory"]],
  [["--compare", EMPTY], ["--compare", EMPTY, "empty"]],
  [["--compare", GARBLED], ["--compare", GARBLED, "not JSON"]],
  [["--compare", NOT_JSON], ["--compare", NOT_JSON, "not JSON"]],
  [["--compare", TRUNCATED], ["--compare", TRUNCATED, "not JSON"]],
  [["--compare", NO_ROWS], ["--compare", NO_ROWS, '"rows"']],
  [["--compare", BAD_ROW], ["--compare", BAD_ROW, "rows[0]", '"size"']],
  [["--compare", TWICE], ["--compare", TWICE, "two rows", "matmul 6x5x7 tfjs-cpu"]],
  [["--compare", ""], ["--compare", "needs a path"]],
  // Report folders that cannot be one.
  [["--out", FILE], ["--out", FILE, "not a directory"]],
  [["--out", join(FILE, "report")], ["--out", FILE]],
  [["--out", "/sys/unfold-report"], ["--out", "/sys/unfold-report", "not permitted"]],
  [["--out", ""], ["--out", "needs a path"]],
  [["--bogus"], ["--bogus"]],
  [["scalng"], ["'scalng'", "scaling, fidelity, soak"]],
  [["--quick", "extra"], ["extra"]],
];

const SCALING: readonly Case[] = [
  [["--engine", "nope"], ["--engine", "'nope'", ENGINES]],
  [["--tokens-grid", "8"], ["--tokens-grid", "'8'", "at least 2"]],
  [["--tokens-grid", "8,x"], ["--tokens-grid", "'x'"]],
  [["--tokens-grid", ""], ["--tokens-grid"]],
  [["--dim-grid", "0,4"], ["--dim-grid", "'0'"]],
  [["--fixed-tokens", "0"], ["--fixed-tokens", "'0'"]],
  [["--fixed-dim", "1.5"], ["--fixed-dim", "'1.5'"]],
  [["--batch", "0"], ["--batch", "'0'"]],
  [["--layers", "0"], ["--layers", "'0'"]],
  [["--repeats", "0"], ["--repeats", "'0'"]],
  [["--warmup=-1"], ["--warmup", "'-1'"]],
  [["--out", FILE], ["--out", FILE, "not a directory"]],
  [["--out", "/sys/unfold-scaling"], ["--out", "/sys/unfold-scaling", "not permitted"]],
  [["--out", ""], ["--out", "needs a path"]],
  [["extra"], ["extra"]],
];

const FIDELITY: readonly Case[] = [
  [["--seed=-1"], ["--seed", "'-1'", ">= 0"]],
  [["--seed", "x"], ["--seed", "'x'"]],
  [["--bogus"], ["--bogus"]],
  [["extra"], ["extra"]],
];

const SOAK: readonly Case[] = [
  [["--lives", "0"], ["--lives", "'0'", ">= 1"]],
  [["--lives", "x"], ["--lives", "'x'"]],
  [["--backend", "nope"], ["--backend", "'nope'", "reference, cpu, onnx, tfjs, webgpu"]],
  [["--backend", ""], ["--backend", "reference, cpu, onnx, tfjs, webgpu"]],
  [["--max-rss-growth-mb", "0"], ["--max-rss-growth-mb", "'0'", "positive"]],
  [["--max-rss-growth-mb", "x"], ["--max-rss-growth-mb", "'x'"]],
  [["--lives", "10", "--warmup-lives", "10"], ["--warmup-lives", "'10'", "--lives 10"]],
  [["--warmup-lives=-1"], ["--warmup-lives", "'-1'"]],
  [["extra"], ["extra"]],
];

const table = (command: string, prefix: readonly string[], cases: readonly Case[]): void =>
  refusalTable(command, cases, (args, io) => benchMain([...prefix, ...args], io, options), tmp);

table("pnpm bench", [], BENCH);
table("pnpm bench scaling", ["scaling"], SCALING);
table("pnpm bench fidelity", ["fidelity"], FIDELITY);
table("pnpm bench soak", ["soak"], SOAK);

describe("an explicit choice is not overridden", () => {
  it("pnpm bench --quick --engine unfold-reference times the reference it names (--quick alone skips it)", async () => {
    const io: CommandIO & { lines: string[] } = captureIO();
    await benchMain(["--quick", "--workload", "matmul", "--engine", "unfold-reference", "--json"], io, options);
    const { rows } = JSON.parse(io.lines.at(-1)!) as { rows: BenchRow[] };
    expect(rows).toEqual([expect.objectContaining({ engine: "unfold-reference", runs: 1 })]);
    expect(rows[0]!.medianMs).not.toBeNull();
  });
});

/**
 * Impossible paths, in a real process: under /proc every mkdir fails with ENOENT, and Node's
 * recursive mkdir retried that forever at full CPU, after the whole run. Each command is given a
 * short run, so without the check before the work it would reach the write (and hang there).
 */
describe("impossible output paths fail at once, in a real process", () => {
  const BENCH_BIN = join(here, "..", "src", "bin", "bench.ts");
  const SPAWNED: readonly Case[] = [
    [
      ["--workload", "matmul", "--engine", "tfjs-cpu", "--repeats", "1", "--out", "/proc/unfold-missing/report"],
      ["error: --out: cannot create directory '/proc/unfold-missing': no such file or directory (ENOENT)"],
    ],
    [
      ["scaling", "--quick", "--engine", "tfjs-cpu", "--out", "/proc/unfold-missing/scaling"],
      ["error: --out: cannot create directory '/proc/unfold-missing': no such file or directory (ENOENT)"],
    ],
  ];
  spawnedRefusals("pnpm bench", BENCH_BIN, SPAWNED);

});
