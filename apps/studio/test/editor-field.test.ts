import { EditorState, Text } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView } from "@codemirror/view";
import { describe, expect, test } from "vitest";
import { type EnergyDiagnostic, energyDiagnostics, energyDiagnosticsDisplay, placeDiagnostic, setEnergyDiagnostics } from "../src/editor/index.js";
import { diagnosticsSummary } from "../src/editor/diagnostics-field.js";

const doc = Text.of(["const a = 1;", "  const broken = ops.summ(x);", ""]);
const diagnostic = (line: number, column: number): EnergyDiagnostic => ({ line, column, kind: "runtime", message: "TypeError: ops.summ is not a function" });

describe("placing diagnostics in the editor's document", () => {
  test("from its line and column to the end of the word there", () => {
    const placed = placeDiagnostic(doc, diagnostic(2, 18));
    expect(doc.sliceString(placed.from, placed.to)).toBe("ops.summ");
    const punctuation = placeDiagnostic(doc, diagnostic(2, 26));
    expect(doc.sliceString(punctuation.from, punctuation.to)).toBe("(");
  });

  test("a place past the document's end goes to the nearest place that exists", () => {
    expect(placeDiagnostic(doc, diagnostic(1, 400))).toMatchObject({ from: 12, to: 12 });
    const pastLastLine = placeDiagnostic(doc, diagnostic(99, 1));
    expect(pastLastLine).toMatchObject({ from: doc.length, to: doc.length });
    expect(placeDiagnostic(doc, diagnostic(0, 0))).toMatchObject({ from: 0, to: 5 });
  });
});

describe("the diagnostics field", () => {
  const marks = (state: EditorState): { from: number; to: number; title: string | undefined; line: boolean }[] => {
    const found: { from: number; to: number; title: string | undefined; line: boolean }[] = [];
    for (const source of state.facet(EditorView.decorations)) {
      const set = typeof source === "function" ? Decoration.none : (source as DecorationSet);
      set.between(0, state.doc.length, (from, to, value) => {
        const spec = value.spec as { attributes?: { title?: string }; class?: string };
        found.push({ from, to, title: spec.attributes?.title, line: spec.class === "cm-energy-error-line" });
      });
    }
    return found;
  };

  test("set diagnostics are marked at their places, with their message, and follow edits above them", () => {
    let state = EditorState.create({ doc, extensions: [energyDiagnosticsDisplay()] });
    expect(state.field(energyDiagnostics)).toEqual([]);
    expect(marks(state)).toEqual([]);

    state = state.update({ effects: setEnergyDiagnostics.of([diagnostic(2, 18)]) }).state;
    const lineStart = state.doc.line(2).from;
    expect(marks(state)).toEqual([
      { from: lineStart, to: lineStart, title: undefined, line: true },
      { from: lineStart + 17, to: lineStart + 25, title: "TypeError: ops.summ is not a function", line: false },
    ]);

    state = state.update({ changes: { from: 0, insert: "// a comment\n" } }).state;
    const [moved] = state.field(energyDiagnostics);
    expect(state.doc.sliceString(moved!.from, moved!.to)).toBe("ops.summ");

    state = state.update({ effects: setEnergyDiagnostics.of([]) }).state;
    expect(marks(state)).toEqual([]);
  });

  test("the panel's words: each diagnostic with its line, column and kind", () => {
    expect(diagnosticsSummary([diagnostic(2, 18)])).toEqual(["line 2, column 18 (runtime): TypeError: ops.summ is not a function"]);
    expect(diagnosticsSummary([])).toEqual([]);
  });
});
