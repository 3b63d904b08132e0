/**
 * The error class a bad input must raise: an Error that names the operation it reports (as
 * @unfold/core's UnfoldError and its subclasses do). Structural, so this runner needs no
 * dependency on the library it tests.
 */
export type ErrorClass = abstract new (...args: never[]) => Error & { readonly op: string };

/**
 * One bad input to a public API: the call that makes the mistake, and what its error must say.
 * The error must be of `error`'s class, report `op` as its operation (the function the user
 * called, or the primitive inside a term), and name every fragment of `mentions`.
 */
export interface BadInput {
  readonly name: string;
  readonly call: () => unknown;
  readonly error: ErrorClass;
  readonly op: string;
  readonly mentions: readonly string[];
}

export type Outcome =
  | { readonly kind: "clear" }
  | { readonly kind: "unclear"; readonly detail: string }
  | { readonly kind: "silent" }
  | { readonly kind: "hang" };

/** Far above any case's time: these calls trace or run programs of a few elements. */
const HANG_MS = 30_000;

/**
 * Runs a case and sorts its outcome: a clear error, an error that misses its class, operation or
 * a fragment (unclear), no error at all (silent), or no answer before the deadline (hang).
 */
export async function tryBadInput(c: BadInput): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"hang">((resolve) => {
    timer = setTimeout(() => resolve("hang"), HANG_MS);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(c.call), deadline]);
    return result === "hang" ? { kind: "hang" } : { kind: "silent" };
  } catch (error) {
    const problem = judge(error, c);
    return problem ? { kind: "unclear", detail: problem } : { kind: "clear" };
  } finally {
    clearTimeout(timer);
  }
}

/** What the error lacks, or undefined when it says everything the case asks for. */
function judge(error: unknown, c: BadInput): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const got = `${error instanceof Error ? error.name : typeof error}: ${message}`;
  if (!(error instanceof c.error)) return `expected a ${c.error.name}, got ${got}`;
  if (error.op !== c.op || !message.startsWith(`${c.op}: `)) return `expected the operation '${c.op}', got ${got}`;
  const missing = c.mentions.filter((m) => !message.includes(m));
  if (missing.length > 0) return `the message does not mention ${missing.map((m) => JSON.stringify(m)).join(", ")}: ${got}`;
  if (message.includes("undefined") && !c.mentions.some((m) => m.includes("undefined"))) return `the message shows a stray 'undefined': ${got}`;
  return undefined;
}
