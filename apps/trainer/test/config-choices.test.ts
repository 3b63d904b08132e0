import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, TrainerConfig, loadConfig } from "../src/index.js";

/** The parts of a zod schema's definition this walk reads. */
interface Definition {
  readonly type: string;
  readonly innerType?: Schema;
  readonly in?: Schema;
  readonly shape?: Record<string, Schema>;
  readonly options?: readonly Schema[];
  readonly discriminator?: string;
  readonly entries?: Record<string, string>;
  readonly values?: readonly unknown[];
}
interface Schema {
  readonly _zod: { readonly def: Definition };
}

/** A field that takes one of a fixed set of words: an enum, or the kind of a union of kinds. */
interface Choice {
  readonly path: readonly string[];
  readonly values: readonly string[];
  /** A config that reaches the field: the kinds of the unions above it. */
  readonly reach: Record<string, unknown>;
}

const setAt = (target: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> => {
  const copy = structuredClone(target);
  let node = copy;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path.at(-1)!] = value;
  return copy;
};

/** Every enum and union of kinds in a schema, found by walking its definition, so a new one cannot be missed. */
function choicesIn(schema: Schema, path: readonly string[], reach: Record<string, unknown>): Choice[] {
  const def = schema._zod.def;
  switch (def.type) {
    case "default":
    case "prefault":
    case "optional":
    case "nullable":
      return choicesIn(def.innerType!, path, reach);
    case "pipe":
      return choicesIn(def.in!, path, reach);
    case "object":
      return Object.entries(def.shape!).flatMap(([key, field]) => choicesIn(field, [...path, key], reach));
    case "enum":
      return [{ path, values: Object.values(def.entries!), reach }];
    case "union": {
      const key = def.discriminator;
      if (key === undefined) throw new Error(`${path.join(".")}: a union without a discriminator; teach this walk about it`);
      const kindOf = (option: Schema): string => String(option._zod.def.shape![key]!._zod.def.values![0]);
      const kinds = def.options!.map(kindOf);
      return [{ path: [...path, key], values: kinds, reach }, ...def.options!.flatMap((option) => choicesIn(option, path, setAt(reach, [...path, key], kindOf(option))))];
    }
    default:
      return [];
  }
}

const dir = mkdtempSync(join(tmpdir(), "unfold-config-choices-"));
let files = 0;
const configFile = (value: unknown): string => {
  const path = join(dir, `config-${files++}.json`);
  writeFileSync(path, JSON.stringify(value));
  return path;
};

/** The message loadConfig refuses `sources` with. */
function refusal(sources: Parameters<typeof loadConfig>[0]): string {
  try {
    loadConfig(sources);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(sources)}`);
}

const sentence = (values: readonly string[]): string => `${values.slice(0, -1).join(", ")} or ${values.at(-1)!}`;
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** zod's own words for these errors, which must never reach a user. */
const ZOD_WORDING = /Invalid (discriminator|option)|expected one of/;

const choices = choicesIn(TrainerConfig as unknown as Schema, [], {});

describe("a value that is none of a field's choices", () => {
  it("finds every enum and union of kinds in the trainer's schema", () => {
    const paths = new Set(choices.map((c) => c.path.join(".")));
    for (const path of ["task.kind", "task.tokens", "task.format", "model.kind", "model.head", "model.normalize", "train.decay", "backend", "dtype"]) expect(paths).toContain(path);
  });

  it.each(choices.map((c) => [`${c.path.join(".")} (${JSON.stringify(c.reach)})`, c] as const))("%s: names the file, the field, the value and every choice", (_, choice) => {
    const path = configFile(setAt(choice.reach, choice.path, "bogus"));
    const message = refusal({ config: path });
    expect(message).toMatch(new RegExp(`(^|; )${escaped(`${path}: field ${choice.path.join(".")}: 'bogus' is not a`)}n? [a-z][a-z -]*; choose ${escaped(sentence(choice.values))}($|; )`));
    expect(message).not.toMatch(ZOD_WORDING);
  });

  it("reads the same for a value of another type, and says when a kind is missing", () => {
    const wrongType = configFile({ dtype: 16 });
    expect(refusal({ config: wrongType })).toBe(`${wrongType}: field dtype: 16 is not a dtype; choose float32 or float64`);
    const noKind = configFile({ model: { layers: 3 } });
    expect(refusal({ config: noKind })).toBe(`${noKind}: field model.kind: missing; choose a model: yang, energy-transformer, transformer or crate`);
  });

  it("names the flag for --model, --backend, --dtype and --task", () => {
    expect(refusal({ model: "yan" })).toBe("--model: 'yan' is not a model; choose yang, energy-transformer, transformer or crate");
    expect(refusal({ flags: { backend: "cuda" } })).toBe("--backend: 'cuda' is not a backend; choose cpu, webgpu, onnx, tfjs or reference");
    expect(refusal({ flags: { dtype: "float16" } })).toBe("--dtype: 'float16' is not a dtype; choose float32 or float64");
    expect(refusal({ task: "imagenet" })).toBe("--task: 'imagenet' is not a task; choose mnist, addition or recall (or --data FILE for your own data)");
  });
});
