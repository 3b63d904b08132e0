import { type ParseOptions, type ParsedExamples, ExampleCollector, inputProblem, labelProblem } from "./examples.js";
import { DataFileError, showValue } from "./file-error.js";

/**
 * CSV: a header row, then one example per row; the first column is `label` (an integer class),
 * the rest are features (named anything), split into options.tokens tokens (default 1). Plain
 * comma-separated numbers only: quoting is accepted around header names, since spreadsheet tools
 * add it, but not in data rows, which hold numbers.
 */
export function parseCsv(file: string, text: string, options: ParseOptions): ParsedExamples {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.every((l) => l.trim() === "")) throw new DataFileError(file, undefined, "the file is empty (a header row starting with \"label\" is required)");
  const header = lines[0]!.split(",").map((h) => h.trim().replace(/^"(.*)"$/, "$1"));
  if (header[0]!.toLowerCase() !== "label") {
    throw new DataFileError(file, 1, `the first column must be "label", got ${showValue(header[0])} (a header row naming the columns is required)`);
  }
  const featureColumns = header.length - 1;
  if (featureColumns < 1) throw new DataFileError(file, 1, `no feature columns after "label"`);
  const tokens = options.tokens ?? 1;
  if (options.input !== "ids" && featureColumns % tokens !== 0) {
    throw new DataFileError(file, 1, `${featureColumns} feature columns do not split into ${tokens} tokens (the tokens option)`);
  }
  const shape = options.input === "ids" ? { tokens: featureColumns, features: 1 } : { tokens, features: featureColumns / tokens };

  const collector = new ExampleCollector(file, options);
  for (let index = 1; index < lines.length; index++) {
    const line = index + 1;
    if (lines[index]!.trim() === "") continue;
    const cells = lines[index]!.split(",");
    if (cells.length !== header.length) throw new DataFileError(file, line, `${cells.length} columns, but the header has ${header.length}`);
    const labelText = cells[0]!.trim();
    const label = labelText === "" ? Number.NaN : Number(labelText);
    const problem = labelProblem(label, options, false);
    if (problem) throw new DataFileError(file, line, `column "${header[0]}" ${problem}, got ${showValue(labelText)}`);
    const values = new Array<number>(featureColumns);
    for (let c = 1; c < cells.length; c++) {
      const cell = cells[c]!.trim();
      const value = cell === "" ? Number.NaN : Number(cell);
      if (!Number.isFinite(value)) throw new DataFileError(file, line, `column "${header[c]}" is not a number (${showValue(cell)})`);
      const idProblem = inputProblem(value, options);
      if (idProblem) throw new DataFileError(file, line, `column "${header[c]}" ${idProblem}, got ${showValue(cell)}`);
      values[c - 1] = value;
    }
    collector.add(line, { ...shape, values }, { kind: "class", values: [label] }, { input: "the row", label: `column "${header[0]}"` });
  }
  return collector.finish();
}
