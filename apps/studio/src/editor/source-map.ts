import type { SourcePosition } from "./diagnostic.js";

/** One mapping segment: a generated column (0-based) and the source line and column (0-based) it came from. */
interface Segment {
  readonly generatedColumn: number;
  readonly sourceLine: number;
  readonly sourceColumn: number;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Decodes one Base64 VLQ field list ("AAAA") into its signed integers. */
function decodeVlq(field: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of field) {
    const digit = BASE64.indexOf(char);
    if (digit < 0) throw new Error(`source map: '${char}' is not a Base64 VLQ digit`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/**
 * Maps positions in transpiled code back to the source, from a version 3 source map's `mappings`
 * (a single source, as sucrase writes for one file). Sucrase keeps every line on its line but
 * rewrites within a line (types erased, `f(x)` of an import becomes `_m.f.call(void 0, x)`), so
 * columns need the map; lines alone would not.
 */
export class SourceMapping {
  private readonly lines: Segment[][];

  constructor(mappings: string) {
    this.lines = [];
    let sourceLine = 0;
    let sourceColumn = 0;
    for (const line of mappings.split(";")) {
      const segments: Segment[] = [];
      let generatedColumn = 0;
      for (const field of line.split(",")) {
        if (field === "") continue;
        const [column = 0, , lineDelta, columnDelta] = decodeVlq(field);
        generatedColumn += column;
        if (lineDelta === undefined || columnDelta === undefined) continue;
        sourceLine += lineDelta;
        sourceColumn += columnDelta;
        segments.push({ generatedColumn, sourceLine, sourceColumn });
      }
      this.lines.push(segments);
    }
  }

  /**
   * The source position of a 1-based generated line and column: where the segment that starts
   * at or before the column came from. Not shifted by the distance past the segment's start:
   * sucrase maps every token, and text it inserts (`.call(void 0, `) belongs to the token before
   * it. A position on a line the map does not cover keeps its line (sucrase preserves lines).
   */
  original(position: SourcePosition): SourcePosition {
    const segments = this.lines[position.line - 1] ?? [];
    const column = position.column - 1;
    let found: Segment | undefined;
    for (const segment of segments) {
      if (segment.generatedColumn > column) break;
      found = segment;
    }
    if (!found) return position;
    return { line: found.sourceLine + 1, column: found.sourceColumn + 1 };
  }
}
