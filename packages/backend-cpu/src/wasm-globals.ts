// The WebAssembly types this package's declarations name (the arena's memory, the kernels'
// modules), declared as empty interfaces of the global WebAssembly namespace, as @types/node
// declares the DOM types it names. They merge: where lib.dom (or a @types/node that declares
// WebAssembly) is loaded they are the full types, and a Node project with lib ES2022 alone
// still type-checks these declarations without skipLibCheck.
export {};

/* eslint-disable @typescript-eslint/no-empty-object-type, @typescript-eslint/no-namespace -- a global augmentation of empty interfaces: they merge with the full types */
declare global {
  namespace WebAssembly {
    interface Memory {}
    interface Module {}
  }
}
