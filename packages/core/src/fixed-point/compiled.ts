// The fixed-point solvers run the same few programs at every iteration of every solve (a layer
// evaluation, a Gram row, a mix, a dot product). A backend's own compile cache finds them too,
// but only after the program has been traced again and fingerprinted, which for a small state
// costs about as much as running it. This cache keys each executable on the backend, the object
// its program is built from (the layer map or the energy) and a string naming the rest (shape,
// dtype, variant), so a hit traces nothing.
import type { Backend, Executable } from "../backend/backend.js";
import type { DType } from "../dtype.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";

const cache = new WeakMap<Backend, WeakMap<object, Map<string, Promise<Executable>>>>();

/** The owner of programs that depend on no map or energy (dot products, axpy, the Gram row). */
const SHARED: object = {};

/** A cache key's shape-and-dtype part. */
export const signature = (shape: Shape, dtype: DType): string => `${shape.join("x")}:${dtype}`;

/**
 * The executable of the program `build` makes, compiled on `backend` once per (`owner`, `key`):
 * `owner` is the map or energy the program is built from (undefined: none), `key` must name
 * everything else that shapes it. A failed compile is not kept, so the next call tries again.
 */
export function compileOnce(backend: Backend, owner: object | undefined, key: string, build: () => Program): Promise<Executable> {
  let byOwner = cache.get(backend);
  if (!byOwner) cache.set(backend, (byOwner = new WeakMap()));
  const ownerKey = owner ?? SHARED;
  let byKey = byOwner.get(ownerKey);
  if (!byKey) byOwner.set(ownerKey, (byKey = new Map()));
  const found = byKey.get(key);
  if (found) return found;
  const compiled = backend.compile(build());
  byKey.set(key, compiled);
  compiled.catch(() => byKey.delete(key));
  return compiled;
}
