import { type EditorState, type Extension, RangeSetBuilder, StateEffect, StateField, type Text } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, type Panel, showPanel } from "@codemirror/view";
import type { EnergyDiagnostic } from "./diagnostic.js";

/** A diagnostic placed in a document: the characters it marks (from..to, offsets). */
export interface PlacedDiagnostic extends EnergyDiagnostic {
  readonly from: number;
  readonly to: number;
}

/**
 * Where a diagnostic goes in `doc`: from its line and column to the end of the word there (an
 * identifier, a number), or one character when none starts there. A line or column past the
 * document's end is put at the nearest place that exists rather than dropped.
 */
export function placeDiagnostic(doc: Text, diagnostic: EnergyDiagnostic): PlacedDiagnostic {
  const line = doc.line(Math.min(Math.max(1, diagnostic.line), doc.lines));
  const from = Math.min(line.from + Math.max(0, diagnostic.column - 1), line.to);
  const word = /^[\w$.]+/.exec(doc.sliceString(from, line.to));
  const to = word ? from + word[0].length : Math.min(from + 1, line.to);
  return { ...diagnostic, from, to };
}

/** Replaces the diagnostics shown in the editor. */
export const setEnergyDiagnostics = StateEffect.define<readonly EnergyDiagnostic[]>();

/** The diagnostics shown, placed; they follow the text as it is edited until the next set. */
export const energyDiagnostics = StateField.define<readonly PlacedDiagnostic[]>({
  create: () => [],
  update(placed, tr) {
    for (const effect of tr.effects) {
      if (effect.is(setEnergyDiagnostics)) return effect.value.map((d) => placeDiagnostic(tr.state.doc, d));
    }
    if (!tr.docChanged) return placed;
    return placed.map((d) => ({ ...d, from: tr.changes.mapPos(d.from), to: Math.max(tr.changes.mapPos(d.from), tr.changes.mapPos(d.to)) }));
  },
});

const errorMark = (d: PlacedDiagnostic): Decoration => Decoration.mark({ class: "cm-energy-error", attributes: { title: d.message } });
const errorLine = Decoration.line({ class: "cm-energy-error-line" });

/** The marks: each diagnostic's characters underlined (its message as their title), and its line tinted. */
function decorations(state: EditorState): DecorationSet {
  const placed = [...state.field(energyDiagnostics)].sort((a, b) => a.from - b.from || a.to - b.to);
  const builder = new RangeSetBuilder<Decoration>();
  let lastLine = -1;
  for (const d of placed) {
    const line = state.doc.lineAt(d.from);
    if (line.number !== lastLine) builder.add(line.from, line.from, errorLine);
    lastLine = line.number;
    if (d.to > d.from) builder.add(d.from, d.to, errorMark(d));
  }
  return builder.finish();
}

/** The text of the diagnostics panel: each diagnostic as "line L, column C: message", or that there is none. */
export function diagnosticsSummary(placed: readonly EnergyDiagnostic[]): string[] {
  if (placed.length === 0) return [];
  return placed.map((d) => `line ${d.line}, column ${d.column} (${d.kind}): ${d.message}`);
}

/**
 * The panel under the editor that lists the diagnostics in words. It is a live region, so a
 * screen reader announces a new mistake without the user leaving the editor.
 */
function diagnosticsPanel(view: EditorView): Panel {
  const dom = document.createElement("div");
  dom.className = "cm-energy-diagnostics";
  dom.setAttribute("role", "status");
  dom.setAttribute("aria-live", "polite");
  const render = (state: EditorState): void => {
    const lines = diagnosticsSummary(state.field(energyDiagnostics));
    dom.replaceChildren(...lines.map((text) => Object.assign(document.createElement("div"), { textContent: text })));
    dom.hidden = lines.length === 0;
  };
  render(view.state);
  return {
    dom,
    update: (update) => {
      if (update.startState.field(energyDiagnostics) !== update.state.field(energyDiagnostics)) render(update.state);
    },
  };
}

const theme = EditorView.baseTheme({
  ".cm-energy-error": { textDecoration: "underline wavy #d11", textUnderlineOffset: "3px" },
  ".cm-energy-error-line": { backgroundColor: "rgba(221, 17, 17, 0.08)" },
  ".cm-energy-diagnostics": { padding: "4px 8px", color: "#b00", fontFamily: "monospace", whiteSpace: "pre-wrap" },
});

/** The diagnostics display: the field, its marks, its panel and their styles. */
export function energyDiagnosticsDisplay(): Extension {
  return [energyDiagnostics, EditorView.decorations.compute([energyDiagnostics], decorations), showPanel.of(diagnosticsPanel), theme];
}
