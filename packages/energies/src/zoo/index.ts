import type { ZooEntry } from "./entry.js";

export type { ZooEntry, ZooExample } from "./entry.js";

/** Every energy of the zoo. A new energy joins by being added here. */
export const ZOO: readonly ZooEntry[] = [];
