import { type Backend, type DType, type DeviceTensor, type HostTensor, type Program, Random, hostTensor, input, ops, param, trace } from "@unfold/core";
import { type ConformanceCase, customCase, seedOf } from "../case.js";
import { TOLERANCES, compilePoisoned, expectRejection, referenceRun, runAndCompare } from "../check.js";
import { ConformanceError, assertMatchesReference } from "../compare.js";
import { normals } from "../generate.js";

/**
 * One rule for use after dispose, on every backend: dispose() is idempotent and final. Afterwards
 * compile (a new program or one compiled before), upload, a run of an executable compiled before
 * and a read of a tensor it made all reject with an UnfoldError that names the backend, the
 * operation and the dispose; its tensors report disposed, and disposing one is harmless. Nothing
 * restarts silently. Disposing one backend leaves every other backend working. These cases
 * dispose backends of their own (CaseContext.fresh), never the one the suite shares.
 */

const [N, D] = [6, 4];

function program(dtype: DType, scale: number): Program {
  return trace({ x: input([N, D], dtype), W: param([D, D], dtype) }, ({ x, W }) => ({
    y: ops.tanh(ops.mul(ops.matmul(x, W), scale)),
    s: ops.sum(ops.mul(x, x)),
  }));
}

function feeds(dtype: DType, name: string): { x: HostTensor; W: HostTensor } {
  const rng = new Random(seedOf(`lifetimes/${name}`, 0));
  return { x: hostTensor(normals(rng, N * D), [N, D], dtype), W: hostTensor(normals(rng, D * D, 0.5), [D, D], dtype) };
}

type Operation = "compile" | "upload" | "run" | "read";

/** Requires `action` to reject with an UnfoldError naming the backend, the operation and the dispose. */
async function expectAfterDispose(backend: Backend, op: Operation, what: string, action: () => Promise<unknown>): Promise<void> {
  const error = await expectRejection(`${what} after dispose()`, action, { name: "UnfoldError", mentions: [backend.name] });
  if (!new RegExp(`\\b${op}\\b`).test(error.message) || !/dispos/.test(error.message)) {
    throw new ConformanceError(`${what} after dispose(): the message "${error.message}" must name the operation ('${op}') and say that the backend was disposed`);
  }
}

async function readAll(outs: Record<string, DeviceTensor>): Promise<Record<string, HostTensor>> {
  return Object.fromEntries(await Promise.all(Object.entries(outs).map(async ([k, t]) => [k, await t.read()] as const)));
}

const afterDispose = customCase(
  "lifetimes",
  "after dispose() (twice): compile, upload, runs of earlier executables and reads of earlier tensors reject naming the backend and the operation; its tensors report disposed",
  async (_shared, dtype, context) => {
    const backend = await context.fresh();
    const p = program(dtype, 2);
    const { x, W } = feeds(dtype, "after");
    const executable = await compilePoisoned(backend, p);
    const resident = await backend.upload(W);
    const outs = await executable.run({ x, W: resident });
    // Works before the dispose: the failures below are the dispose's doing.
    const first = outs["y"]!;
    assertMatchesReference({ s: await outs["s"]!.read() }, { s: referenceRun(p, { x, W })["s"]! }, TOLERANCES.operation[dtype], "before dispose()");
    outs["s"]!.dispose();

    await backend.dispose();
    // Idempotent: a second call, and two at once, resolve.
    await backend.dispose();
    await Promise.all([backend.dispose(), backend.dispose()]);

    await expectAfterDispose(backend, "compile", "compiling a program compiled before", () => compilePoisoned(backend, p));
    await expectAfterDispose(backend, "compile", "compiling a new program", () => compilePoisoned(backend, program(dtype, 3)));
    await expectAfterDispose(backend, "upload", "upload", () => backend.upload(W));
    await expectAfterDispose(backend, "run", "running an executable compiled before", () => executable.run({ x, W }));
    await expectAfterDispose(backend, "read", "reading an output that was never read", () => first.read());
    await expectAfterDispose(backend, "read", "reading an uploaded tensor", () => resident.read());
    for (const [what, t] of [["an output that was never read", first], ["an uploaded tensor", resident]] as const) {
      if (!t.disposed) throw new ConformanceError(`${what} does not report disposed after its backend's dispose()`);
      // Disposing what the backend already released is harmless.
      t.dispose();
    }
  },
  (dtype) => [program(dtype, 2), program(dtype, 3)],
);

