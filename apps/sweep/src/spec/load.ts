import { readFileSync } from "node:fs";
import type { z } from "zod";
import { SweepSpec } from "./schema.js";

/** A sweep spec that cannot be read or does not validate; the message names the file and the field. */
export class SpecError extends Error {
  override readonly name = "SpecError";
}

/**
 * Parses and validates a spec's JSON text. `source` (a file path, "the queued job", ...) starts
 * every message, and each problem names its field: `grid.json: field axes.dim.values.1: ...`.
 * Every problem is listed, one per line after the first, so a spec is fixed in one pass.
 */
export function parseSweepSpec(text: string, source: string): SweepSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SpecError(`${source}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return validateSweepSpec(raw, source);
}

/** Validates an already parsed spec object; see parseSweepSpec. */
export function validateSweepSpec(raw: unknown, source: string): SweepSpec {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new SpecError(`${source}: a sweep spec must be a JSON object, got ${Array.isArray(raw) ? "an array" : JSON.stringify(raw)}`);
  const parsed = SweepSpec.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${source}: ${describeIssue(issue)}`);
  throw new SpecError(problems.length === 1 ? problems[0]! : `${problems[0]!} (and ${problems.length - 1} more)\n${problems.slice(1).join("\n")}`);
}

/** Reads and validates a spec file; errors name the path. */
export function loadSweepSpec(path: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory, not a spec file" : code === "EACCES" ? "permission denied" : error instanceof Error ? error.message : String(error);
    throw new SpecError(`${path}: cannot read the sweep spec: ${why}`);
  }
  return parseSweepSpec(text, path);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join(".");
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    message = `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
  } else if (issue.code === "invalid_key") {
    message = `the key ${JSON.stringify(issue.path.at(-1))} is not valid: ${issue.issues[0]?.message ?? issue.message}`;
  } else if (issue.code === "invalid_value") {
    message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (issue.code === "invalid_type") {
    message = `must be ${article(issue.expected)}${/received/.test(issue.message) ? `, ${issue.message.replace(/^.*received /, "got ")}` : ""}`;
  }
  return `field ${field || "(top level)"}: ${message}`;
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
