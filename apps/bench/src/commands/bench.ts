import { type CommandIO, fixed, formatAlignedTable, integerFlag, listFlag, parse, scientific } from "@unfold/cli";
import { DEFAULT_MATMUL, DEFAULT_SIZES, type MatmulShape, type SizeSpec, customSize } from "../config.js";
import type { Engine } from "../engines/engine.js";
import { ortEngine } from "../engines/ort.js";
import { jaxEngine } from "../engines/jax.js";
import { tfjsEngine } from "../engines/tfjs.js";
import { cpuEngine, loadCpuOrReference, referenceEngine } from "../engines/unfold.js";
import { onnxEngine } from "../engines/unfold-onnx.js";
import { tfjsBackendEngine } from "../engines/unfold-tfjs.js";
import { webgpuEngine } from "../engines/unfold-webgpu.js";
import { HESSIAN_BLOCK_SIZES, hessianBlockRows } from "../workloads/hessian-block.js";
import { ReferenceBackend } from "@unfold/core";
import { type BenchRow, DEFAULT_GAP_MS, REFERENCE_ENGINE, type WorkCount, runBench } from "../runner.js";
import { WORKLOADS, type WorkloadName } from "../workloads/problem.js";
import { enableRelaxedSimd } from "@unfold/backend-cpu/node";
import { compileWasmOptimized } from "../wasm-tiering.js";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { describeFsError, prepareOutputDirectory } from "@unfold/files";
import { compareRuns, formatComparison, parseBenchJson } from "../report/compare.js";
import { writeOutputFile } from "../report/output.js";
import { type MarkdownReportInput, columnNotes, markdownReport } from "../report/markdown.js";
import { ratioCharts, writeCharts } from "../report/charts.js";

const usage = (): string => `usage: unfold bench [--quick] [--json] [--workload LIST] [--size LIST] [--engine LIST]
                    [--repeats N] [--warmup N] [--budget SECONDS] [--gap MS] [--skip-reference]
                    [--compare FILE] [--out DIR]
                    [--no-relaxed-simd]
  --quick           the CI set: small size only, 2 timed runs, no warm-up beyond the check
                    run, no reference timing (unless --engine names unfold-reference)
  --workload LIST   comma list of: ${WORKLOADS.join(", ")}
  --size LIST       comma list of sizes (matmul has one fixed shape and runs once; hessian-block
                    runs at small and medium): small (8 x 128 tokens x d 64), medium
                    (1 x 512 x 256), and large (2 x 1024 x 256) when named; default: small
                    and medium
  --batch N --tokens N --dim N --layers N
                    a custom size (the flags not given from small, 12 layers); it runs alone,
                    or beside the sizes --size names
  --engine LIST     comma list of engines (default: all of them)
                      Unfold: ${unfoldEngineNames().join(", ")}
                      peers:  ${peerEngineNames().join(", ")}
  --repeats N       timed runs per row (default 5; the float64 reference runs once)
  --warmup N        untimed runs before them (default 1)
  --budget SECONDS  per row, start no further run once its runs took this long (default 30;
                    one timed run always happens)
  --gap MS          idle ms before each timed run when engines share a row (default ${DEFAULT_GAP_MS}):
                    the engines of a row are timed in interleaved rounds, and the gap lets one
                    engine's spinning threads park before the next one runs
  --skip-reference  keep the float64 reference's row but do not time it
  --no-relaxed-simd leave WebAssembly relaxed SIMD off. It is on by default: Node 22+ and
                    current browsers ship it, Node 20 keeps it behind a V8 flag that the bench
                    sets; unfold-cpu's GEMM then uses fused multiply-adds (no peer uses it)
  --compare FILE    compare with an earlier --json result (its stdout or just the object): each
                    row's change of median, flagged as a regression or an improvement only beyond
                    max(5%, 3 sigma) of the two runs' measured noise (MAD); with --json the
                    object gains "comparison"
  --out DIR         also write DIR/report.md (tables, counted work, engines, the comparison)
                    and DIR/ratio-<workload>.svg (speed against the fastest peer, per size)
  --json            print {"rows": [...], "elapsedSeconds": n} as one JSON object on the last line
Studies of their own (each with --help):
  unfold bench scaling    time against tokens and width, fitted log-log exponents, charts
  unfold bench fidelity   the scientific checks (closed forms, monotonicity, Hessian, slopes)
  unfold bench soak       1,000 backend lives per backend, and the memory they leave behind`;

export const DEFAULT_REPEATS = 5;
export const DEFAULT_WARMUP = 1;
export const DEFAULT_BUDGET_SECONDS = 30;
export const QUICK_REPEATS = 2;
/** The check run before the timed ones already warms every engine up. */
export const QUICK_WARMUP = 0;
/** relErr against the float64 reference above this (float32 engines) gets a note. */
export const TOLERANCE = 1e-3;

