import { type ParamSpec, UnfoldError, describeValue, requireInteger, requireName, requireOptions, sameShape, formatShape } from "@unfold/core";
import type { LagrangianNetworkConfig, LayerSlot, NeuronLayer } from "./network.js";
import type { Synapse } from "./synapses.js";

export interface CheckedNetwork {
  readonly name: string;
  readonly layers: Readonly<Record<string, NeuronLayer>>;
  readonly synapses: readonly Synapse[];
  readonly layout: readonly LayerSlot[];
  readonly width: number;
  /** Every parameter, declared once; a name two parts declare alike is one shared parameter. */
  readonly params: Readonly<Record<string, ParamSpec>>;
}

function requireFunctionField(op: string, where: string, record: Record<string, unknown>, field: string, optional = false): void {
  const value = record[field];
  if (optional && value === undefined) return;
  if (typeof value !== "function") throw new UnfoldError(op, `${where}: '${field}' must be a function, got ${describeValue(value)}`);
}

/**
 * Checks a network's definition field by field, so that a misspelt layer in a synapse, a width of
 * 2.5 or two parts declaring one parameter name with different shapes is reported naming the
 * network and the part, not found later as a wrong slice or a TypeError in a trace.
 */
export function checkNetworkConfig(op: string, config: LagrangianNetworkConfig): CheckedNetwork {
  requireOptions(op, "config", config, ["name", "layers", "synapses"]);
  const name = requireName(op, "config.name", config.name);
  const of = `network '${name}'`;
  const layers = config.layers;
  if (typeof layers !== "object" || layers === null || Array.isArray(layers)) throw new UnfoldError(op, `the layers of ${of} must be an object of layers by name, got ${describeValue(layers)}`);
  const layout: LayerSlot[] = [];
  let width = 0;
  for (const [layerName, value] of Object.entries(layers)) {
    const where = `layer '${layerName}' of ${of}`;
    const layer = requireOptions(op, where, value, ["width", "lagrangian", "neuronEnergy"]);
    const w = requireInteger(op, `the width of ${where}`, layer["width"], 1);
    const lagrangian = requireOptions(op, `the lagrangian of ${where}`, layer["lagrangian"], ["kind", "params", "value"]);
    requireName(op, `the lagrangian's kind of ${where}`, lagrangian["kind"]);
    requireFunctionField(op, `the lagrangian of ${where}`, lagrangian, "value");
    requireFunctionField(op, `the lagrangian of ${where}`, lagrangian, "params", true);
    const ne = layer["neuronEnergy"];
    if (ne !== undefined && typeof ne !== "boolean") throw new UnfoldError(op, `the neuronEnergy of ${where} must be true or false, got ${describeValue(ne)}`);
    layout.push({ name: layerName, offset: width, width: w });
    width += w;
  }
  if (layout.length === 0) throw new UnfoldError(op, `${of} has no layers`);
  const synapses = config.synapses;
  if (!Array.isArray(synapses)) throw new UnfoldError(op, `the synapses of ${of} must be an array of synapses, got ${describeValue(synapses)}`);
  const termNames = new Set(layout.map((s) => `neuron:${s.name}`));
  synapses.forEach((value: unknown, i) => {
    const synapse = requireOptions(op, `synapses[${i}] of ${of}`, value, ["name", "layers", "params", "value"]);
    const sName = requireName(op, `synapses[${i}].name of ${of}`, synapse["name"]);
    const where = `synapse '${sName}' of ${of}`;
    if (termNames.has(sName)) throw new UnfoldError(op, `${of} has two terms named '${sName}' (synapse names must differ from each other and from the neuron terms)`);
    termNames.add(sName);
    const reads = synapse["layers"];
    if (!Array.isArray(reads) || reads.length === 0) throw new UnfoldError(op, `${where} must read a non-empty array of layer names, got ${describeValue(reads)}`);
    for (const l of reads) {
      if (typeof l !== "string" || !Object.hasOwn(layers, l)) {
        throw new UnfoldError(op, `${where} reads layer ${typeof l === "string" ? `'${l}'` : describeValue(l)}, which ${of} does not have (layers: ${layout.map((s) => s.name).join(", ")})`);
      }
    }
    requireFunctionField(op, where, synapse, "value");
    requireFunctionField(op, where, synapse, "params", true);
  });
  return { name, layers, synapses, layout, width, params: collectParams(op, of, layers, synapses, layout) };
}

/** Each part's parameters by name; one name declared twice must mean one tensor (the same shape). */
function collectParams(op: string, of: string, layers: Readonly<Record<string, NeuronLayer>>, synapses: readonly Synapse[], layout: readonly LayerSlot[]): Record<string, ParamSpec> {
  const params: Record<string, ParamSpec> = {};
  const owner: Record<string, string> = {};
  const add = (part: string, specs: Readonly<Record<string, ParamSpec>> | undefined): void => {
    for (const [p, spec] of Object.entries(specs ?? {})) {
      const before = params[p];
      if (before && (!sameShape(before.shape, spec.shape) || before.constraint !== spec.constraint)) {
        const declared = (s: ParamSpec): string => `${formatShape(s.shape)}${s.constraint ? ` (${s.constraint})` : ""}`;
        throw new UnfoldError(op, `${of}: parameter '${p}' is ${declared(before)} in ${owner[p]} but ${declared(spec)} in ${part}; one name is one tensor`);
      }
      params[p] = spec;
      owner[p] ??= part;
    }
  };
  const widthOf = new Map(layout.map((s) => [s.name, s.width]));
  for (const s of layout) add(`layer '${s.name}'`, layers[s.name]!.lagrangian.params?.(s.width));
  for (const s of synapses) add(`synapse '${s.name}'`, s.params?.(s.layers.map((l) => widthOf.get(l)!)));
  return params;
}
