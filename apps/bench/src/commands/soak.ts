import { type CommandIO, fixed, formatAlignedTable, integerFlag, listFlag, parse, positiveFlag, scientific } from "@unfold/cli";
import type { Backend } from "@unfold/core";
import { SOAK_BACKENDS, SOAK_FACTORIES, type SoakBackend } from "../soak/backends.js";
import { CHILD_SECONDS_PER_LIFE, CHILD_STARTUP_SECONDS, soakInChild } from "../soak/child.js";
import { type SoakFigures, soakLives } from "../soak/lives.js";
import { soakProgram } from "../soak/program.js";

export const SOAK_LIVES = 1000;
export const SOAK_WARMUP_LIVES = 50;
export const QUICK_SOAK_LIVES = 100;
export const QUICK_SOAK_WARMUP_LIVES = 50;
export const SOAK_MAX_RSS_GROWTH_MB = 50;

const usage = (): string => `usage: unfold bench soak [--quick] [--json] [--backend LIST] [--lives N] [--warmup-lives N]
                         [--max-rss-growth-mb MB] [--in-process]
The soak check: for each backend, N lives of create, compile a small program, upload, run, read
the result back and check it against the float64 reference, dispose; then the memory those lives
left behind. Each backend runs in a child process of its own, so one backend's leak does not
show in another's figures. RSS growth is RSS at the end less RSS after the warm-up lives (code,
caches and thread pools made once), both after a full garbage collection. A child process still
running after ${CHILD_SECONDS_PER_LIFE} s a life (plus ${CHILD_STARTUP_SECONDS} s) is killed, and its backend fails as hung.
  --backend LIST          comma list of: ${SOAK_BACKENDS.join(", ")} (default: all; webgpu is
                          reported unavailable where there is no WebGPU adapter, and fails only
                          when named here)
  --lives N               backend lives per backend (default ${SOAK_LIVES}; --quick ${QUICK_SOAK_LIVES})
  --warmup-lives N        lives before the first measurement, fewer than --lives (default
                          ${SOAK_WARMUP_LIVES}, with --quick ${QUICK_SOAK_WARMUP_LIVES}, and at most --lives less 1)
  --max-rss-growth-mb MB  fail a backend whose RSS grew by more (default ${SOAK_MAX_RSS_GROWTH_MB})
  --quick                 ${QUICK_SOAK_LIVES} lives per backend, ${QUICK_SOAK_WARMUP_LIVES} of them the warm-up, for CI: it
                          catches a leak of about 1 MB a life; the full run, one of 50 kB
  --in-process            run the backends in this process, one after another (what each child
                          process runs); their figures then include each other's leftovers
  --json                  print {"backends": [...], ...} as one JSON object on the last line
Exits non-zero after printing when a backend fails its result check, errs, or grows past the limit.`;

export interface SoakCommandOptions {
  /** Replaces backend factories in --in-process runs (a test injects a faulty backend). */
  readonly factories?: Partial<Record<SoakBackend, () => Backend | Promise<Backend>>>;
}

