import type { DType } from "@unfold/core";
import type { OnnxValueInfo } from "@unfold/backend-onnx";
import { type CommandIO, integerFlag, outputFileFlag, parse } from "@unfold/cli";
import { writingTo } from "@unfold/files";
import { integerInRange } from "../flags.js";
import { DEFAULT_EXPORT, type ExportSpec, exportUnfoldedModel } from "../onnx-export.js";

const MIN_OPSET = 17;
const MAX_OPSET = 21;
const DEFAULT_OUT = "out/unfold.onnx";

const USAGE = `usage: unfold export [--out FILE.onnx] [--layers K] [--dim D] [--tokens N] [--batch B]
                     [--seed S] [--dtype float32|float64] [--opset V] [--fixed-batch]
Writes the unfolded Yang model that the demo (\`unfold\`) runs as a standalone ONNX file: its
parameters as initializers, a symbolic batch axis, metadata naming the energy terms, the layer count
and the Unfold version. Prints where it wrote and what the file holds; FILE.sha256 beside it holds
the file's checksum (sha256sum's format), which \`unfold train predict\` checks when it is there.
  --out FILE      where to write (default ${DEFAULT_OUT}); written atomically
  --layers K      tied layers (default ${DEFAULT_EXPORT.layers})
  --dim D         token dimension (default ${DEFAULT_EXPORT.dim}: the demo's 4x4 patches)
  --tokens N      tokens per sequence (default ${DEFAULT_EXPORT.tokens}: a 28x28 digit in 4x4 patches)
  --batch B       the example batch size it is traced at (default ${DEFAULT_EXPORT.batch})
  --seed S        the parameters' seed (default ${DEFAULT_EXPORT.seed}, as the demo)
  --dtype T       float32 (default) or float64
  --opset V       ONNX opset, ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_EXPORT.opset})
  --fixed-batch   keep the batch axis at --batch instead of leaving it symbolic`;

/** `pnpm unfold export`: the unfolded model as a .onnx file, and a one-line summary of it. */
export async function exportCommand(argv: string[], io: CommandIO): Promise<void> {
  const flags = parse(argv, {
    out: { type: "string" },
    layers: { type: "string" },
    dim: { type: "string" },
    tokens: { type: "string" },
    batch: { type: "string" },
    seed: { type: "string" },
    dtype: { type: "string" },
    opset: { type: "string" },
    "fixed-batch": { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(USAGE);
  const spec: ExportSpec = {
    layers: integerFlag("layers", flags["layers"], DEFAULT_EXPORT.layers),
    dim: integerFlag("dim", flags["dim"], DEFAULT_EXPORT.dim),
    tokens: integerFlag("tokens", flags["tokens"], DEFAULT_EXPORT.tokens),
    batch: integerFlag("batch", flags["batch"], DEFAULT_EXPORT.batch),
    seed: integerFlag("seed", flags["seed"], DEFAULT_EXPORT.seed, 0),
    dtype: dtypeFlag(flags["dtype"]),
    opset: opsetFlag(flags["opset"]),
    symbolicBatch: flags["fixed-batch"] !== true,
  };
  // Made and proved writable before the export: an impossible path fails at once, naming --out.
  const out = outputFileFlag("out", flags["out"], DEFAULT_OUT);
  // File-system failures from here on are about --out; anything else (an export error naming an op) is not.
  const { path, summary, checksumPath } = await writingTo("--out", out, () => exportUnfoldedModel(out, spec));
  io.out(`wrote ${path}`);
  io.out(
    `${spec.layers} tied Yang layers, ${spec.dtype}, opset ${summary.opset}: ${summary.nodes} nodes, ` +
      `inputs ${summary.inputs.map(describeValue).join(", ")}, outputs ${summary.outputs.map(describeValue).join(", ")}, ` +
      `${summary.bytes.toLocaleString("en-US")} bytes`,
  );
  io.out(`checksum ${checksumPath}`);
}

function describeValue(v: OnnxValueInfo): string {
  return `${v.name} [${v.shape.join(", ")}]`;
}

function dtypeFlag(value: string | boolean | undefined): DType {
  if (value === undefined) return DEFAULT_EXPORT.dtype;
  if (value === "float32" || value === "float64") return value;
  throw new Error(`--dtype must be float32 or float64, got '${String(value)}'`);
}

function opsetFlag(value: string | boolean | undefined): number {
  return integerInRange("opset", value, DEFAULT_EXPORT.opset, MIN_OPSET, MAX_OPSET);
}
