// The studio's energy editor: compile an energy's TypeScript in the page, with each mistake at
// its line; share an energy in the URL fragment; the CodeMirror editor that shows both.

export { type DiagnosticKind, type EnergyDiagnostic, type SourcePosition, positionAt } from "./diagnostic.js";
export { type CompileOptions, type CompileResult, compileEnergySource } from "./compile-energy.js";
export { type TraceCheck, traceEnergyChecked } from "./trial-trace.js";
// errorDiagnostic with a compile's codeMap reports a later error of the energy (in a run) at its line.
export { type CodeMap, errorDiagnostic } from "./locate-error.js";
export type { ModuleTable } from "./imports.js";
export { UNFOLD_MODULES } from "./unfold-modules.js";
export { DEFAULT_ENERGY_SOURCE, DEFAULT_EXAMPLE_SHAPE } from "./default-source.js";
export { type JsonValue, type Share, SHARE_VERSION, MAX_FRAGMENT_CHARS, MAX_SHARE_BYTES, ShareError, encodeShare, decodeShare } from "./share.js";
export { type SharedEnergyState, RUN_SHARED_QUESTION, sharedEnergyState } from "./shared-state.js";
export { type PlacedDiagnostic, placeDiagnostic, setEnergyDiagnostics, energyDiagnostics, energyDiagnosticsDisplay } from "./diagnostics-field.js";
export { type EnergyEditor, type EnergyEditorOptions, mountEnergyEditor } from "./mount-editor.js";
export { type TypeChecker, type TypeFiles, createTypeChecker } from "./type-check.js";
export { loadTypeChecker, loadTypeFiles } from "./type-files.js";
