import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RefusalCase, refusalTable, spawnedRefusals } from "@unfold/testing/refusals";
import { afterAll, describe } from "vitest";
import { unfoldCommand, verifyCommand } from "../src/index.js";

/**
 * Bad input to `pnpm unfold`, `pnpm unfold export` and `pnpm verify`: each case must fail before
 * any work starts (no progress, no output, nothing written) with an error naming what the user
 * gave: the flag, the value, the path, and where there is one, the valid values or range.
 */

const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "unfold-verify-bad-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
/** A plain file where a directory is needed, and a directory where a file is. */
const FILE = join(tmp, "a-file");
writeFileSync(FILE, "a file, not a directory\n");
const DIR = join(tmp, "a-dir");
mkdirSync(DIR);
/** Writable by nobody, root included. */
const UNWRITABLE = "/sys";

/** [arguments, what the message must name]. */
type Case = RefusalCase;

const DEMO: readonly Case[] = [
  [["--digits", "0"], ["--digits", "'0'", "from 1 to 8630"]],
  [["--digits", "two"], ["--digits", "'two'"]],
  [["--digits", "1.5"], ["--digits", "'1.5'"]],
  [["--digits", "100000"], ["--digits", "'100000'", "from 1 to 8630"]],
  [["--layers", "0"], ["--layers", "'0'", ">= 1"]],
  [["--layers", "1.5"], ["--layers", "'1.5'"]],
  [["--patch", "0"], ["--patch", "'0'", "1, 2, 4, 7, 14, 28"]],
  [["--patch", "5"], ["--patch", "'5'", "1, 2, 4, 7, 14, 28"]],
  [["--patch", "56"], ["--patch", "'56'", "1, 2, 4, 7, 14, 28"]],
  [["--seed=-1"], ["--seed", "'-1'", ">= 0"]],
  [["--seed", "x"], ["--seed", "'x'"]],
  [["--plot", ""], ["--plot", "needs a file path"]],
  [["--plot", DIR], ["--plot", DIR, "is a directory"]],
  [["--plot", join(FILE, "energy.svg")], ["--plot", FILE, "not a directory"]],
  [["--plot", join(UNWRITABLE, "energy.svg")], ["--plot", UNWRITABLE, "permission denied"]],
  [["--bogus"], ["--bogus"]],
  [["--layers", "2", "extra"], ["extra"]],
  [["exprt"], ["'exprt'", "export, hopfield"]],
  // `unfold demo train`: the demo names its own words, and where the others are listed.
  [["train"], ["'train'", "the demo takes flags (see unfold demo --help) or its subcommands export, hopfield", "unfold help"]],
  [["--digits"], ["--digits"]],
  [["--json=yes"], ["--json"]],
];

const EXPORT: readonly Case[] = [
  [["--out", DIR], ["--out", DIR, "is a directory"]],
  [["--out", join(FILE, "m.onnx")], ["--out", FILE, "not a directory"]],
  [["--out", join(UNWRITABLE, "m.onnx")], ["--out", UNWRITABLE, "permission denied"]],
  [["--out", "/proc/unfold.onnx"], ["--out", "/proc"]],
  [["--out", ""], ["--out", "needs a file path"]],
  [["--out"], ["--out"]],
  [["--layers", "0"], ["--layers", "'0'", ">= 1"]],
  [["--layers", "1.5"], ["--layers", "'1.5'"]],
  [["--dim", "0"], ["--dim", "'0'"]],
  [["--dim", "x"], ["--dim", "'x'"]],
  [["--tokens", "0"], ["--tokens", "'0'"]],
  [["--batch", "0"], ["--batch", "'0'"]],
  [["--batch", "2.5"], ["--batch", "'2.5'"]],
  [["--seed=-1"], ["--seed", "'-1'"]],
  [["--dtype", "float16"], ["--dtype", "'float16'", "float32 or float64"]],
  [["--dtype", "int32"], ["--dtype", "'int32'", "float32 or float64"]],
  [["--opset", "13"], ["--opset", "'13'", "from 17 to 21"]],
  [["--opset", "22"], ["--opset", "'22'", "from 17 to 21"]],
  [["--opset", "x"], ["--opset", "'x'"]],
  [["--bogus"], ["--bogus"]],
  [["extra"], ["extra"]],
  [["--fixed-batch=yes"], ["--fixed-batch"]],
];

const VERIFY: readonly Case[] = [
  [["--bogus"], ["--bogus"]],
  [["extra"], ["extra"]],
  [["--json=1"], ["--json"]],
];

refusalTable("pnpm unfold", DEMO, unfoldCommand, tmp);
refusalTable("pnpm unfold export", EXPORT, (args, io) => unfoldCommand(["export", ...args], io), tmp);
refusalTable("pnpm verify", VERIFY, verifyCommand, tmp);

/**
 * Impossible paths, in a real process: under /proc every mkdir fails with ENOENT, and Node's
 * recursive mkdir retried that forever at full CPU. The deadline is generous (a busy machine);
 * the figure that matters is the exit with the message, and its time is in the test's name.
 */
describe("impossible output paths fail at once, in a real process", () => {
  const UNFOLD = join(here, "..", "src", "bin", "unfold.ts");
  const SPAWNED: readonly Case[] = [
    [["export", "--out", "/proc/unfold-missing/m.onnx"], ["error: --out: cannot create directory '/proc/unfold-missing': no such file or directory (ENOENT)"]],
    [["--plot", "/proc/unfold-missing/energy.svg"], ["error: --plot: cannot create directory '/proc/unfold-missing': no such file or directory (ENOENT)"]],
  ];
  spawnedRefusals("pnpm unfold", UNFOLD, SPAWNED);

});
