import { type ParseOptions, type ParsedExamples, ExampleCollector, inputProblem, labelProblem } from "./examples.js";
import { DECIMAL_NUMBER, NON_FINITE_WORD } from "./decimal.js";
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
    const separator = [";", "\t", "|"].find((c) => header[0]!.includes(c));
    const hint = separator ? `; columns are separated by ${showValue(separator).replace(/"/g, "'")} here, but only commas are read` : " (a header row naming the columns is required)";
    throw new DataFileError(file, 1, `the first column must be "label", got ${showValue(header[0])}${hint}`);
  }
  const featureColumns = header.length - 1;
  if (featureColumns < 1) throw new DataFileError(file, 1, `no feature columns after "label"`);
  const tokens = options.tokens ?? 1;
  if (options.input !== "ids" && featureColumns % tokens !== 0) {
    throw new DataFileError(file, 1, `${featureColumns} feature columns do not split into ${tokens} tokens (task.tokens)`);
  }
  const shape = options.input === "ids" ? { tokens: featureColumns, features: 1 } : { tokens, features: featureColumns / tokens };

  const collector = new ExampleCollector(file, options, `column "${header[0]}"`);
  for (let index = 1; index < lines.length; index++) {
    const line = index + 1;
    if (lines[index]!.trim() === "") continue;
    const cells = lines[index]!.split(",");
    if (cells.length !== header.length) throw new DataFileError(file, line, `${cells.length} columns, but the header has ${header.length}`);
    const labelText = cells[0]!.trim();
    // Text that is no decimal number is checked as the text, so the message says what the cell held.
    const label: number | string = DECIMAL_NUMBER.test(labelText) || NON_FINITE_WORD.test(labelText) ? Number(labelText) : labelText;
    const problem = labelProblem(label, options, false);
    if (problem) throw new DataFileError(file, line, `column "${header[0]}" ${problem}, got ${showValue(labelText)}`);
    const values = new Array<number>(featureColumns);
    for (let c = 1; c < cells.length; c++) {
      values[c - 1] = cellValue(cells[c]!.trim(), options, (detail) => new DataFileError(file, line, `column ${c + 1} (${showValue(header[c])}) ${detail}`));
    }
    collector.add(line, { ...shape, values }, { kind: "class", values: [label as number] }, { input: "the row", label: `column "${header[0]}"` });
  }
  return collector.finish();
}

/** One feature cell as a number; `error` makes the DataFileError naming the line and column. */
function cellValue(cell: string, options: ParseOptions, error: (detail: string) => DataFileError): number {
  if (NON_FINITE_WORD.test(cell)) throw error(`is not a finite number (${showValue(cell)})`);
  if (!DECIMAL_NUMBER.test(cell)) throw error(`is not a number (${showValue(cell)})`);
  const value = Number(cell);
  if (!Number.isFinite(value)) throw error(`is not a finite number (${showValue(cell)} reads as ${value}: a number beyond ±1.8e308 overflows)`);
  const idProblem = inputProblem(value, options);
  if (idProblem) throw error(idProblem);
  return value;
}
