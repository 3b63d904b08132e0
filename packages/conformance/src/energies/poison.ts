import type { Backend } from "@unfold/core";

/**
 * The backend with every compile poisoned, as the conformance suite compiles (an element a kernel
 * forgets to write shows up as NaN): runUnfolding compiles its own programs, so the option is
 * added on the way in. Name and dtypes are the backend's own, so its tensors still belong to it.
 */
export function poisoned(backend: Backend): Backend {
  return {
    name: backend.name,
    dtypes: backend.dtypes,
    compile: (program, options) => backend.compile(program, { ...options, poison: true }),
    upload: (tensor) => backend.upload(tensor),
    dispose: () => backend.dispose(),
  };
}
