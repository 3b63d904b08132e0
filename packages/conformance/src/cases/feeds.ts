import {
  type Backend,
  type DType,
  type DeviceTensor,
  type Executable,
  type Feeds,
  type HostTensor,
  type Program,
  formatShape,
  hostTensor,
  input,
  isDeviceTensor,
  ops,
  param,
  trace,
} from "@unfold/core";
import { type ConformanceCase, customCase } from "../case.js";
import { type ExpectedError, TOLERANCES, compilePoisoned, expectRejection, referenceRun, runAndCompare } from "../check.js";

/**
 * Bad feeds reject, before anything runs, with core's errors (checkFeeds gives every backend
 * the same messages): an unknown name, a missing feed, a wrong shape or dtype, a NaN or an
 * infinity in host data, a plain array, a disposed or foreign DeviceTensor. Uploads reject
 * non-finite data the same way (checkUpload). After each rejection the backend still works.
 */

const SHAPE = [2, 3] as const;

function program(dtype: DType): Program {
  return trace({ x: input(SHAPE, dtype), w: param([3], dtype) }, ({ x, w }) => ({ y: ops.add(ops.mul(x, w), 1), s: ops.sum(x) }));
}

function goodFeeds(dtype: DType): { x: HostTensor; w: HostTensor } {
  return { x: hostTensor([1, -2, 3, 0.5, 4, -1], SHAPE, dtype), w: hostTensor([0.25, -1, 2], [3], dtype) };
}

const other = (dtype: DType): DType => (dtype === "float32" ? "float64" : "float32");

/** A DeviceTensor of some other backend: a plain object is enough, the name is what counts. */
function foreignTensor(dtype: DType): DeviceTensor {
  const data = hostTensor([1, 2, 3, 4, 5, 6], SHAPE, dtype);
  return { backend: "some-other-backend", shape: SHAPE, dtype, disposed: false, read: async () => data, dispose: () => undefined };
}

/** The program a rejection case runs, and feeds it accepts. */
interface Subject {
  program(dtype: DType): Program;
  good(dtype: DType): Record<string, HostTensor>;
}

const AFFINE: Subject = { program, good: goodFeeds };

/**
 * One rejection case: compile, build the bad feeds (they may need the backend, for uploads),
 * expect the error, then check that a good run still gives the right answer.
 */
function rejection(
  name: string,
  bad: (backend: Backend, dtype: DType) => Promise<Feeds> | Feeds,
  expected: (dtype: DType) => ExpectedError,
  subject: Subject = AFFINE,
): ConformanceCase {
  return customCase(
    "feeds",
    name,
    async (backend, dtype) => {
      const p = subject.program(dtype);
      const executable: Executable = await compilePoisoned(backend, p);
      const feeds = await bad(backend, dtype);
      await expectRejection(`run with ${name}`, () => executable.run(feeds), expected(dtype));
      for (const f of Object.values(feeds)) if (isDeviceTensor(f) && f.backend === backend.name && !f.disposed) f.dispose();
      const good = subject.good(dtype);
      await runAndCompare(executable, good, referenceRun(p, good), TOLERANCES.operation[dtype], `a good run after the rejected ${name}`);
    },
    (dtype) => [subject.program(dtype)],
  );
}

