import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeDirectory } from "@unfold/files";
import { vi } from "vitest";

/**
 * Runs one documented example as a program of its own: writes `code` to `<dir>/<name>.ts` and
 * imports it with console.log captured. Returns what it printed, one entry per call. The README,
 * guide and package-README tests share this, so their examples run the same way.
 */
export async function runExample(dir: string, name: string, code: string): Promise<string[]> {
  makeDirectory(dir, "documentation examples");
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, code);
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    spy.mockRestore();
  }
  return lines;
}
