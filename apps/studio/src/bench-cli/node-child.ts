// A Node training run of the bench in a child process (node-training-main.ts), for onnxruntime:
// its WebAssembly runtime fixes its thread count once per process, so the trainer's run (every
// core) and the run on the page's thread count cannot share one.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { NodeTraining } from "./node-training.js";
import type { BenchBackend } from "./options.js";

const ENTRY = fileURLToPath(new URL("./node-training-main.ts", import.meta.url));

export function trainInChildProcess(name: BenchBackend, warmup: number, steps: number, threads?: number): Promise<NodeTraining> {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const args = ["--conditions=@unfold/source", "--import", tsx, ENTRY, name, String(warmup), String(steps), ...(threads === undefined ? [] : [String(threads)])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const last = stdout.trimEnd().split("\n").at(-1) ?? "";
      if (code === 0 && last.startsWith("{")) return resolve(JSON.parse(last) as NodeTraining);
      const why = stderr.trim().split("\n").at(-1) ?? "";
      reject(new Error(`training in Node on ${name} (a child process) ${signal ? `ended by ${signal}` : `exited with ${code}`}${why ? `: ${why}` : ""}`));
    });
  });
}
