// The WebGPU types this package's declarations name (a device in the options, the device a
// backend runs on, the buffers and pipelines of its executables), declared as empty global
// interfaces, as @types/node declares the DOM types it names. Interfaces merge: where lib.dom or
// @webgpu/types is loaded they are the full WebGPU types, and a project with neither (a Node
// project with lib ES2022) still type-checks these declarations without skipLibCheck. No type
// alias is named here, since an alias cannot merge (lib.dom and @webgpu/types both declare
// GPUPowerPreference, which is why the options spell out their own).
export {};

/* eslint-disable @typescript-eslint/no-empty-object-type -- empty on purpose: they merge with the full types */
declare global {
  interface GPU {}
  interface GPUDevice {}
  interface GPUDeviceLostInfo {}
  interface GPUBuffer {}
  interface GPUComputePipeline {}
}
