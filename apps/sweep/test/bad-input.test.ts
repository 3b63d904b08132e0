import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RefusalCase, refusalTable, spawnedRefusals } from "@unfold/testing/refusals";
import { afterAll, describe } from "vitest";
import { sweepMain } from "../src/index.js";
import { launcher, quiet, tempDir, writeSpec } from "./helpers/sweep.js";

/**
 * Bad input to `unfold sweep run` and `unfold sweep results`: each case fails before any job
 * starts (no progress, no output, nothing written) with an error naming what the user gave: the
 * command, the flag, the value, the spec file and its field.
 */

const tmp = tempDir("unfold-sweep-bad-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const SPEC = writeSpec(tmp, { name: "ok", command: "hessian scaling", axes: { d: { flag: "d-model", values: [4] } }, metrics: ["slopes.mlp"] }, "ok.json");
const OTHER = writeSpec(tmp, { name: "ok", command: "hessian scaling", axes: { d: { flag: "d-model", values: [8] } }, metrics: ["slopes.mlp"] }, "other.json");
const BAD_FIELD = writeSpec(tmp, { name: "ok", command: "hessian scaling", axes: { d: { flag: "plot", values: ["/etc/x.svg"] } }, metrics: ["slopes.mlp"] }, "bad-field.json");
const NOT_JSON = writeSpec(tmp, "{ name: ok", "not-json.json");
const ARRAY = writeSpec(tmp, [1], "array.json");
const FILE = join(tmp, "a-file");
writeFileSync(FILE, "not a folder\n");
const EMPTY = join(tmp, "empty");
mkdirSync(EMPTY);
/** A folder that holds the sweep of ok.json (its sweep.json), for the case that runs another spec into it. */
const HELD = join(tmp, "held");
mkdirSync(HELD);
writeFileSync(join(HELD, "sweep.json"), `${JSON.stringify({ name: "ok", command: "hessian scaling", base: {}, axes: { d: { flag: "d-model", values: [4] } }, search: "grid", repeats: 1, metrics: ["slopes.mlp"], retries: 2, threadsPerJob: 1 }, null, 2)}\n`);
const MISSING = join(tmp, "missing.json");

const CASES: readonly RefusalCase[] = [
  [["sweeep"], ["'sweeep'", "run, worker, status, results, timing"]],
  [["run"], ["sweep run needs the sweep spec first", "SPEC.json"]],
  [["run", "--out", EMPTY], ["sweep run needs the sweep spec first"]],
  [["run", MISSING], [MISSING, "no such file"]],
  [["run", EMPTY], [EMPTY, "a directory, not a spec file"]],
  [["run", NOT_JSON], [NOT_JSON, "not valid JSON"]],
  [["run", ARRAY], [ARRAY, "must be a JSON object, got an array"]],
  [["run", BAD_FIELD], [BAD_FIELD, "field axes.d.flag", '"plot"']],
  [["run", SPEC, "--workers", "0"], ["--workers", "'0'", ">= 1"]],
  [["run", SPEC, "--workers", "two"], ["--workers", "'two'"]],
  [["run", SPEC, "--bogus"], ["--bogus", "--out", "--workers"]],
  [["run", SPEC, "extra"], ["'extra'"]],
  [["run", SPEC, "--out", ""], ["--out needs a directory path"]],
  [["run", SPEC, "--out", FILE], ["--out", FILE, "not a directory"]],
  [["run", SPEC, "--out", join(FILE, "sweep")], ["--out", FILE, "not a directory"]],
  [["run", SPEC, "--detach"], ["--detach", "--queue"]],
  [["run", OTHER, "--out", HELD], ["--out", HELD, "holds the sweep 'ok' of another spec"]],
  [["results"], ["--out DIR"]],
  [["results", "--out", MISSING], ["--out", MISSING, "does not exist"]],
  [["results", "--out", EMPTY], ["--out", EMPTY, "holds no sweep", "sweep.json"]],
  [["results", "--out", EMPTY, "--workers", "2"], ["--workers", "--out"]],
  [["timing"], ["sweep timing needs the sweep spec first"]],
  [["timing", SPEC, "--workers", "1,0"], ["--workers", "'0'", ">= 1"]],
  [["timing", MISSING], [MISSING, "no such file"]],
];

refusalTable("unfold sweep", CASES, (args, io) => sweepMain(args, io, { launcher, progressStream: quiet }), tmp);

describe("as a process: one line on stderr, exit 1", () => {
  const SWEEP = fileURLToPath(new URL("../src/bin/sweep.ts", import.meta.url));
  spawnedRefusals("unfold sweep", SWEEP, [
    [["run", MISSING], [`error: ${MISSING}: cannot read the sweep spec: no such file`]],
    [["run", SPEC, "--out", "/proc/unfold-missing/sweep"], ["error: --out: cannot create directory '/proc/unfold-missing': no such file or directory (ENOENT)"]],
  ]);
});