const feedCases: ConformanceCase[] = [
  rejection(
    "an unknown feed name",
    (_b, dtype) => ({ ...goodFeeds(dtype), bogus: hostTensor([1], [1], dtype) }),
    () => ({ name: "FeedError", mentions: ["bogus"] }),
  ),
  rejection("a missing feed", (_b, dtype) => ({ x: goodFeeds(dtype).x }), () => ({ name: "FeedError", mentions: ["'w'"] })),
  rejection(
    "a host feed of the wrong shape",
    (_b, dtype) => ({ ...goodFeeds(dtype), x: hostTensor([1, 2, 3, 4, 5, 6], [3, 2], dtype) }),
    () => ({ name: "FeedError", mentions: ["'x'", formatShape([3, 2]), formatShape(SHAPE)] }),
  ),
  rejection(
    "a device feed of the wrong shape",
    async (backend, dtype) => ({ ...goodFeeds(dtype), x: await backend.upload(hostTensor([1, 2, 3, 4, 5, 6], [6], dtype)) }),
    () => ({ name: "FeedError", mentions: ["'x'", formatShape([6]), formatShape(SHAPE)] }),
  ),
  rejection(
    "a feed of the wrong dtype",
    (_b, dtype) => ({ ...goodFeeds(dtype), x: hostTensor([1, 2, 3, 4, 5, 6], SHAPE, other(dtype)) }),
    (dtype) => ({ name: "DTypeError", mentions: ["'x'", other(dtype), dtype] }),
  ),
  rejection(
    "NaN in a host feed",
    (_b, dtype) => ({ ...goodFeeds(dtype), x: hostTensor([1, 2, 3, 4, Number.NaN, 6], SHAPE, dtype) }),
    () => ({ name: "FeedError", mentions: ["'x'", "NaN"] }),
  ),
  rejection(
    "Infinity in a host feed",
    (_b, dtype) => ({ ...goodFeeds(dtype), x: hostTensor([1, 2, 3, 4, Number.POSITIVE_INFINITY, 6], SHAPE, dtype) }),
    () => ({ name: "FeedError", mentions: ["'x'", "Infinity", "element [1, 1]"] }),
  ),
  rejection(
    "-Infinity in a host feed",
    (_b, dtype) => ({ ...goodFeeds(dtype), w: hostTensor([0.25, -1, Number.NEGATIVE_INFINITY], [3], dtype) }),
    () => ({ name: "FeedError", mentions: ["'w'", "-Infinity", "element [2]"] }),
  ),
  rejection(
    "a plain array as a feed",
    (_b, dtype) => ({ ...goodFeeds(dtype), x: [1, -2, 3, 0.5, 4, -1] as unknown as HostTensor }),
    () => ({ name: "FeedError", mentions: ["'x'", "plain array", "hostTensor(data, shape)"] }),
  ),
  rejection(
    "a disposed device feed",
    async (backend, dtype) => {
      const x = await backend.upload(goodFeeds(dtype).x);
      x.dispose();
      return { ...goodFeeds(dtype), x };
    },
    () => ({ name: "FeedError", mentions: ["'x'", "disposed"] }),
  ),
  rejection(
    "a device feed from another backend",
    (_b, dtype) => ({ ...goodFeeds(dtype), x: foreignTensor(dtype) }),
    () => ({ name: "FeedError", mentions: ["'x'", "some-other-backend"] }),
  ),
];

/**
 * One upload rejection: `upload` must reject the tensor with core's check (checkUpload), so no
 * resident tensor holds what a host feed may not; then a good upload still runs correctly.
 */
function uploadRejection(name: string, bad: (dtype: DType) => HostTensor, expected: ExpectedError): ConformanceCase {
  return customCase(
    "feeds",
    name,
    async (backend, dtype) => {
      const p = program(dtype);
      const executable: Executable = await compilePoisoned(backend, p);
      await expectRejection(name, () => backend.upload(bad(dtype)), expected);
      const good = goodFeeds(dtype);
      const x = await backend.upload(good.x);
      try {
        await runAndCompare(executable, { ...good, x }, referenceRun(p, good), TOLERANCES.operation[dtype], `a run on a good upload after the rejected ${name}`);
      } finally {
        x.dispose();
      }
    },
    (dtype) => [program(dtype)],
  );
}

