import { BINARY_OPS, describeNode, type FeedSpec, familyLowering, formatShape, type LoweringTable, lowerNode, type Node, type NodeOf, type Program, ShapeError, UNARY_OPS, UnfoldError } from "@unfold/core";

/** The symbolic batch axis an export asks for: its name, and the feeds that carry it. */
export interface BatchAxis {
  readonly name: string;
  readonly inputs: ReadonlySet<string>;
  /**
   * The feeds that stay graph inputs (the rest are baked in): one of them without the batch axis
   * may be what a refusal is about, and the user can name it in batchDim's inputs.
   */
  readonly graphInputs?: ReadonlySet<string>;
}

/**
 * Why a node keeps the batch axis from being symbolic, or the uniform values that would fix it;
 * `operand` is the fixed-size operand it is about, when there is one.
 */
type Verdict = { readonly why: string; readonly promote?: readonly number[]; readonly operand?: number };

/**
 * Which values carry the symbolic batch axis as their leading axis, for exporting a model whose
 * batch size is left open. A program qualifies when every op's shape rule treats that axis as a
 * bystander: nothing reduces, contracts, slices, concatenates or gathers along it, nothing moves
 * it off the front, and nothing of a fixed size meets it except by broadcasting a size 1.
 *
 * One kind of fixed-size value may meet it all the same: a value broadcast along its leading
 * axis to the traced batch size (a gradient's zeros, a cotangent no pass could absorb), which is
 * the same in every row. Where such a value meets batched ones, the broadcast it comes from is
 * taken to the runtime batch size instead (it becomes batched), as the program traced at that
 * size would have it. Anything else throws, naming the user code the node came from, rather than
 * export a graph that is wrong for other sizes.
 */
export function batchedValues(program: Program, batch: BatchAxis): Uint8Array {
  const sizes = new Set(program.feeds.filter((f) => batch.inputs.has(f.name) && f.shape.length > 0).map((f) => f.shape[0]!));
  const promoted = new Set<number>();
  // Each round promotes at least one broadcast, and there are finitely many.
  for (;;) {
    const { batched, promote } = analyse(program, batch, sizes, promoted);
    if (promote.length === 0) return batched;
    // A promoted broadcast makes everything computed from it batched, so it is never asked for twice.
    if (promote.every((id) => promoted.has(id))) throw new UnfoldError("exportOnnx", `batchDim '${batch.name}': broadcasts %${promote.join(", %")} were already taken to the batch size`);
    for (const id of promote) promoted.add(id);
  }
}

function analyse(program: Program, batch: BatchAxis, sizes: ReadonlySet<number>, promoted: ReadonlySet<number>): { batched: Uint8Array; promote: number[] } {
  const nodes = program.nodes;
  const batched = new Uint8Array(nodes.length);
  const uniform = uniformValues(program);
  const promote: number[] = [];
  for (const node of nodes) {
    if (node.op === "input" || node.op === "param") {
      batched[node.id] = batch.inputs.has(node.name) ? 1 : 0;
      continue;
    }
    if (promoted.has(node.id)) {
      batched[node.id] = 1;
      continue;
    }
    const b = node.inputs.map((i) => batched[i] === 1);
    const verdict = check(node, b, nodes, (id) => uniform[id] === 1 && sizes.has(nodes[id]!.shape[0]!));
    if (verdict?.promote) for (const id of verdict.promote) promote.push(...roots(nodes, uniform, id));
    else if (verdict) refuse(batch, program, node, verdict);
    batched[node.id] = b.some(Boolean) ? 1 : 0;
  }
  return { batched, promote: [...new Set(promote)] };
}

/** What a batch rule reads besides its node: which inputs are batched, and which fixed values may be promoted. */
interface BatchContext {
  readonly b: readonly boolean[];
  readonly nodes: readonly Node[];
  readonly promotable: (id: number) => boolean;
}

/**
 * Elementwise (unary, cast, binary): batched operands must line up with the output's leading
 * axis, and fixed ones may only meet it with a size 1.
 */
function elementwiseVerdict(node: Node, { b, nodes, promotable }: BatchContext): Verdict | undefined {
  const spread = node.inputs.some((i, k) => b[k] && nodes[i]!.shape.length !== node.shape.length);
  return spread ? { why: "broadcasts a batched operand over further leading axes" } : fixedOperands(node, b, nodes, promotable);
}

const reductionVerdict = (node: NodeOf<"sum" | "reduceMax">): Verdict | undefined => (node.axes.includes(0) ? { why: "reduces over the batch axis" } : undefined);

/**
 * Per computed op, what keeps a node with some batched input from a symbolic batch axis. A table
 * rather than a switch with an elementwise default, so that a primitive added to core must get
 * a rule here instead of being taken for elementwise.
 */
