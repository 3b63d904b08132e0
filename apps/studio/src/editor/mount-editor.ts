import { javascript } from "@codemirror/lang-javascript";
import { Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { type CompileOptions, type CompileResult, compileEnergySource } from "./compile-energy.js";
import type { EnergyDiagnostic } from "./diagnostic.js";
import { energyDiagnostics, energyDiagnosticsDisplay, setEnergyDiagnostics } from "./diagnostics-field.js";
import { type TypeCheckService, workerTypeChecker } from "./type-check-client.js";
import type { TypeCheckTiming } from "./type-check-protocol.js";

/** How the energy editor is set up. */
export interface EnergyEditorOptions {
  /** The source it opens with. */
  readonly initial: string;
  /** Called with each compile's result after the text changes (debounced), and once on mount. */
  readonly onChange?: (result: CompileResult, source: string) => void;
  /** Called on Mod-Enter (Ctrl-Enter, Cmd-Enter on a Mac) with the source and its compile result. */
  readonly onRun?: (result: CompileResult, source: string) => void;
  /** What compileEnergySource is given (the modules, the trial-trace shape). */
  readonly compile?: CompileOptions;
  /** How long the text must rest before it is recompiled, in milliseconds (default 300). */
  readonly debounceMs?: number;
  /** The editor's accessible name (default "Energy source (TypeScript)"). */
  readonly label?: string;
  /**
   * Whether to check the source's types with TypeScript after each change (default true). The
   * compiler and the Unfold sources it checks against load on the first check, not with the page.
   */
  readonly typeCheck?: boolean;
  /**
   * Who checks the types (default: TypeScript in a Web Worker of the editor's own, started on the
   * first check and stopped by destroy()). One given here is the caller's to dispose.
   */
  readonly typeChecker?: TypeCheckService;
  /**
   * Called with the type errors each time a type check of the current text finishes, with where
   * and how long it ran; `timing` is absent when the diagnostic says checking is unavailable.
   */
  readonly onTypes?: (diagnostics: readonly EnergyDiagnostic[], timing?: TypeCheckTiming) => void;
}

/** A mounted energy editor. */
export interface EnergyEditor {
  readonly view: EditorView;
  /** The text now in the editor. */
  source(): string;
  /** Replaces the text (a shared energy, a zoo energy) and recompiles it. */
  setSource(source: string): void;
  /** Compiles the text now, shows its diagnostics and returns the result. */
  compileNow(): CompileResult;
  /** The diagnostics shown: the last compile's, then the last type check's. */
  diagnostics(): readonly EnergyDiagnostic[];
  destroy(): void;
}

/**
 * Mounts a CodeMirror 6 editor for an energy's TypeScript into `parent`: line numbers, the
 * TypeScript language, each compile's diagnostics (and TypeScript's type errors, checked in a Web
 * Worker so the page never waits on the compiler) marked at their lines and listed in words under
 * the text, recompiling when the text rests, and Mod-Enter to run. Tab is left to move focus
 * (Escape then Tab leaves the editor, CodeMirror's rule), so the page stays keyboard navigable.
 */
export function mountEnergyEditor(parent: HTMLElement, options: EnergyEditorOptions): EnergyEditor {
  const debounceMs = options.debounceMs ?? 300;
  const typeCheck = options.typeCheck ?? true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let destroyed = false;
  // Shown together; each source replaces its own when it reports again.
  let compileDiagnostics: readonly EnergyDiagnostic[] = [];
  let typeDiagnostics: readonly EnergyDiagnostic[] = [];
  const ownChecker = typeCheck && options.typeChecker === undefined;
  const checker = typeCheck ? (options.typeChecker ?? workerTypeChecker()) : undefined;
  // The id of the latest check asked for: an answer to any earlier one is stale.
  let latestCheck = 0;
  // The functions below run only once `view` exists (it is declared after them, for the keymap that calls them).

  const compileNow = (): CompileResult => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const source = view.state.doc.toString();
    const result = compileEnergySource(source, options.compile);
    compileDiagnostics = result.ok ? [] : result.diagnostics;
    show();
    return result;
  };
  const show = (): void => {
    if (!destroyed) view.dispatch({ effects: setEnergyDiagnostics.of([...compileDiagnostics, ...typeDiagnostics]) });
  };
  const checkTypes = (): void => {
    if (!checker) return;
    const source = view.state.doc.toString();
    const request = ++latestCheck;
    // Answers come back later, off this thread: one for an older request, or for text that has
    // changed since (the change schedules its own check), must not overwrite the newer one's.
    const current = (): boolean => !destroyed && request === latestCheck && view.state.doc.toString() === source;
    checker.check(source).then(
      (answer) => {
        if (answer === undefined || !current()) return;
        typeDiagnostics = answer.diagnostics;
        show();
        options.onTypes?.(typeDiagnostics, answer.timing);
      },
      (error: unknown) => {
        if (!current()) return;
        typeDiagnostics = [{ line: 1, column: 1, kind: "type", message: `type checking is unavailable: ${error instanceof Error ? error.message : String(error)}` }];
        show();
        options.onTypes?.(typeDiagnostics);
      },
    );
  };
  const changed = (): void => {
    const result = compileNow();
    options.onChange?.(result, view.state.doc.toString());
    checkTypes();
  };
  const run = (): boolean => {
    const result = compileNow();
    options.onRun?.(result, view.state.doc.toString());
    return true;
  };

  const view: EditorView = new EditorView({
    parent,
    doc: options.initial,
    extensions: [
      basicSetup,
      javascript({ typescript: true }),
      energyDiagnosticsDisplay(),
      Prec.highest(keymap.of([{ key: "Mod-Enter", run }])),
      EditorView.contentAttributes.of({ "aria-label": options.label ?? "Energy source (TypeScript)", "aria-keyshortcuts": "Control+Enter Meta+Enter" }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(changed, debounceMs);
      }),
    ],
  });
  changed();

  return {
    view,
    source: () => view.state.doc.toString(),
    setSource: (source) => {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: source } });
      changed();
    },
    compileNow,
    diagnostics: () => view.state.field(energyDiagnostics),
    destroy: () => {
      destroyed = true;
      if (timer !== undefined) clearTimeout(timer);
      if (ownChecker) checker?.dispose();
      view.destroy();
    },
  };
}
