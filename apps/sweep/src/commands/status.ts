import { type CommandIO, formatTable, parse } from "@unfold/cli";
import { Queue } from "bullmq";
import { SWEEP_NAME } from "../spec/schema.js";
import { connectChecked, parseQueueUrl } from "../queue/connection.js";
import { QUEUE_NAME } from "../queue/payload.js";
import { STATUS_STATES, type SweepQueueStatus, queueStatus } from "../queue/status.js";

export const STATUS_USAGE = `usage: unfold sweep status --queue redis://HOST:PORT [SWEEP] [--json]
A queue's sweeps and their jobs: waiting, active, delayed (a retry waiting for its backoff, or a
job a stopping worker handed back), completed and failed, then each failed job's error (a job a
worker refused starts "refused: "). SWEEP keeps one sweep (the spec's name).
  --queue URL   the queue's Redis (a password comes from UNFOLD_REDIS_PASSWORD)
  --json        one JSON object: {queue, sweeps: [{sweep, counts, failed}]}`;

/** `unfold sweep status`: a queue's sweeps by job state, and the failed jobs' errors. */
export async function statusCommand(args: string[], io: CommandIO): Promise<void> {
  const { sweep, rest } = sweepArgument(args);
  const flags = parse(rest, { queue: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } });
  if (flags["help"]) return io.out(STATUS_USAGE);
  if (sweep !== undefined && !SWEEP_NAME.test(sweep)) throw new Error(`sweep status: '${sweep}' is not a sweep name (a spec's "name": a-z, 0-9 and -, starting with a letter or digit)`);
  if (flags["queue"] === undefined) throw new Error("sweep status needs --queue redis://HOST:PORT, the queue the sweep runs on");
  const address = parseQueueUrl(flags["queue"]);
  const connection = await connectChecked(address, "unfold-sweep-status");
  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on("error", () => undefined);
  let sweeps: SweepQueueStatus[];
  try {
    sweeps = await queueStatus(queue, sweep);
  } finally {
    await queue.close();
    connection.disconnect();
  }
  if (flags["json"]) return io.out(JSON.stringify({ queue: address.shown, sweeps }));
  io.out(`queue ${QUEUE_NAME} on ${address.shown}`);
  if (sweeps.length === 0) return io.out(sweep !== undefined ? `no jobs of sweep '${sweep}' on the queue` : "no sweep jobs on the queue");
  io.out(formatTable(["sweep", ...STATUS_STATES], sweeps.map((s) => [s.sweep, ...STATUS_STATES.map((state) => s.counts[state])])));
  const failed = sweeps.flatMap((s) => s.failed.map((f) => ({ ...f, sweep: s.sweep })));
  if (failed.length === 0) return;
  io.out("");
  io.out("failed jobs:");
  for (const f of failed) io.out(`  ${f.sweep} ${f.job ?? f.queueId} (${f.attempts} attempt${f.attempts === 1 ? "" : "s"}): ${f.error}`);
}

/** SWEEP, the one argument that is not a flag or --queue's value, wherever it stands; the rest are the flags. */
function sweepArgument(args: readonly string[]): { sweep?: string; rest: string[] } {
  const rest: string[] = [];
  let sweep: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--queue" && i + 1 < args.length) {
      rest.push(arg, args[++i]!);
    } else if (!arg.startsWith("-") && sweep === undefined) {
      sweep = arg;
    } else {
      rest.push(arg);
    }
  }
  return { ...(sweep !== undefined ? { sweep } : {}), rest };
}