/** `pnpm bench soak`: backend lives per backend, their memory growth, and a verdict. */
export async function soakCommand(argv: string[], io: CommandIO, options: SoakCommandOptions = {}): Promise<void> {
  const flags = parse(argv, {
    quick: { type: "boolean" },
    json: { type: "boolean" },
    backend: { type: "string" },
    lives: { type: "string" },
    "warmup-lives": { type: "string" },
    "max-rss-growth-mb": { type: "string" },
    "in-process": { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(usage());
  const quick = flags["quick"] === true;
  const named = listFlag("backend", flags["backend"], SOAK_BACKENDS);
  const backends = named ?? [...SOAK_BACKENDS];
  const lives = integerFlag("lives", flags["lives"], quick ? QUICK_SOAK_LIVES : SOAK_LIVES);
  const warmupLives = integerFlag("warmup-lives", flags["warmup-lives"], Math.min(quick ? QUICK_SOAK_WARMUP_LIVES : SOAK_WARMUP_LIVES, lives - 1), 0);
  if (warmupLives >= lives) {
    throw new Error(`--warmup-lives must be fewer than --lives ${lives} (the growth is measured over the lives after it), got '${String(flags["warmup-lives"])}'`);
  }
  const limitMB = positiveFlag("max-rss-growth-mb", flags["max-rss-growth-mb"], SOAK_MAX_RSS_GROWTH_MB);
  const inProcess = flags["in-process"] === true;

  const started = performance.now();
  const program = soakProgram();
  const progress = (m: string): void => io.progress(`[soak] ${m}`);
  const results: SoakFigures[] = [];
  for (const backend of backends) {
    let judged: SoakFigures;
    if (inProcess) {
      progress(`${backend}: ${lives} lives, the first ${warmupLives} a warm-up`);
      const figures = await soakLives({ backend, create: options.factories?.[backend] ?? SOAK_FACTORIES[backend], program, lives, warmupLives, onProgress: progress });
      judged = judge(figures, limitMB, lives - warmupLives);
      progress(`${backend}: ${summary(judged)}`);
    } else {
      // The child prints the progress and the verdict (forwarded); a child that died says nothing more.
      const { figures, fromChild } = await soakInChild({
        backend,
        lives,
        args: ["--lives", String(lives), "--warmup-lives", String(warmupLives), "--max-rss-growth-mb", String(limitMB)],
        onProgress: progress,
      });
      judged = judge(figures, limitMB, lives - warmupLives);
      if (!fromChild) progress(`${backend}: ${summary(judged)}`);
    }
    results.push(judged);
  }
  const elapsedSeconds = (performance.now() - started) / 1000;
  if (flags["json"]) io.out(JSON.stringify({ backends: results, lives, warmupLives, maxRssGrowthMB: limitMB, elapsedSeconds }));
  else printTable(io, results, { lives, warmupLives, limitMB, elapsedSeconds });

  // After printing, so a failed run still shows every figure; runMain turns this into exit status 1.
  const failed = results.filter((r) => r.status === "failed" || r.status === "leak" || (r.status === "unavailable" && named !== undefined));
  if (failed.length > 0) throw new Error(`soak: ${failed.map((r) => `${r.backend} ${r.reason ?? r.status}`).join("; ")}`);
}

/** A run that completed but grew RSS past the limit is a leak. */
function judge(figures: SoakFigures, limitMB: number, measuredLives: number): SoakFigures {
  if (figures.status !== "ok" || figures.rssGrowthMB === null || figures.rssGrowthMB <= limitMB) return figures;
  return { ...figures, status: "leak", reason: `grew RSS by ${figures.rssGrowthMB} MB over ${measuredLives} lives after the warm-up (limit ${limitMB} MB)` };
}

function summary(f: SoakFigures): string {
  if (f.status === "unavailable" || f.status === "failed") return `${f.status}: ${f.reason ?? ""}`;
  const figures = `RSS ${signed(f.rssGrowthMB)} MB after the warm-up (${f.rssAfterWarmupMB} -> ${f.rssEndMB} MB), heap ${signed(f.heapGrowthMB)} MB, ${f.msPerLife} ms a life`;
  return f.status === "leak" ? `LEAK: ${figures}` : `ok: ${figures}`;
}

const signed = (x: number | null): string => (x === null ? "-" : `${x >= 0 ? "+" : ""}${x.toFixed(1)}`);

function printTable(io: CommandIO, results: readonly SoakFigures[], run: { lives: number; warmupLives: number; limitMB: number; elapsedSeconds: number }): void {
  const header = ["backend", "status", "lives", "RSS after warm-up MB", "RSS at end MB", "RSS growth MB", "heap growth MB", "external growth MB", "ms a life", "max relErr"];
  const right = [false, false, true, true, true, true, true, true, true, true];
  const cells = results.map((r) => [
    r.backend,
    r.status === "ok" ? "ok" : r.status.toUpperCase(),
    String(r.lives),
    fixed(r.rssAfterWarmupMB, 1),
    fixed(r.rssEndMB, 1),
    signed(r.rssGrowthMB),
    signed(r.heapGrowthMB),
    signed(r.externalGrowthMB),
    fixed(r.msPerLife, 2),
    scientific(r.maxRelErr),
  ]);
  io.out(formatAlignedTable(header, cells, right));
  io.out("");
  io.out(`${run.lives} lives per backend, each in its own process; growth is measured from the end of the first ${run.warmupLives} lives`);
  io.out(`to the end, after a full garbage collection each time. A backend fails above ${run.limitMB} MB of RSS growth. The run took ${run.elapsedSeconds.toFixed(0)} s.`);
  for (const r of results) if (r.reason) io.out(`  ${r.backend}: ${r.reason}`);
}