/**
 * The engines of a full run, in report order: Unfold's (the reference interpreter, then its
 * backends: cpu, ONNX on onnxruntime-web, TensorFlow.js on its wasm engine, WebGPU), then the
 * peers written by hand against their own libraries (TensorFlow.js's three backends,
 * onnxruntime-web, jax-js). Constructing one loads nothing.
 */
export function defaultEngines(): Engine[] {
  return [
    referenceEngine(),
    cpuEngine(),
    onnxEngine(),
    tfjsBackendEngine(),
    webgpuEngine(),
    tfjsEngine("cpu"),
    tfjsEngine("wasm"),
    tfjsEngine("webgpu"),
    ortEngine(),
    jaxEngine(),
  ];
}

const unfoldEngineNames = (): string[] => defaultEngines().filter((e) => !e.peer).map((e) => e.name);
const peerEngineNames = (): string[] => defaultEngines().filter((e) => e.peer).map((e) => e.name);

export interface BenchCommandOptions {
  /** Sizes of the Yang workloads (tests inject tiny ones). */
  readonly sizes?: readonly SizeSpec[];
  readonly matmul?: MatmulShape;
  /** The engines to choose from, in report order. */
  readonly engines?: () => Engine[];
  /** d_model of the hessian-block workload per size name (tests inject tiny ones). */
  readonly hessianBlockSizes?: Readonly<Record<string, number>>;
}

