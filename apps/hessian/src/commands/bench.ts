import { timeHessianBlock, type HessianBlockTiming } from "@unfold/hessian";
import { type CommandIO, formatTable, integerFlag, integerListFlag, parse } from "@unfold/cli";
import { backendNamed } from "../backends.js";

const USAGE = `usage: unfold hessian bench [--d-model 16,64] [--tokens L] [--repeats R] [--backend reference|cpu] [--json]
The hessian-block workload: H_QQ of one attention layer assembled in closed form against column by
column from Hessian-vector products (on --backend, the reference interpreter by default).`;

export async function benchCommand(argv: string[], io: CommandIO): Promise<void> {
  const flags = parse(argv, {
    "d-model": { type: "string" },
    tokens: { type: "string" },
    repeats: { type: "string" },
    backend: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(USAGE);
  const sizes = integerListFlag("d-model", flags["d-model"], [16, 64]);
  const tokens = integerFlag("tokens", flags["tokens"], 16);
  const repeats = integerFlag("repeats", flags["repeats"], 3);
  const backend = backendNamed(flags["backend"], "reference");
  const rows: HessianBlockTiming[] = [];
  try {
    for (const dModel of sizes) {
      io.progress(`hessian-block d_model ${dModel} ...`);
      rows.push(await timeHessianBlock({ dModel, tokens, repeats, backend }));
    }
  } finally {
    await backend.dispose();
  }
  if (flags["json"]) {
    io.out(JSON.stringify({ workload: "hessian-block", rows }));
    return;
  }
  io.out(
    formatTable(
      ["d_model", "columns", "closed form ms", `HVP assembly ms (${backend.name})`, "speedup", "rel. err."],
      rows.map((r) => [r.dModel, r.columns, r.closedFormMs, r.hvpAssemblyMs, r.speedup, r.relErr]),
    ),
  );
}