export const batchRules: LoweringTable<Verdict | undefined, BatchContext> = {
  ...familyLowering(UNARY_OPS, elementwiseVerdict),
  ...familyLowering(BINARY_OPS, elementwiseVerdict),
  cast: elementwiseVerdict,
  sum: reductionVerdict,
  reduceMax: reductionVerdict,
  matmul: (node, { b, nodes, promotable }) => {
    const rank = node.shape.length;
    if (b[0] && nodes[node.inputs[0]!]!.shape.length !== rank) return { why: "broadcasts a batched left operand over further batch axes" };
    if (b[1] && (nodes[node.inputs[1]!]!.shape.length !== rank || rank < 3)) return { why: "contracts over or broadcasts the batch axis of its right operand" };
    // Axis 0 of a rank-2 product is a row (or the contraction) axis, not a batch axis.
    return rank >= 3 ? fixedOperands(node, b, nodes, promotable) : undefined;
  },
  reshape: (node, { nodes }) => (node.shape.length === 0 || node.shape[0] !== nodes[node.inputs[0]!]!.shape[0] ? { why: "reshapes across the batch axis" } : undefined),
  broadcast: (node, { nodes }) => (nodes[node.inputs[0]!]!.shape.length !== node.shape.length ? { why: "moves the batch axis off the front" } : undefined),
  transpose: (node) => (node.perm[0] !== 0 ? { why: "moves the batch axis off the front" } : undefined),
  slice: (node, { nodes }) => (node.begin[0] !== 0 || node.shape[0] !== nodes[node.inputs[0]!]!.shape[0] ? { why: "slices the batch axis" } : undefined),
  concat: (node, { b, promotable }) => {
    if (node.axis === 0) return { why: "concatenates along the batch axis" };
    const fixed = node.inputs.filter((_, k) => !b[k]);
    if (fixed.every(promotable)) return fixed.length > 0 ? { why: "", promote: fixed } : undefined;
    return { why: "concatenates values of a fixed size with batched ones" };
  },
  gather: (node, { b }) => {
    if (b[0] && node.axis === 0) return { why: "gathers along the batch axis" };
    return b[1] && node.axis !== 0 ? { why: "puts batched indices behind other axes" } : undefined;
  },
  scatterAdd: (node, { b }) => {
    if (b[1]) return { why: "scatters at batched indices" };
    return node.axis === 0 ? { why: "scatters along the batch axis" } : undefined;
  },
};

/** What keeps `node` (with `b` saying which inputs are batched) from a symbolic batch axis, if anything. */
function check(node: Node, b: readonly boolean[], nodes: readonly Node[], promotable: (id: number) => boolean): Verdict | undefined {
  if (!b.some(Boolean)) return undefined;
  return lowerNode(batchRules, node, { b, nodes, promotable }, "@unfold/backend-onnx");
}

/** Fixed operands whose leading axis meets the batch axis with a size other than 1. */
function fixedOperands(node: Node, b: readonly boolean[], nodes: readonly Node[], promotable: (id: number) => boolean): Verdict | undefined {
  const clashing = node.inputs.filter((i, k) => !b[k] && nodes[i]!.shape.length === node.shape.length && nodes[i]!.shape[0] !== 1);
  if (clashing.length === 0) return undefined;
  if (clashing.every(promotable)) return { why: "", promote: clashing };
  const operand = clashing.find((i) => !promotable(i))!;
  return { why: `meets an operand of fixed leading size ${nodes[operand]!.shape[0]} on the batch axis`, operand };
}

function refuse(batch: BatchAxis, program: Program, node: Node, verdict: Verdict): never {
  const where = node.origin ?? "the program";
  const value = describeNode(node);
  const unbatched = verdict.operand === undefined ? [] : unbatchedFeeds(batch, program, verdict.operand);
  const remedy = unbatched.length > 0 ? nameThem(batch, unbatched) : "export without batchDim";
  throw new ShapeError("exportOnnx", `batchDim '${batch.name}': ${where} ${verdict.why} (${value}), so the batch axis cannot be symbolic; ${remedy}`);
}

/**
 * The feeds a fixed-size operand is computed from that could carry the batch axis but do not:
 * left as graph inputs, not among batchDim's inputs, with the batched feeds' leading size. The
 * default inputs never include a parameter, so a per-example parameter left unbaked is one.
 */
function unbatchedFeeds(batch: BatchAxis, program: Program, operand: number): FeedSpec[] {
  const nodes = program.nodes;
  const feedAt = new Map(program.feeds.map((f) => [f.id, f]));
  const batchedSizes = new Set(program.feeds.filter((f) => batch.inputs.has(f.name) && f.shape.length > 0).map((f) => f.shape[0]!));
  const size = nodes[operand]!.shape[0]!;
  const found: FeedSpec[] = [];
  const seen = new Set<number>();
  const visit = (id: number): void => {
    if (seen.has(id)) return;
    seen.add(id);
    const feed = feedAt.get(id);
    if (feed === undefined) {
      nodes[id]!.inputs.forEach(visit);
      return;
    }
    const open = batch.graphInputs?.has(feed.name) ?? true;
    if (open && !batch.inputs.has(feed.name) && feed.shape[0] === size && batchedSizes.has(size)) found.push(feed);
  };
  visit(operand);
  return found.sort((a, b) => a.id - b.id);
}

