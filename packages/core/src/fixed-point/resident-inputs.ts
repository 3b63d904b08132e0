// The fixed-point solvers take their state, parameters and cotangent either as host tensors
// (uploaded for the solve and freed after it) or as tensors already resident on the solve's
// backend (used where they are and left to their owner), so a caller that keeps its tensors on
// the device (a training step) does not read them back only to have them uploaded again.
import { type Backend, type DeviceTensor, isDeviceTensor } from "../backend/backend.js";
import { checkHostTensor } from "../backend/host-data.js";
import type { HostTensor } from "../backend/tensor.js";
import type { DType } from "../dtype.js";
import { type Energy, type ParamSpec } from "../energy/energy.js";
import { type ParamValues, checkParams } from "../energy/params.js";
import { DTypeError, FeedError, formatShape } from "../errors.js";
import { type Shape, sameShape } from "../shape.js";

/** A solver input: host data, or a tensor resident on the solve's backend. */
export type TensorInput = HostTensor | DeviceTensor;

/** An energy's parameter values, each host data or resident on the solve's backend. */
export type ParamInputs<N extends string = string> = { readonly [K in N]: TensorInput };

/** Whether a value is a device tensor (it has `read`), for inputs not yet checked. */
export function isResident(value: unknown): value is DeviceTensor {
  return typeof value === "object" && value !== null && isDeviceTensor(value as DeviceTensor);
}

/**
 * Checks a resident input: a live tensor of `backend`, of `shape` and `dtype` when given. Its values
 * are not scanned (that would read it back); they come from the caller's own programs.
 */
export function checkResident(op: string, what: string, value: DeviceTensor, backend: Backend, expect: { readonly shape?: Shape; readonly dtype?: DType } = {}): DeviceTensor {
  if (value.backend !== backend.name) throw new FeedError(op, `${what} is a device tensor of backend '${value.backend}', not of the solve's backend '${backend.name}'; pass a host tensor or one made on '${backend.name}'`);
  if (value.disposed) throw new FeedError(op, `${what} is a device tensor that was disposed`);
  if (expect.shape && !sameShape(value.shape, expect.shape)) throw new FeedError(op, `${what} has shape ${formatShape(value.shape)}, expected ${formatShape(expect.shape)}`);
  if (expect.dtype && value.dtype !== expect.dtype) throw new DTypeError(op, `${what} is ${value.dtype}, expected ${expect.dtype}`);
  return value;
}

/** Checks a state-like input (host or resident) and gives its shape and dtype. */
export function checkTensorInput(op: string, what: string, value: unknown, backend: Backend, fed = false): { readonly shape: Shape; readonly dtype: DType } {
  if (isResident(value)) {
    checkResident(op, what, value, backend);
    return { shape: value.shape, dtype: value.dtype };
  }
  const t = checkHostTensor(op, what, value, fed);
  return { shape: t.shape, dtype: t.dtype };
}

/**
 * Checks an energy's parameter values given as host or resident tensors: host ones by
 * checkParams (form, shape, dtype, finite values, constraints), resident ones by backend, shape
 * and dtype. With no resident value this is checkParams itself, with its messages.
 */
export function checkParamInputs(energy: Energy, values: unknown, dtype: DType, where: string, backend: Backend): void {
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    checkParams(energy, values as ParamValues, dtype, where);
    return;
  }
  const entries = Object.entries(values as Record<string, unknown>);
  const resident = entries.filter(([, v]) => isResident(v)) as [string, DeviceTensor][];
  if (resident.length === 0) {
    checkParams(energy, values as ParamValues, dtype, where);
    return;
  }
  for (const [name, value] of resident) {
    const spec = energy.params[name];
    if (!spec) throw new FeedError(where, `unknown parameter '${name}' for energy '${energy.name}' (parameters: ${Object.keys(energy.params).join(", ")})`);
    checkResident(where, `parameter '${name}'`, value, backend, { shape: spec.shape, dtype });
  }
  // The host ones against the energy's other parameters: the same checks and messages as before.
  const residentNames = new Set(resident.map(([name]) => name));
  const hostParams: Record<string, ParamSpec> = Object.fromEntries(Object.entries(energy.params).filter(([name]) => !residentNames.has(name)));
  const host = Object.fromEntries(entries.filter(([name]) => !residentNames.has(name)));
  checkParams({ ...energy, params: hostParams }, host as ParamValues, dtype, where);
}

/**
 * The device tensors a solve runs on: host inputs uploaded (and freed by `disposeUploads`),
 * resident ones used as given and never freed here.
 */
export class ResidentInputs {
  private readonly uploads: DeviceTensor[] = [];

  constructor(private readonly backend: Backend) {}

  /** The input on the backend: itself when resident, else an upload this object frees later. */
  async place(value: TensorInput): Promise<DeviceTensor> {
    if (isResident(value)) return value;
    const uploaded = await this.backend.upload(value);
    this.uploads.push(uploaded);
    return uploaded;
  }

  /** Every parameter on the backend, by name. */
  async placeAll(values: Readonly<Record<string, TensorInput>>): Promise<Record<string, DeviceTensor>> {
    const placed: Record<string, DeviceTensor> = {};
    for (const [name, value] of Object.entries(values)) placed[name] = await this.place(value);
    return placed;
  }

  /** Frees the uploads; the caller's resident tensors are left alone. */
  disposeUploads(): void {
    for (const t of this.uploads) t.dispose();
    this.uploads.length = 0;
  }
}
