import { readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runExample } from "./run-example.js";

// Every guide in docs/guides runs as written, so the guides cannot drift from the API. A ```ts
// block starts a program; a ```ts continued block adds to the program of the block before it
// (so a guide can build one example up step by step); any other info string (```ts vitest, ```sh)
// is shown, not run. A block checks its own claims by throwing; printing is for the reader.
const here = dirname(fileURLToPath(import.meta.url));
const guidesDir = join(here, "..", "..", "..", "docs", "guides");
const scratch = join(here, ".guide-examples");

interface GuideProgram {
  /** 1-based number of the block that starts it, and the line of that block in the guide. */
  readonly block: number;
  readonly line: number;
  readonly code: string;
}

/** The runnable programs of one guide's text, in order. */
function guidePrograms(text: string): GuideProgram[] {
  const programs: GuideProgram[] = [];
  let block = 0;
  for (const match of text.matchAll(/^```([^\n]*)\n([\s\S]*?)^```/gm)) {
    const info = match[1]!.trim();
    if (info !== "ts" && info !== "ts continued") continue;
    block++;
    const line = text.slice(0, match.index).split("\n").length;
    if (info === "ts") programs.push({ block, line, code: match[2]! });
    else {
      const last = programs.pop();
      if (!last) throw new Error(`block ${block} (line ${line}) is marked 'ts continued' but no ts block comes before it`);
      programs.push({ ...last, code: `${last.code}\n${match[2]!}` });
    }
  }
  return programs;
}

const guides = readdirSync(guidesDir)
  .filter((f) => f.endsWith(".md"))
  .sort();

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the guides in docs/guides", () => {
  it("include the three guides, each with code to run", () => {
    expect(guides).toEqual(expect.arrayContaining(["write-a-backend.md", "write-a-step.md", "write-an-energy.md"]));
    for (const guide of guides) expect(guidePrograms(readFileSync(join(guidesDir, guide), "utf8")).length, guide).toBeGreaterThan(0);
  });

  it("a 'ts continued' block joins the program before it, and other blocks are not run", () => {
    const text = ["```ts", "const a = 1;", "```", "```ts vitest", "skipped();", "```", "```ts continued", "const b = a;", "```", "```ts", "other();", "```", ""].join("\n");
    expect(guidePrograms(text)).toEqual([
      { block: 1, line: 1, code: "const a = 1;\n\nconst b = a;\n" },
      { block: 3, line: 10, code: "other();\n" },
    ]);
    expect(() => guidePrograms("```ts continued\nx();\n```\n")).toThrow("block 1 (line 1) is marked 'ts continued' but no ts block comes before it");
  });

  for (const guide of guides) {
    const programs = guidePrograms(readFileSync(join(guidesDir, guide), "utf8"));
    programs.forEach(({ block, line, code }) => {
      it(`${guide}: the program from block ${block} (line ${line}) runs and its checks hold`, async () => {
        try {
          await runExample(scratch, `${guide.replace(/\.md$/, "")}-${block}`, code);
        } catch (error) {
          // Say which guide and block failed: the stack points into the scratch copy.
          throw new Error(`${guide}, the program from block ${block} (line ${line}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
      }, 120_000);
    });
  }
});
