/**
 * The metrics a spec asks for, from a run's --json object: each a dotted path of keys and array
 * indices. A metric that is missing or not a number is an error naming it and what is there,
 * so a misspelt path fails the first job instead of filling the table with blanks.
 */
export function pickMetrics(json: unknown, paths: readonly string[]): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const path of paths) {
    let node: unknown = json;
    const walked: string[] = [];
    for (const key of path.split(".")) {
      const container = node;
      const has = typeof container === "object" && container !== null && Object.hasOwn(container, key);
      if (!has) {
        const where = walked.length ? `"${walked.join(".")}"` : "the --json object";
        const keys = typeof container === "object" && container !== null ? Object.keys(container).slice(0, 20) : [];
        const what = keys.length ? `its keys: ${keys.join(", ")}` : `it is ${JSON.stringify(container)?.slice(0, 60) ?? "undefined"}`;
        throw new Error(`metric "${path}": ${where} has no "${key}" (${what})`);
      }
      node = (container as Record<string, unknown>)[key];
      walked.push(key);
    }
    if (typeof node !== "number" || !Number.isFinite(node)) throw new Error(`metric "${path}" is ${JSON.stringify(node)?.slice(0, 60)}, not a finite number`);
    picked[path] = node;
  }
  return picked;
}

/** The last line of `stdout` that is a JSON object: a command's --json line. */
export function lastJsonLine(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith("{")) continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // A line that merely starts with a brace: keep looking.
    }
  }
  return undefined;
}