/** The remedy when the operand comes from such feeds: name them in batchDim's inputs, if they are per-example. */
function nameThem(batch: BatchAxis, feeds: readonly FeedSpec[]): string {
  const described = feeds.map((f) => `${f.kind === "param" ? "parameter" : "input"} '${f.name}' ${formatShape(f.shape)}`).join(", ");
  const names = [...batch.inputs, ...feeds.map((f) => f.name)].map((n) => `'${n}'`).join(", ");
  const [they, hold, them] = feeds.length > 1 ? ["they", "hold", "them"] : ["it", "holds", "it"];
  return (
    `the operand comes from ${described}, left as a graph input without the batch axis ` +
    `(by default only the inputs whose leading size is the first input's carry it, never a parameter): ` +
    `if ${they} ${hold} one row per example, name ${them} in batchDim: { name: '${batch.name}', inputs: [${names}] }; ` +
    `otherwise export without batchDim`
  );
}

/** Whether a value of `shape`, aligned to `rank` axes, has size 1 on the leading one. */
const oneInFront = (shape: readonly number[], rank: number): boolean => shape.length < rank || shape[0] === 1;

/**
 * Per node: whether its value is the same in every row of its leading axis (of size other than
 * 1) because a broadcast made it so, through ops that work row by row. Batched values are never
 * uniform in this sense: they come from feeds.
 */
function uniformValues(program: Program): Uint8Array {
  const nodes = program.nodes;
  const uniform = new Uint8Array(nodes.length);
  for (const node of nodes) {
    const rank = node.shape.length;
    if (rank === 0 || node.shape[0] === 1 || node.inputs.length === 0) continue;
    const u = (k: number): boolean => uniform[node.inputs[k]!] === 1;
    const shapeOf = (k: number): readonly number[] => nodes[node.inputs[k]!]!.shape;
    const rowWise = (k: number): boolean => u(k) || oneInFront(shapeOf(k), rank);
    uniform[node.id] = lowerNode(uniformRules, node, { u, shapeOf, rowWise }, "@unfold/backend-onnx") ? 1 : 0;
  }
  return uniform;
}

/** What a uniformity rule reads about a node's k-th input. */
interface UniformContext {
  /** Whether input k is uniform. */
  readonly u: (k: number) => boolean;
  readonly shapeOf: (k: number) => readonly number[];
  /** Whether input k is the same in every row of the node's leading axis (uniform, or of size 1 there). */
  readonly rowWise: (k: number) => boolean;
}

/** Ops that work row by row: uniform when some input is and every input is the same in each row. */
const rowByRow = (node: Node, { u, rowWise }: UniformContext): boolean => node.inputs.some((_, k) => u(k)) && node.inputs.every((_, k) => rowWise(k));
const reductionUniform = (node: NodeOf<"sum" | "reduceMax">, { u }: UniformContext): boolean => u(0) && !node.axes.includes(0);

/** Per computed op, whether the node's value is uniform (see uniformValues); a new primitive needs a rule. */
export const uniformRules: LoweringTable<boolean, UniformContext> = {
  ...familyLowering(UNARY_OPS, rowByRow),
  ...familyLowering(BINARY_OPS, rowByRow),
  cast: rowByRow,
  broadcast: (_node, { rowWise }) => rowWise(0),
  reshape: (node, { u, shapeOf }) => u(0) && shapeOf(0)[0] === node.shape[0],
  transpose: (node, { u }) => u(0) && node.perm[0] === 0,
  slice: (node, { u, shapeOf }) => u(0) && node.begin[0] === 0 && shapeOf(0)[0] === node.shape[0],
  sum: reductionUniform,
  reduceMax: reductionUniform,
  concat: (node, { u }) => node.axis !== 0 && node.inputs.every((_, k) => u(k)),
  gather: (node, { u }) => u(0) && node.axis !== 0,
  scatterAdd: (node, { u }) => u(0) && node.axis !== 0,
  matmul: (node, context) => (node.shape.length === 2 ? context.u(0) : rowByRow(node, context)),
};

/** The broadcasts a uniform value gets its uniformity from: the ones to take to the runtime batch size. */
function roots(nodes: readonly Node[], uniform: Uint8Array, id: number): number[] {
  const found: number[] = [];
  const seen = new Set<number>();
  const visit = (i: number): void => {
    if (seen.has(i)) return;
    seen.add(i);
    const node = nodes[i]!;
    const from = node.inputs.filter((j) => uniform[j] === 1);
    if (node.op === "broadcast" && from.length === 0) found.push(i);
    else from.forEach(visit);
  };
  visit(id);
  return found;
}
