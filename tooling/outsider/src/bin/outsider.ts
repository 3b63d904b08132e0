// The outsider check: what a second team gets from npm. Packs every published package, refuses a
// tarball that an install from npm would break on, installs the tarballs with npm into a fresh
// project outside the workspace, type-checks every entry point and an example there under strict
// without skipLibCheck, runs the example (a new energy on the reference and CPU backends, and
// conformance cases through the runner-agnostic suite), checks that a misspelt parameter name
// fails to compile, and runs the installed `unfold` (train, train predict, bench soak). Run after
// the build (.ci/outsider.sh builds first). --keep leaves the temporary folder for a look.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkTarball, manifestOf } from "../guard.js";
import { readTarball } from "../tar.js";
import { type Ran, mustRun, run } from "../run.js";
import { publishedPackages } from "../workspace.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..", "..");
const projectTemplate = join(here, "..", "..", "project");
const keep = process.argv.includes("--keep");

/**
 * Packages whose declarations import a third-party package's types that do not type-check under
 * lib ES2022 without skipLibCheck, with why. Their entry points are checked in a program of
 * their own, which must still fail: once a package's declarations stop importing those types,
 * this check fails until the package is taken off the list, so the list only shrinks.
 */
const PENDING_DECLARATIONS: ReadonlyMap<string, string> = new Map<string, string>([]);

/** The trainer's run in CI, shortened as .ci/run shortens `pnpm start`. */
const TRAIN_ARGS = ["--config", "quick", "--epochs", "1", "--train-examples", "1000", "--test-examples", "200", "--energy-inputs", "20", "--warmup-steps", "10"];

/** The import specifiers of a tarball's entry points: its exports' subpaths, less patterns and JSON files. */
function entryPointsOf(file: string, name: string): string[] {
  const manifest = JSON.parse(readTarball(file).get("package/package.json")!.toString("utf8")) as { exports?: unknown };
  const subpaths = typeof manifest.exports === "object" && manifest.exports !== null ? Object.keys(manifest.exports) : [];
  return subpaths.filter((s) => s.startsWith(".") && !s.includes("*") && !s.endsWith(".json")).map((s) => (s === "." ? name : `${name}/${s.slice(2)}`));
}

/**
 * A few lives of three backends, each in a child process the installed bench starts: proof that
 * each backend loads its WebAssembly from the installed packages and matches the reference. Not
 * a leak check: three lives are too few to judge memory (onnxruntime's heap climbs to its
 * high-water mark over the first lives), so the RSS limit is set out of reach here; CI's own
 * `bench soak --quick` judges leaks over 100 lives.
 */
const SOAK_ARGS = ["--backend", "cpu,onnx,tfjs", "--lives", "3", "--warmup-lives", "1", "--max-rss-growth-mb", "100000", "--json"];

const timings: [string, number][] = [];
async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  console.log(`[outsider] ${name}`);
  const result = await work();
  timings.push([name, (performance.now() - started) / 1000]);
  return result;
}

// npm, not the pnpm that may have started this: no npm_* settings of the workspace's package manager.
const npmEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")));

