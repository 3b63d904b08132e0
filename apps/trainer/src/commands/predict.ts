import { type CommandIO, parse } from "@unfold/cli";
import { type PredictResult, predict } from "../predict/predict.js";

/**
 * `pnpm train predict --onnx FILE --input FILE [--json]`: runs an exported model through
 * onnxruntime-web, after checking it against the checksum file the trainer writes beside it.
 */
export async function predictCommand(args: string[], io: CommandIO): Promise<PredictResult> {
  const values = parse(args, { onnx: { type: "string" }, input: { type: "string" }, json: { type: "boolean" } });
  const onnx = values["onnx"];
  const input = values["input"];
  if (typeof onnx !== "string" || onnx === "") throw new Error("predict needs --onnx FILE (a model written by unfold train)");
  if (typeof input !== "string" || input === "") throw new Error("predict needs --input FILE (JSONL, one {\"input\": [...]} per line)");
  const result = await predict(onnx, input);
  const labels = result.card.labels;
  const name = (c: number): string => (labels?.[c] !== undefined ? labels[c]! : String(c));
  for (const p of result.predictions) {
    const predicted = typeof p.predicted === "number" ? name(p.predicted) : p.predicted.map(name).join(" ");
    const label = p.label === undefined ? "" : `  (label ${typeof p.label === "number" ? name(p.label) : p.label.map((l) => (l < 0 ? "_" : name(l))).join(" ")})`;
    io.out(`line ${p.line}: ${predicted}${label}`);
  }
  if (result.accuracy !== null) io.out(`accuracy: ${(100 * result.accuracy).toFixed(2)}% over the labelled examples`);
  // A fixed-point model's Loop that stopped on its iteration cap gave the last iterate, not the fixed point: say where.
  const tol = result.card.fixedPoint?.tol;
  for (const batch of result.fixedPoint ?? []) {
    if (batch.converged) continue;
    io.progress(
      `warning: lines ${batch.firstLine}-${batch.lastLine}: the model's fixed-point Loop stopped after ${batch.iterations} iterations at residual ${batch.residual.toExponential(2)}, above its tolerance ${tol}; these predictions come from the last iterate`,
    );
  }
  if (values["json"]) {
    const fixedPoint = result.fixedPoint ? { fixedPoint: result.fixedPoint } : {};
    io.out(JSON.stringify({ count: result.predictions.length, accuracy: result.accuracy, predictions: result.predictions.map((p) => p.predicted), ...fixedPoint }));
  }
  return result;
}
