import { crateIstaZoo, crateZoo } from "../crate/zoo.js";
import type { ZooEntry } from "./entry.js";
import { energyTransformerZooEntry } from "./energy-transformer.js";
import { yangZooEntry } from "./yang.js";
import { hopfieldZooEntry } from "../hopfield/zoo.js";
import { lagrangianZooEntry } from "../lagrangian/zoo.js";
import { hopfieldNetworkZooEntry } from "../lagrangian/hopfield-zoo.js";

export type { ZooEntry, ZooExample } from "./entry.js";

/** Every energy of the zoo. A new energy joins by being added here. */
export const ZOO: readonly ZooEntry[] = [
  yangZooEntry,
  energyTransformerZooEntry,
  hopfieldZooEntry,
  lagrangianZooEntry,
  hopfieldNetworkZooEntry,
  crateZoo, crateIstaZoo,
];
