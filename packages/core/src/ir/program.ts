import type { DType } from "../dtype.js";
import type { Shape } from "../shape.js";
import { formatShape } from "../errors.js";
import type { LeafKind, Node } from "./node.js";

/**
 * A leaf the program must be fed at run time: its name, whether it is an input or a parameter,
 * the id of its node, and the shape and dtype the fed value must have.
 */
export interface FeedSpec {
  readonly name: string;
  readonly kind: LeafKind;
  readonly id: number;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** A named output of a program and the id of the node that computes it. */
export interface OutputSpec {
  readonly name: string;
  readonly id: number;
}

/**
 * A traced program: a flat SSA list of nodes in dependency order, the leaves it must be fed
 * (inputs and parameters, by name), and its named outputs. Programs are immutable values;
 * passes and autodiff return new programs.
 */
export interface Program {
  readonly nodes: readonly Node[];
  readonly feeds: readonly FeedSpec[];
  readonly outputs: readonly OutputSpec[];
}

export function feedsOf(nodes: readonly Node[]): FeedSpec[] {
  const feeds: FeedSpec[] = [];
  for (const node of nodes) {
    if (node.op === "input" || node.op === "param") {
      feeds.push({ name: node.name, kind: node.op, id: node.id, shape: node.shape, dtype: node.dtype });
    }
  }
  return feeds;
}

/** The shape of the program's output `name`; throws when the program has no such output. */
export function outputShape(program: Program, name: string): Shape {
  const out = program.outputs.find((o) => o.name === name);
  if (!out) throw new Error(`program has no output '${name}'`);
  return program.nodes[out.id]!.shape;
}

/**
 * A stable structural key: two programs with the same fingerprint compute the same function
 * on the same shapes and dtypes, so a backend may reuse one compiled plan for both.
 */
export function fingerprint(program: Program): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
  };
  for (const node of program.nodes) mix(nodeKey(node, node.inputs));
  for (const out of program.outputs) mix(`out:${out.name}=${out.id};`);
  return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}-${program.nodes.length}`;
}

/** Everything that determines a node's value, given its inputs: used by CSE and fingerprints. */
export function nodeKey(node: Node, inputs: readonly number[]): string {
  const { id: _id, inputs: _inputs, shape, dtype, label: _label, composite: _composite, origin: _origin, ...spec } = node;
  const attrs = spec.op === "constant" ? hashValues(spec.value) : JSON.stringify(spec);
  return `${node.op}|${attrs}|${shape.join("x")}|${dtype}|${inputs.join(",")};`;
}

function hashValues(values: Float64Array): string {
  const bytes = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return `c${values.length}:${(h >>> 0).toString(16)}`;
}

/** A readable listing, one node a line, for debugging and error reports. */
export function printProgram(program: Program): string {
  const lines = program.nodes.map((n) => {
    const { id: _i, inputs, shape, dtype, label, composite, origin, op, ...attrs } = n as Node & Record<string, unknown>;
    const args = inputs.map((i) => `%${i}`).join(", ");
    const extra = op === "constant" ? `(${(attrs["value"] as Float64Array).length} values)` : JSON.stringify(attrs);
    const tags = [label ? `'${label}'` : "", composite ? `<${composite}>` : "", origin ? `(${origin as string})` : ""].filter(Boolean).join(" ");
    return `%${n.id} = ${op}(${args}) ${extra === "{}" ? "" : extra} : ${dtype}${formatShape(shape)} ${tags}`.trimEnd();
  });
  for (const o of program.outputs) lines.push(`return ${o.name} = %${o.id}`);
  return lines.join("\n");
}
