import type { SourcePosition } from "./diagnostic.js";

/** The name the evaluated source carries in stack traces (its `//# sourceURL`). */
export const SOURCE_URL = "energy.ts";

/** The names the evaluated code sees as its CommonJS scope (sucrase's imports transform writes require and exports). */
const SCOPE = ["require", "exports", "module"] as const;

/**
 * A frame of the evaluated source in a stack line: "at f (energy.ts:12:5)" (V8) or
 * "f@energy.ts:12:5" (Firefox, Safari). The name must stand alone: a module of the page's own
 * whose path ends in energy.ts ("(/src/energy/energy.ts:91:10)") is not the user's code.
 */
const FRAME = new RegExp(`(?:^|[\\s(@])${SOURCE_URL.replace(".", "\\.")}:(\\d+):(\\d+)\\)?\\s*$`);

/** Compiles code as a function of the CommonJS scope, named SOURCE_URL in stack traces. */
function compile(code: string): (...scope: unknown[]) => unknown {
  // Evaluating the user's own energy in the page is the editor's purpose; nothing fetched is ever evaluated.
  return new Function(...SCOPE, `${code}\n//# sourceURL=${SOURCE_URL}`) as (...scope: unknown[]) => unknown;
}

let headerLines: number | undefined;

/**
 * How many lines the engine puts before the body of a `new Function` ("function anonymous(a,b\n)
 * {" is two in V8), measured once by throwing from a probe's first line, so that a frame's line
 * maps to the code's line in every engine.
 */
function functionHeaderLines(): number {
  if (headerLines === undefined) {
    const stack = String((compile("return new Error().stack;")() as string | undefined) ?? "");
    const frame = firstFrame(stack);
    headerLines = frame ? frame.line - 1 : 0;
  }
  return headerLines;
}

/** The first (innermost) frame of SOURCE_URL in a stack, in the function's own line numbers. */
function firstFrame(stack: string): SourcePosition | undefined {
  for (const line of stack.split("\n")) {
    const match = FRAME.exec(line);
    if (match) return { line: Number(match[1]), column: Number(match[2]) };
  }
  return undefined;
}

/**
 * Where in the evaluated code an error was raised: the innermost frame of the user's code in
 * its stack (the errors of Unfold's own functions are raised inside them, below the user's
 * call), as a 1-based line and column of the code passed to evaluateModule. Undefined when the
 * error carries no stack or no frame of the user's code, or is the engine's refusal of the code.
 */
export function locateInCode(error: unknown): SourcePosition | undefined {
  if (error instanceof EngineSyntaxError) return undefined;
  const stack = error instanceof Error ? error.stack : undefined;
  if (typeof stack !== "string") return undefined;
  const frame = firstFrame(stack);
  if (!frame) return undefined;
  return { line: frame.line - functionHeaderLines(), column: frame.column };
}

/** The exports of evaluated CommonJS code, `exports` as the code left it. */
export type ModuleExports = Record<string, unknown>;

/**
 * Evaluates CommonJS code (as sucrase's imports transform writes it) with `require` answering
 * from `resolve`, and returns its exports. Errors propagate, to be located with locateInCode.
 */
export function evaluateModule(code: string, resolve: (specifier: string) => unknown): ModuleExports {
  functionHeaderLines();
  const module = { exports: {} as ModuleExports };
  let run: (...scope: unknown[]) => unknown;
  try {
    run = compile(code);
  } catch (error) {
    throw new EngineSyntaxError(error);
  }
  run(resolve, module.exports, module);
  return module.exports;
}

/**
 * The engine refused the code before running any of it (a SyntaxError sucrase's parser let
 * through), as opposed to a SyntaxError the code raised while running (JSON.parse, say).
 */
export class EngineSyntaxError extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
    this.name = error instanceof Error ? error.name : "SyntaxError";
  }
}
