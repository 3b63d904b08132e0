import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RefusalCase, refusalTable, spawnedRefusals } from "@unfold/testing/refusals";
import { afterAll, describe } from "vitest";
import { hessianMain } from "../src/index.js";

/**
 * Bad input to `pnpm hessian` and its commands: each case must fail before any work starts (no
 * progress, no output, nothing written) with an error naming what the user gave: the command,
 * the flag, the value, the path, and the valid values or range.
 */

const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "unfold-hessian-bad-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const FILE = join(tmp, "a-file");
writeFileSync(FILE, "a file, not a directory\n");
const DIR = join(tmp, "a-dir");
mkdirSync(DIR);
/** A folder for the cases that must fail on another flag (it stays empty). */
const OUT = join(tmp, "figures");
mkdirSync(OUT);

/** [arguments, what the message must name]. */
type Case = RefusalCase;

const CASES: readonly Case[] = [
  [["curvature"], ["'curvature'", "verify, scaling, plots, bench"]],
  [["--bogus"], ["'--bogus'", "verify, scaling, plots, bench"]],
  [["verify", "--seed=-1"], ["--seed", "'-1'", ">= 0"]],
  [["verify", "--seed", "x"], ["--seed", "'x'"]],
  [["verify", "extra"], ["extra"]],
  [["scaling", "--points", "1"], ["--points", "'1'", ">= 2"]],
  [["scaling", "--points", "x"], ["--points", "'x'"]],
  [["scaling", "--fit-max", "0"], ["--fit-max", "'0'", "positive"]],
  [["scaling", "--fit-max", "abc"], ["--fit-max", "'abc'"]],
  [["scaling", "--fit-max", "0.001"], ["--fit-max", "'0.001'", "at least 2"]],
  [["scaling", "--quick", "--points", "3", "--fit-max", "0.05"], ["--fit-max", "'0.05'", "--points 3", "at least 2"]],
  [["scaling", "--backend", "gpu"], ["--backend", "'gpu'", "cpu, reference"]],
  [["scaling", "--threads", "0"], ["--threads", "'0'"]],
  [["scaling", "--threads", "2", "--backend", "reference"], ["--threads 2", "--backend cpu", "reference"]],
  [["scaling", "--d-model", "0"], ["--d-model", "'0'"]],
  [["scaling", "--seeds", "0"], ["--seeds", "'0'"]],
  [["scaling", "--samples", "0"], ["--samples", "'0'"]],
  [["scaling", "--batch", "0"], ["--batch", "'0'"]],
  [["scaling", "--plot", ""], ["--plot", "needs a file path"]],
  [["scaling", "--plot", DIR], ["--plot", DIR, "is a directory"]],
  [["scaling", "--plot", join(FILE, "growth.svg")], ["--plot", FILE, "not a directory"]],
  [["scaling", "--plot", "/sys/growth.svg"], ["--plot", "/sys", "permission denied"]],
  [["scaling", "extra"], ["extra"]],
  [["plots"], ["--out", "required"]],
  [["plots", "--out", ""], ["--out", "required"]],
  [["plots", "--out", FILE], ["--out", FILE, "not a directory"]],
  [["plots", "--out", join(FILE, "figures")], ["--out", FILE, "not a directory"]],
  [["plots", "--out", "/sys/unfold-figures"], ["--out", "/sys/unfold-figures", "not permitted"]],
  [["plots", "--out", OUT, "--seeds", "0"], ["--seeds", "'0'"]],
  [["plots", "--out", OUT, "--points", "1"], ["--points", "'1'", ">= 2"]],
  [["plots", "--out", OUT, "--sigma", "0"], ["--sigma", "'0'", "positive"]],
  [["plots", "--out", OUT, "--d-model", "0"], ["--d-model", "'0'"]],
  [["plots", "--out", OUT, "--backend", "gpu"], ["--backend", "'gpu'", "cpu, reference"]],
  [["plots", "--out", OUT, "extra"], ["extra"]],
  [["bench", "--d-model", "16,x"], ["--d-model", "'x'"]],
  [["bench", "--d-model", ""], ["--d-model"]],
  [["bench", "--tokens", "0"], ["--tokens", "'0'"]],
  [["bench", "--repeats", "0"], ["--repeats", "'0'"]],
  [["bench", "--backend", "gpu"], ["--backend", "'gpu'", "cpu, reference"]],
  [["bench", "extra"], ["extra"]],
];

refusalTable("pnpm hessian", CASES, hessianMain, tmp);

/**
 * Impossible paths, in a real process: under /proc every mkdir fails with ENOENT (Node's
 * recursive mkdir retried that forever). Each run is small, so without the check before the work
 * it would reach the write after its computation; with it, it fails at once.
 */
describe("impossible output paths fail at once, in a real process", () => {
  const HESSIAN = join(here, "..", "src", "bin", "hessian.ts");
  const SPAWNED: readonly Case[] = [
    [
      ["plots", "--out", "/proc/unfold-missing/figures", "--d-model", "4", "--points", "3", "--seeds", "1"],
      ["error: --out: cannot create directory '/proc/unfold-missing': no such file or directory (ENOENT)"],
    ],
    [
      ["scaling", "--d-model", "4", "--points", "3", "--seeds", "1", "--samples", "2", "--batch", "1", "--fit-max", "10", "--plot", "/proc/unfold-missing/growth.svg"],
      ["error: --plot: cannot create directory '/proc/unfold-missing': no such file or directory (ENOENT)"],
    ],
  ];
  spawnedRefusals("pnpm hessian", HESSIAN, SPAWNED);

});
