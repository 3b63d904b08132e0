import { type Backend, type DType, type DeviceTensor, type HostTensor, optimize } from "@unfold/core";
import { type ProgramTask, programTask } from "../workloads/programs.js";
import type { Outputs, Problem } from "../workloads/problem.js";
import { type Engine, EngineUnavailable, type PreparedRun, WorkloadUnsupported, messageOf } from "./engine.js";

export interface BackendEngineOptions {
  /** The dtype to compute in; by default float32 when the backend has it, else its first dtype. */
  readonly dtype?: DType;
  readonly cap?: Engine["cap"];
  /** Run core `optimize` on the program before compiling it (default true). */
  readonly optimize?: boolean;
  /** What the loaded backend turned out to use (kernels, threads), for the engine's description. */
  readonly detail?: (backend: Backend) => Promise<string | undefined>;
  /**
   * Measures each workload with the backend's own accounting, for memory the JavaScript heap
   * figure does not see. Called before the workload is compiled (to note what is in use then:
   * other workloads' cached executables, other engines' tensors); the function it returns wraps
   * the prepared run, typically adding `poolBytes`: what this workload added at most.
   */
  readonly watch?: (backend: Backend) => Promise<(run: PreparedRun) => PreparedRun>;
}

/**
 * Turns any core Backend into an engine. The workload's program is compiled once; its feeds are
 * uploaded once and stay resident; a step runs the executable, feeds the carried outputs back in
 * (a training step's parameters and moments never visit the host) and reads back only what the
 * workload names.
 */
export function backendEngine(name: string, load: () => Backend | Promise<Backend>, options: BackendEngineOptions = {}): Engine {
  let backend: Backend | undefined;
  let backendName: string | undefined;
  let dtypeUsed: DType | undefined;
  let detail: string | undefined;
  const ensure = async (): Promise<Backend> => {
    if (backend) return backend;
    try {
      backend = await load();
      backendName = backend.name;
      detail = await options.detail?.(backend);
    } catch (error) {
      throw error instanceof EngineUnavailable ? error : new EngineUnavailable(messageOf(error));
    }
    return backend;
  };
  return {
    name,
    peer: false,
    ...(options.cap ? { cap: options.cap } : {}),
    describe: () =>
      `${name}: ${backendName ? `core Backend '${backendName}'` : "a core Backend"} through the generic adapter, ${dtypeUsed ?? options.dtype ?? "float32"}, the core-optimized program${detail ? `; ${detail}` : ""}`,
    init: async () => void (await ensure()),
    prepare: async (problem: Problem) => {
      const b = await ensure();
      const dtype = options.dtype ?? (b.dtypes.includes("float32") ? "float32" : b.dtypes[0]);
      if (!dtype || !b.dtypes.includes(dtype)) {
        throw new WorkloadUnsupported(`backend '${b.name}' computes in ${b.dtypes.join(", ") || "no dtype"}, not ${dtype}`);
      }
      dtypeUsed = dtype;
      const task = programTask(problem, dtype);
      const watched = (await options.watch?.(b)) ?? ((run: PreparedRun) => run);
      return watched(await prepareTask(b, options.optimize === false ? task : { ...task, program: optimize(task.program) }));
    },
    dispose: async () => {
      await backend?.dispose();
      backend = undefined;
    },
  };
}

async function prepareTask(backend: Backend, task: ProgramTask): Promise<PreparedRun> {
  const executable = await backend.compile(task.program);
  const perStep = new Set(Object.keys(task.stepFeeds?.(1) ?? {}));
  const resident: Record<string, DeviceTensor> = {};
  const release = (): void => {
    for (const t of Object.values(resident)) if (!t.disposed) t.dispose();
  };
  try {
    for (const [feed, value] of Object.entries(task.feeds)) if (!perStep.has(feed)) resident[feed] = await backend.upload(value);
  } catch (error) {
    release();
    throw error;
  }
  let count = 0;
  const run = async (readAll: boolean): Promise<Outputs> => {
    count++;
    const host: Record<string, HostTensor> = task.stepFeeds?.(count) ?? {};
    const outs = await executable.run({ ...resident, ...host });
    const result: Outputs = {};
    for (const [name, tensor] of Object.entries(outs)) {
      if (readAll || task.readback.includes(name)) {
        const value = await tensor.read();
        if (readAll) result[name] = Float64Array.from(value.data);
      }
      const target = task.carry?.[name];
      if (target) {
        resident[target]?.dispose();
        resident[target] = tensor;
      } else {
        tensor.dispose();
      }
    }
    return result;
  };
  return {
    check: () => run(true),
    step: async () => void (await run(false)),
    dispose: async () => release(),
  };
}

/**
 * A `watch` for a backend that counts its own bytes in use and their peak: starts a new peak,
 * notes what is in use now, and gives each run `poolBytes` = the peak since, less that.
 */
export function peakOverBefore(counter: { reset(): void; live(): number; peak(): number }): (run: PreparedRun) => PreparedRun {
  counter.reset();
  const before = counter.live();
  return (run) => ({ ...run, poolBytes: () => counter.peak() - before });
}