const work = mkdtempSync(join(tmpdir(), "unfold-outsider-"));
const tarballs = join(work, "tarballs");
const project = join(work, "project");
let passed = false;
try {
  const packages = publishedPackages(repo);
  mkdirSync(tarballs);
  await phase(`pack ${packages.length} packages`, () =>
    Promise.all(packages.map((p) => mustRun(`pnpm pack of ${p.name}`, "pnpm", ["pack", "--pack-destination", tarballs], { cwd: p.dir }))),
  );
  const files = readdirSync(tarballs).filter((f) => f.endsWith(".tgz")).map((f) => join(tarballs, f));
  const manifests = new Map(files.map((f) => [f, manifestOf(f)]));
  const published = new Map([...manifests.values()].map((m) => [m.name, m.version]));

  const problems = files.flatMap((f) => checkTarball(f, published));
  if (problems.length > 0) throw new Error(`${problems.length} problem(s) in the tarballs:\n  ${problems.join("\n  ")}`);
  const versions = new Set(published.values());
  if (versions.size !== 1) throw new Error(`the published packages are on ${versions.size} versions (${[...versions].join(", ")}); one version line means one version`);
  console.log(`[outsider] ${files.length} tarballs, no workspace: specifier, every named file present; version${versions.size === 1 ? "" : "s"} ${[...versions].join(", ")}`);

  // The fresh project: the tarballs as dependencies (overrides pin every @unfold/* package a
  // tarball depends on to its tarball, so nothing of ours comes from the registry).
  mkdirSync(project);
  for (const f of readdirSync(projectTemplate)) copyFileSync(join(projectTemplate, f), join(project, f));
  const dependencies = Object.fromEntries([...manifests].map(([file, m]) => [m.name, `file:${file}`]));
  const versionIn = (folder: string): string => (JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as { version: string }).version;
  const typescript = versionIn(join(repo, "node_modules", "typescript"));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify(
      {
        name: "unfold-outsider",
        private: true,
        type: "module",
        dependencies,
        devDependencies: { typescript, "@types/node": "^20.19.0" },
        overrides: Object.fromEntries([...published.keys()].map((name) => [name, `$${name}`])),
      },
      null,
      2,
    ),
  );
  // Every entry point of every package, so tsc checks all published declarations: those of the
  // pending packages each in a program of its own, which must fail (see PENDING_DECLARATIONS).
  const importsOf = (entries: readonly string[]): string => entries.map((e, i) => `export type * as entry${i} from "${e}";\n`).join("");
  const pendingChecks = [...PENDING_DECLARATIONS.keys()].map((name, i) => ({ name, config: `tsconfig.pending-${i}.json` }));
  for (const [i, { name }] of pendingChecks.entries()) {
    const entries = [...manifests].filter(([, m]) => m.name === name).flatMap(([file]) => entryPointsOf(file, name));
    writeFileSync(join(project, `imports-pending-${i}.ts`), importsOf(entries));
    writeFileSync(join(project, `tsconfig.pending-${i}.json`), JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { noEmit: true }, files: [`imports-pending-${i}.ts`] }));
  }
  const entryPoints = [...manifests].filter(([, m]) => !PENDING_DECLARATIONS.has(m.name)).flatMap(([file, m]) => entryPointsOf(file, m.name));
  writeFileSync(join(project, "imports.ts"), importsOf(entryPoints));

  await phase("npm install of the tarballs", () =>
    mustRun("npm install", "npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project, env: npmEnv }),
  );
  for (const optional of ["vitest"]) {
    if (existsSync(join(project, "node_modules", optional))) throw new Error(`npm installed ${optional} into the outsider's project: a published package pulls it in (make it an optional peer)`);
  }

  // The type checks run side by side: each is one tsc process, mostly waiting on its own files.
  const tsc = (config: string): Promise<Ran> => run("npx", ["tsc", "-p", config], { cwd: project, env: npmEnv });
  const variants = [
    { config: "tsconfig.json", what: "example.ts and every entry point (lib ES2022, @types/node)" },
    { config: "tsconfig.dom.json", what: "every entry point with lib.dom" },
  ];
  const [typo, ...checked] = await phase(`tsc: ${entryPoints.length} entry points (strict, no skipLibCheck) in ${variants.length} settings, the misspelt parameter, ${pendingChecks.length} pending packages`, () =>
    Promise.all([tsc("tsconfig.typo.json"), ...variants.map((v) => tsc(v.config)), ...pendingChecks.map((c) => tsc(c.config))]),
  );
  const pending = checked.slice(variants.length);
  for (const [i, { config, what }] of variants.entries()) {
    const result = checked[i]!;
    if (result.code !== 0) throw new Error(`tsc -p ${config}, ${what}, failed (exit ${result.code}):\n${result.output.split("\n").slice(0, 40).join("\n")}`);
  }
  if (typo!.code === 0 || !typo!.output.includes("Tt")) {
    throw new Error(`typo.ts reads p.Tt of an energy whose only parameter is T: tsc must refuse it, naming 'Tt', but it exited ${typo!.code}${typo!.output ? `:\n${typo!.output}` : " with no output"}`);
  }
  console.log(`[outsider] the misspelt parameter fails to compile: ${typo!.output.split("\n").find((l) => l.includes("Tt"))?.trim()}`);
  for (const [i, { name }] of pendingChecks.entries()) {
    if (pending[i]!.code === 0) throw new Error(`${name}'s declarations now type-check under strict without skipLibCheck: take it off PENDING_DECLARATIONS in tooling/outsider/src/bin/outsider.ts`);
    console.log(`[outsider] pending: ${name}: ${PENDING_DECLARATIONS.get(name)}`);
  }

  const example = await phase("the example: a new energy on reference and cpu", () => mustRun("the example", "node", ["build/example.js"], { cwd: project, env: npmEnv }));
  process.stdout.write(example.output);

  const trainOut = join(work, "train");
  const help = await phase("npx unfold help", () => mustRun("npx unfold help", "npx", ["unfold", "help"], { cwd: project, env: npmEnv }));
  if (!/\btrain\b/.test(help.output)) throw new Error(`npx unfold help does not list train:\n${help.output}`);
  const trained = await phase(`npx unfold train ${TRAIN_ARGS.join(" ")}`, () =>
    mustRun("npx unfold train", "npx", ["unfold", "train", ...TRAIN_ARGS, "--out", trainOut], { cwd: project, env: npmEnv }),
  );
  const accuracy = trained.output.split("\n").filter((l) => l.includes("test accuracy")).at(-1);
  if (!accuracy || !existsSync(join(trainOut, "model.onnx"))) throw new Error(`npx unfold train printed no test accuracy or wrote no model.onnx:\n${trained.output.split("\n").slice(-20).join("\n")}`);
  console.log(`[outsider] ${accuracy.trim()}`);

  // Data files read at run time from the installed packages: onnxruntime-web's wasm (predict),
  // and, in child processes started from the bundle's bench entry, onnxruntime-web's and
  // TensorFlow.js's wasm and the CPU backend's kernels.
  const predicted = await phase("npx unfold train predict --json", () =>
    mustRun("npx unfold train predict", "npx", ["unfold", "train", "predict", "--onnx", join(trainOut, "model.onnx"), "--input", join(trainOut, "predict-sample.jsonl"), "--json"], { cwd: project, env: npmEnv }),
  );
  const predictions = JSON.parse(predicted.output.trim().split("\n").at(-1) ?? "{}") as { count?: number };
  if (!(typeof predictions.count === "number" && predictions.count > 0)) throw new Error(`npx unfold train predict --json printed no predictions:\n${predicted.output}`);
  const soaked = await phase(`npx unfold bench soak ${SOAK_ARGS.join(" ")}`, () => mustRun("npx unfold bench soak", "npx", ["unfold", "bench", "soak", ...SOAK_ARGS], { cwd: project, env: npmEnv }));
  const soak = JSON.parse(soaked.output.trim().split("\n").at(-1) ?? "{}") as { backends?: { backend: string; status: string }[] };
  const notOk = (soak.backends ?? []).filter((b) => b.status !== "ok");
  if ((soak.backends ?? []).length !== 3 || notOk.length > 0) throw new Error(`npx unfold bench soak: not every backend ran ok:\n${soaked.output.split("\n").slice(-10).join("\n")}`);
  console.log(`[outsider] ${predictions.count} predictions; bench soak from the installed bundle: ${soak.backends!.map((b) => `${b.backend} ${b.status}`).join(", ")}`);
  passed = true;
} catch (error) {
  console.error(`[outsider] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  const total = timings.reduce((sum, [, s]) => sum + s, 0);
  console.log(`[outsider] ${timings.map(([name, s]) => `${name}: ${s.toFixed(1)} s`).join("; ")}; total ${total.toFixed(1)} s`);
  if (keep || !passed) console.log(`[outsider] left in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
if (passed) console.log("[outsider] passed");
