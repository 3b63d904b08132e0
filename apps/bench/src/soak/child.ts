import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SoakFigures } from "./lives.js";

/**
 * How to start this bench again in a child process: the built entry point, or, when this module
 * runs from its TypeScript sources (tests, `tsx`), the source entry point through tsx with the
 * workspace's source condition.
 */
export function benchEntry(): { readonly nodeArgs: readonly string[]; readonly script: string } {
  const here = fileURLToPath(import.meta.url);
  const fromSources = here.endsWith(".ts");
  const script = join(dirname(here), "..", "bin", fromSources ? "bench.ts" : "bench.js");
  if (!fromSources) return { nodeArgs: [], script };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { nodeArgs: ["--conditions=@unfold/source", "--import", tsx], script };
}

/**
 * A child gets this long a life on average (plus a start-up allowance) before it counts as hung
 * and is killed: several times the slowest life measured on a busy 2-core machine (0.4 s).
 */
export const CHILD_SECONDS_PER_LIFE = 2;
export const CHILD_STARTUP_SECONDS = 120;

export interface ChildRun {
  readonly backend: string;
  readonly lives: number;
  /** The soak flags for the child (it adds --in-process --json --backend itself). */
  readonly args: readonly string[];
  /** Each progress line the child prints ("[soak] ..."; other stderr lines, such as a driver's warnings, are kept for a failure's reason only). */
  readonly onProgress: (line: string) => void;
}

/**
 * Runs `pnpm bench soak --in-process --backend <one>` in a child process, so each backend's
 * figures are its own process's memory, and returns the figures its last stdout line holds.
 * A child that dies (a native crash, out of memory) is a failed backend with its last words
 * (`fromChild` false: the child did not report, so the caller says what happened).
 */
export async function soakInChild(run: ChildRun): Promise<{ figures: SoakFigures; fromChild: boolean }> {
  const { nodeArgs, script } = benchEntry();
  const child = spawn(process.execPath, [...nodeArgs, script, "soak", "--in-process", "--json", "--backend", run.backend, ...run.args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let pending = "";
  const lastLines: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (text: string) => void (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    const lines = (pending + text).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("[soak] ")) run.onProgress(line.slice("[soak] ".length));
      lastLines.push(line);
      if (lastLines.length > 5) lastLines.shift();
    }
  });
  const limitSeconds = run.lives * CHILD_SECONDS_PER_LIFE + CHILD_STARTUP_SECONDS;
  let hung = false;
  const deadline = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, limitSeconds * 1000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(deadline));
  if (pending) lastLines.push(pending);
  const last = stdout.trimEnd().split("\n").at(-1) ?? "";
  try {
    const parsed = JSON.parse(last) as { backends?: SoakFigures[] };
    const figures = parsed.backends?.find((f) => f.backend === run.backend);
    if (figures) return { figures, fromChild: true };
  } catch {
    // Not the JSON line: the child died before printing it; reported below.
  }
  const how = hung ? `ran past its deadline of ${limitSeconds} s (${CHILD_SECONDS_PER_LIFE} s a life) and was killed` : signal ? `was killed by ${signal}` : `exited with status ${code}`;
  const said = lastLines.filter((l) => l.trim() !== "").slice(-2).join(" / ");
  const figures: SoakFigures = {
    backend: run.backend,
    pid: child.pid ?? null,
    status: "failed",
    reason: `its process ${how} without a result${said ? `: ${said}` : ""}`,
    lives: 0,
    warmupLives: 0,
    rssAfterWarmupMB: null,
    rssEndMB: null,
    rssGrowthMB: null,
    heapGrowthMB: null,
    externalGrowthMB: null,
    peakRssMB: null,
    msPerLife: null,
    maxRelErr: null,
  };
  return { figures, fromChild: false };
}