const uploadCases: ConformanceCase[] = [
  uploadRejection("an upload holding Infinity", (dtype) => hostTensor([1, 2, 3, Number.POSITIVE_INFINITY, 5, 6], SHAPE, dtype), {
    name: "FeedError",
    mentions: ["upload", formatShape(SHAPE), "Infinity", "element [1, 0]"],
  }),
  uploadRejection("an upload holding -Infinity", (dtype) => hostTensor([1, Number.NEGATIVE_INFINITY, 3, 4, 5, 6], SHAPE, dtype), {
    name: "FeedError",
    mentions: ["upload", formatShape(SHAPE), "-Infinity", "element [0, 1]"],
  }),
  uploadRejection("an upload holding NaN", (dtype) => hostTensor([1, 2, 3, 4, 5, Number.NaN], SHAPE, dtype), {
    name: "FeedError",
    mentions: ["upload", "NaN", "element [1, 2]"],
  }),
  uploadRejection("an upload of a plain array", () => [1, 2, 3, 4, 5, 6] as unknown as HostTensor, {
    name: "FeedError",
    mentions: ["upload", "plain array", "hostTensor(data, shape)"],
  }),
];

const TABLE_ROWS = 4;

/** A gather whose indices are a host feed: `ids` rows of a 4 x 2 table. */
const GATHER: Subject = {
  program: (dtype) => trace({ table: param([TABLE_ROWS, 2], dtype), ids: input([3], dtype) }, ({ table, ids }) => ({ rows: ops.gather(table, ids, 0) })),
  good: (dtype) => ({ table: hostTensor([1, 2, 3, 4, 5, 6, 7, 8], [TABLE_ROWS, 2], dtype), ids: hostTensor([3, 0, 3], [3], dtype) }),
};

/**
 * Index feeds out of range (or not integers) reject before the run on every backend, naming the
 * feed, the value and the range: a GPU kernel cannot throw and would clamp the index instead.
 */
const indexRejection = (name: string, ids: readonly number[], mentions: readonly string[]): ConformanceCase =>
  rejection(name, (_b, dtype) => ({ ...GATHER.good(dtype), ids: hostTensor(ids, [3], dtype) }), () => ({ name: "FeedError", mentions: ["'ids'", ...mentions] }), GATHER);

const indexCases: ConformanceCase[] = [
  indexRejection("a gather index past the end", [0, 4, 1], ["4", "[1]", "[0, 4)"]),
  indexRejection("a negative gather index", [0, 1, -1], ["-1", "[2]", "[0, 4)"]),
  indexRejection("a fractional gather index", [2.5, 1, 0], ["2.5", "[0]", "integer"]),
];

/** The `feeds` group: every bad feed refused with the shared message. */
export function feedValidationCases(): ConformanceCase[] {
  return [...feedCases, ...uploadCases, ...indexCases];
}

/** A program in `dtype` only, and one that touches `dtype` through a cast from a claimed one. */
export function unsupportedDTypePrograms(dtype: DType, claimed: DType): Program[] {
  const pure = trace({ x: input([2, 2], dtype) }, ({ x }) => ({ y: ops.exp(x) }));
  const mixed = trace({ x: input([2, 2], claimed) }, ({ x }) => ({ y: ops.cast(ops.exp(ops.cast(x, dtype)), claimed) }));
  return [pure, mixed];
}

/**
 * Compiling a program that computes in a dtype the backend does not list in `dtypes` must
 * reject with a DTypeError, whether the whole program or one cast node is in that dtype.
 */
export async function checkRejectsDType(backend: Backend, dtype: DType): Promise<void> {
  const claimed = backend.dtypes[0];
  const programs = claimed ? unsupportedDTypePrograms(dtype, claimed) : unsupportedDTypePrograms(dtype, dtype).slice(0, 1);
  const what = [`a ${dtype} program`, `a ${claimed} program with one ${dtype} cast`];
  for (const [i, p] of programs.entries()) {
    await expectRejection(`compiling ${what[i]} on a backend claiming [${backend.dtypes.join(", ")}]`, () => backend.compile(p, { poison: true }), {
      name: "DTypeError",
      mentions: [dtype],
    });
  }
}