const others = customCase(
  "lifetimes",
  "disposing one backend leaves another one's executables and tensors working",
  async (shared, dtype, context) => {
    const p = program(dtype, 2);
    const { x, W } = feeds(dtype, "others");
    const tolerance = TOLERANCES.operation[dtype];
    const executable = await compilePoisoned(shared, p);
    const resident = await shared.upload(W);
    const pending = await executable.run({ x, W: resident });

    // A second backend lives and dies beside the shared one (process-wide runtimes, devices and
    // engines are where one backend's dispose could reach the other).
    const other = await context.fresh();
    const theirs = await compilePoisoned(other, p);
    const theirResident = await other.upload(W);
    await runAndCompare(theirs, { x, W: theirResident }, referenceRun(p, { x, W }), tolerance, "on the second backend");
    await other.dispose();

    if (resident.disposed) throw new ConformanceError("a tensor of the shared backend reports disposed after another backend's dispose()");
    assertMatchesReference(await readAll(pending), referenceRun(p, { x, W }), tolerance, "outputs of the shared backend, read after another backend's dispose()");
    for (const t of Object.values(pending)) t.dispose();
    await runAndCompare(executable, { x, W: resident }, referenceRun(p, { x, W }), tolerance, "the shared backend's executable, run after another backend's dispose()");
    await runAndCompare(await compilePoisoned(shared, program(dtype, 3)), { x, W }, referenceRun(program(dtype, 3), { x, W }), tolerance, "a new compile on the shared backend");
    resident.dispose();
  },
  (dtype) => [program(dtype, 2), program(dtype, 3)],
);

const duringDispose = customCase(
  "lifetimes",
  "a compile and an upload in flight when dispose() is called settle: dead results or rejections that name the dispose",
  async (_shared, dtype, context) => {
    const backend = await context.fresh();
    const p = program(dtype, 2);
    const { x, W } = feeds(dtype, "during");
    // The first compile of a fresh backend is the slowest (engines, threads, devices start then).
    const compiling = compilePoisoned(backend, p).then(
      (e) => ({ ok: true as const, value: e }),
      (e: unknown) => ({ ok: false as const, error: e }),
    );
    const uploading = backend.upload(W).then(
      (t) => ({ ok: true as const, value: t }),
      (e: unknown) => ({ ok: false as const, error: e }),
    );
    await backend.dispose();
    const [compiled, uploaded] = await Promise.all([compiling, uploading]);
    if (compiled.ok) await expectAfterDispose(backend, "run", "running an executable whose compile was in flight at dispose()", () => compiled.value.run({ x, W }));
    else if (!(compiled.error instanceof Error && /dispos/.test(compiled.error.message))) {
      throw new ConformanceError(`a compile in flight at dispose() rejected without naming the dispose: ${String(compiled.error)}`);
    }
    if (uploaded.ok && !uploaded.value.disposed) throw new ConformanceError("a tensor whose upload was in flight at dispose() does not report disposed");
    if (!uploaded.ok && !(uploaded.error instanceof Error && /dispos/.test(uploaded.error.message))) {
      throw new ConformanceError(`an upload in flight at dispose() rejected without naming the dispose: ${String(uploaded.error)}`);
    }
  },
  (dtype) => [program(dtype, 2)],
);

/** The `lifetimes` group: dispose() idempotent and final for the backend, its executables and tensors. */
export function lifetimeCases(): ConformanceCase[] {
  return [afterDispose, others, duringDispose];
}