/** `pnpm bench`: the benchmark table, or with --json one JSON object on the last line. */
export async function benchCommand(argv: string[], io: CommandIO, options: BenchCommandOptions = {}): Promise<void> {
  const flags = parse(argv, {
    json: { type: "boolean" },
    quick: { type: "boolean" },
    workload: { type: "string" },
    size: { type: "string" },
    engine: { type: "string" },
    repeats: { type: "string" },
    warmup: { type: "string" },
    budget: { type: "string" },
    gap: { type: "string" },
    batch: { type: "string" },
    tokens: { type: "string" },
    dim: { type: "string" },
    layers: { type: "string" },
    compare: { type: "string" },
    out: { type: "string" },
    "skip-reference": { type: "boolean" },
    "no-relaxed-simd": { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(usage());
  // Before any engine compiles WebAssembly: V8 reads these flags at compile time.
  compileWasmOptimized();
  if (flags["no-relaxed-simd"] !== true) enableRelaxedSimd();
  const quick = flags["quick"] === true;
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const allEngines = (options.engines ?? defaultEngines)();
  const workloads = listFlag("workload", flags["workload"], WORKLOADS) ?? [...WORKLOADS];
  const sizeNames = listFlag("size", flags["size"], sizes.map((s) => s.name));
  const engineNames = listFlag("engine", flags["engine"], allEngines.map((e) => e.name));
  const repeats = integerFlag("repeats", flags["repeats"], quick ? QUICK_REPEATS : DEFAULT_REPEATS);
  const warmup = integerFlag("warmup", flags["warmup"], quick ? QUICK_WARMUP : DEFAULT_WARMUP, 0);
  const budgetSeconds = integerFlag("budget", flags["budget"], DEFAULT_BUDGET_SECONDS);
  const gapMs = integerFlag("gap", flags["gap"], DEFAULT_GAP_MS, 0);
  const custom = customSizeFlags(flags, sizes[0] ?? DEFAULT_SIZES[0]!);
  const named = sizeNames ? sizes.filter((s) => sizeNames.includes(s.name)) : custom ? [] : sizes.filter((s) => (quick ? s.quick : !s.onRequest));
  const chosenSizes = custom ? [...named, custom] : named;
  const engines = engineNames ? allEngines.filter((e) => engineNames.includes(e.name)) : allEngines;
  if (chosenSizes.length === 0 && workloads.some((w) => w !== "matmul")) throw new Error("no size is marked for --quick; name one with --size");
  const blockSizes = options.hessianBlockSizes ?? HESSIAN_BLOCK_SIZES;
  checkFiltersApply(flags, { workloads, explicitWorkloads: flags["workload"] !== undefined, sizes: chosenSizes, blockSizes, matmul: options.matmul ?? DEFAULT_MATMUL });

  // Read the earlier result and make the report's folder first: a bad file or an impossible
  // folder should fail before minutes of timing, not after.
  for (const flag of ["compare", "out"]) if (flags[flag] === "") throw new Error(`--${flag} needs a path`);
  const compareWith = typeof flags["compare"] === "string" ? await readEarlierRun(flags["compare"]) : undefined;
  const outDir = typeof flags["out"] === "string" ? prepareOutputDirectory(flags["out"], "--out") : undefined;
  if (workloads.includes("hessian-block") && !chosenSizes.some((s) => blockSizes[s.name] !== undefined)) {
    io.progress(`[bench] hessian-block: not run, it runs at ${Object.keys(blockSizes).join(", ")} and none of them was chosen`);
  }
  const started = performance.now();
  const { rows, work } = await runBench({
    workloads,
    sizes: chosenSizes,
    matmul: options.matmul ?? DEFAULT_MATMUL,
    engines,
    repeats,
    warmup,
    budgetMs: budgetSeconds * 1000,
    gapMs,
    // --quick leaves the reference untimed, unless --engine names it: an explicit choice wins.
    skipReference: flags["skip-reference"] === true || (quick && !(engineNames?.includes(REFERENCE_ENGINE) ?? false)),
    tolerance: TOLERANCE,
    onProgress: (m) => io.progress(`[bench] ${m}`),
  });
  if (workloads.includes("hessian-block")) rows.push(...(await hessianBlock(chosenSizes, blockSizes, repeats, io)));
  const comparison = compareWith ? compareRuns(compareWith, rows) : undefined;
  const elapsedSeconds = (performance.now() - started) / 1000;
  io.progress(`[bench] done in ${elapsedSeconds.toFixed(1)} s`);
  if (outDir !== undefined) {
    const descriptions = engines.flatMap((e) => (e.describe ? [e.describe()] : []));
    const paths = await writeReport(outDir, { rows, work, engines: descriptions, elapsedSeconds, tolerance: TOLERANCE, ...(comparison ? { comparison } : {}) });
    for (const path of paths) io.progress(`[bench] wrote ${path}`);
  }
  if (flags["json"]) {
    io.out(JSON.stringify({ rows, ...(comparison ? { comparison } : {}), elapsedSeconds }));
    return;
  }
  io.out(formatRows(rows));
  io.out("");
  if (comparison) {
    io.out(`Compared with ${String(flags["compare"])}:`);
    io.out(formatComparison(comparison));
    io.out("");
  }
  if (work.length > 0) {
    io.out(formatWork(work, chosenSizes));
    io.out("");
  }
  io.out(`The run took ${elapsedSeconds.toFixed(0)} s.`);
  io.out(`Per row: an untimed check run (compared with the reference), ${warmup} warm-up run(s), ${repeats} timed run(s),`);
  io.out(`the engines of a row taking turns (interleaved rounds, ${gapMs} ms idle before each run),`);
  io.out(`fewer where the row's runs passed ${budgetSeconds} s (no warm-up after a check run that long);`);
  io.out("the float64 reference engine runs once, and that check run is its timing.");
  for (const note of columnNotes(TOLERANCE)) io.out(note);
  io.out(`Peers: ${peerEngineNames().join(", ")}.`);
  for (const e of engines) if (e.describe) io.out(`  ${e.describe()}`);
}

/**
 * The rows of an earlier `pnpm bench --json`, from its stdout or the object alone. Every error
 * names --compare and the file; two rows under one key are refused here, not after the run.
 */
async function readEarlierRun(path: string): Promise<BenchRow[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`--compare: cannot read '${path}': ${describeFsError(error)}`, { cause: error });
  }
  let rows: BenchRow[];
  try {
    rows = parseBenchJson(text, path);
  } catch (error) {
    throw new Error(`--compare: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const seen = new Set<string>();
  for (const row of rows) {
    const key = `${row.workload} ${row.size} ${row.engine}`;
    if (seen.has(key)) throw new Error(`--compare: ${path}: has two rows for ${key}; which one to compare with is unknown`);
    seen.add(key);
  }
  return rows;
}

/** Writes report.md and the ratio charts into `dir` (prepared for --out); returns the paths written. */
async function writeReport(dir: string, input: Omit<MarkdownReportInput, "charts">): Promise<string[]> {
  const charts = await writeCharts(dir, ratioCharts(input.rows), "--out");
  const report = join(dir, "report.md");
  writeOutputFile("--out", report, markdownReport({ ...input, charts: charts.map((c) => basename(c)) }));
  return [report, ...charts];
}

/** The workloads that run at the chosen sizes, and the ones that run on the chosen engines. */
const SIZED: readonly WorkloadName[] = WORKLOADS.filter((w) => w !== "matmul");
const ON_ENGINES: readonly WorkloadName[] = WORKLOADS.filter((w) => w !== "hessian-block");
const CUSTOM_SIZE_FLAGS = ["batch", "tokens", "dim", "layers"] as const;

/**
 * A filter that selects nothing in the chosen workloads is an error, not ignored: --size or a
 * custom size with matmul alone (one fixed shape), --engine with hessian-block alone (it times
 * the closed form against HVP assembly, on no engine of the list), and --size naming no size
 * hessian-block runs at when --workload named it.
 */
function checkFiltersApply(
  flags: Record<string, string | boolean | undefined>,
  run: { workloads: readonly WorkloadName[]; explicitWorkloads: boolean; sizes: readonly SizeSpec[]; blockSizes: Readonly<Record<string, number>>; matmul: MatmulShape },
): void {
  const chosen = run.workloads.join(", ");
  if (!run.workloads.some((w) => SIZED.includes(w))) {
    const given = ["size", ...CUSTOM_SIZE_FLAGS].find((f) => flags[f] !== undefined);
    if (given) throw new Error(`--${given} has no effect on ${chosen}: matmul has one fixed shape (${run.matmul.m}x${run.matmul.k}x${run.matmul.n}); name a Yang workload with --workload, or drop --${given}`);
  }
  if (flags["engine"] !== undefined && !run.workloads.some((w) => ON_ENGINES.includes(w))) {
    throw new Error(`--engine has no effect on ${chosen}: hessian-block times the closed form against Hessian-vector-product assembly on unfold-cpu, not on an engine of the list`);
  }
  if (run.explicitWorkloads && run.workloads.includes("hessian-block") && !run.sizes.some((s) => run.blockSizes[s.name] !== undefined)) {
    const given = flags["size"] !== undefined ? `--size '${String(flags["size"])}'` : "the chosen sizes";
    throw new Error(`--workload hessian-block runs at sizes ${Object.keys(run.blockSizes).join(", ")}; ${given} names none of them`);
  }
}

/** The custom size of --batch --tokens --dim --layers, or undefined when none of them is given. */
function customSizeFlags(flags: Record<string, string | boolean | undefined>, base: SizeSpec): SizeSpec | undefined {
  const read = (name: string): number | undefined => (flags[name] === undefined ? undefined : integerFlag(name, flags[name], 1));
  const given = { batch: read("batch"), tokens: read("tokens"), dim: read("dim"), layers: read("layers") };
  if (Object.values(given).every((v) => v === undefined)) return undefined;
  return customSize(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)), base);
}

/** The hessian-block rows at the chosen sizes that have a d_model, HVPs on the CPU backend (the reference without it). */
async function hessianBlock(sizes: readonly SizeSpec[], dModels: Readonly<Record<string, number>>, repeats: number, io: CommandIO): Promise<BenchRow[]> {
  const names = sizes.map((s) => s.name).filter((n) => dModels[n] !== undefined);
  if (names.length === 0) return [];
  const backend = await loadCpuOrReference(undefined, (m) => io.progress(`[bench] hessian-block: ${m}`));
  const backendEngine = backend instanceof ReferenceBackend ? "unfold-reference" : "unfold-cpu";
  try {
    return await hessianBlockRows({ sizes: names, dModels, repeats, backend, backendEngine, onProgress: (m) => io.progress(`[bench] ${m}`) });
  } finally {
    await backend.dispose();
  }
}

export function formatRows(rows: readonly BenchRow[]): string {
  const header = ["workload", "size", "engine", "median ms", "min ms", "max ms", "MAD ms", "GFLOP/s", "relErr", "vs best peer", "heap MB", "pool MB", "note"];
  const right = [false, false, false, true, true, true, true, true, true, true, true, true, false];
  const cells = rows.map((r) => [
    r.workload,
    r.size,
    r.engine,
    fixed(r.medianMs, 2),
    fixed(r.minMs, 2),
    fixed(r.maxMs, 2),
    fixed(r.madMs, 2),
    fixed(r.gflops, 2),
    scientific(r.relErr),
    r.ratioVsBestPeer === null ? "-" : `${fixed(r.ratioVsBestPeer, 2)}x`,
    fixed(r.heapMB, 1),
    fixed(r.poolMB, 1),
    r.note ?? "",
  ]);
  return formatAlignedTable(header, cells, right);
}

function formatWork(work: readonly WorkCount[], sizes: readonly SizeSpec[]): string {
  const lines = ["Counted work per run (from the optimized core program; the same count for every engine):"];
  for (const w of work) {
    const s = sizes.find((x) => x.name === w.size);
    const shape = s ? ` (batch ${s.batch} x ${s.tokens} tokens x d ${s.dim}${s.layers !== undefined ? `, ${s.layers} layers` : ""})` : "";
    const gflop = w.flops / 1e9;
    lines.push(`  ${w.workload} ${w.size}${shape}: ${gflop >= 0.01 ? gflop.toFixed(3) : gflop.toExponential(2)} GFLOP`);
  }
  return lines.join("\n");
}
