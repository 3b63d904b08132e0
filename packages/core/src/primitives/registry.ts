import { UnfoldError } from "../errors.js";
import { BINARY_OPS, type BinaryOp, type ComputedOp, type Op, UNARY_OPS, type UnaryOp } from "../ir/node.js";
import { binaryRule, castRule, unaryRule } from "./elementwise.js";
import { gatherRule, scatterAddRule } from "./gather.js";
import { broadcastRule, concatRule, reshapeRule, sliceRule, transposeRule } from "./layout.js";
import { matmulRule } from "./matmul.js";
import { reduceMaxRule, sumRule } from "./reduce.js";
import type { PrimitiveRule } from "./rule.js";

type RuleTable = { readonly [K in ComputedOp]: PrimitiveRule<K> };

let table: RuleTable | undefined;

/** Built on first use so the rule modules and the tracing API may import each other. */
function build(): RuleTable {
  const unary = Object.fromEntries(UNARY_OPS.map((op) => [op, unaryRule(op)]));
  const binary = Object.fromEntries(BINARY_OPS.map((op) => [op, binaryRule(op)]));
  return {
    ...(unary as { [K in UnaryOp]: PrimitiveRule<K> }),
    ...(binary as { [K in BinaryOp]: PrimitiveRule<K> }),
    cast: castRule,
    sum: sumRule,
    reduceMax: reduceMaxRule,
    matmul: matmulRule,
    reshape: reshapeRule,
    broadcast: broadcastRule,
    transpose: transposeRule,
    slice: sliceRule,
    concat: concatRule,
    gather: gatherRule,
    scatterAdd: scatterAddRule,
  };
}

/** The rule of a computed primitive. Callers pass nodes of that op, hence the erased type. */
export function ruleFor(op: Op): PrimitiveRule<ComputedOp> {
  table ??= build();
  const rule = (table as Partial<Record<Op, unknown>>)[op];
  if (!rule) throw new UnfoldError(op, "is a leaf and has no rule");
  return rule as PrimitiveRule<ComputedOp>;
}

/** Every computed primitive (every op but the leaves), each with a rule in the registry. */
export function computedOps(): ComputedOp[] {
  table ??= build();
  return Object.keys(table) as ComputedOp[];
}
