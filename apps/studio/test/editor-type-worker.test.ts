// The two halves of the editor's off-thread type check, without a browser: the page's client
// (one request in flight, newer checks replacing the waiting one, failures refused with their
// reason) over a fake port, and the worker's responder (the compiler loaded once, failures as
// answers) over fake and real checkers.
import { describe, expect, test } from "vitest";
import type { EnergyDiagnostic } from "../src/editor/diagnostic.js";
import { type TypeCheckEvents, createTypeCheckClient, describeWorkerError } from "../src/editor/type-check-client.js";
import { type TypeCheckReply, type TypeCheckRequest, type TypeCheckTiming, createTypeCheckResponder } from "../src/editor/type-check-protocol.js";
import type { TypeChecker } from "../src/editor/type-check.js";
import { loadTypeChecker } from "../src/editor/type-files.js";

const TIMING: TypeCheckTiming = { where: "worker", loadMs: 0, checkMs: 1, checkStartedAt: 0, checkEndedAt: 1 };
const diagnostic = (message: string): EnergyDiagnostic => ({ line: 1, column: 1, kind: "type", message });

/** A port that records what it is sent and lets the test answer, fail or throw on start. */
function fakePort(options: { throwOnStart?: string } = {}) {
  const sent: TypeCheckRequest[] = [];
  let events: TypeCheckEvents | undefined;
  let starts = 0;
  let stops = 0;
  const start = (e: TypeCheckEvents) => {
    starts++;
    if (options.throwOnStart) throw new Error(options.throwOnStart);
    events = e;
    return { send: (request: TypeCheckRequest) => void sent.push(request), stop: () => void stops++ };
  };
  return {
    start,
    sent,
    starts: () => starts,
    stops: () => stops,
    /** Answers request `id` with one diagnostic whose message is that request's source. */
    answer: (id: number) => events!.reply({ id, ok: true, diagnostics: [diagnostic(sent.find((r) => r.id === id)!.source)], timing: TIMING }),
    reply: (reply: TypeCheckReply) => events!.reply(reply),
    fail: (reason: string) => events!.fail(reason),
  };
}

/** Lets promise callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * How a check's promise stands once pending callbacks have run: its value, its error's message,
 * or "pending". (Awaiting the promise itself would hang, not fail, were the client to drop it.)
 */
async function outcome<T>(promise: Promise<T>): Promise<{ value: T } | { error: string } | "pending"> {
  let state: { value: T } | { error: string } | "pending" = "pending";
  promise.then(
    (value) => (state = { value }),
    (error: unknown) => (state = { error: error instanceof Error ? error.message : String(error) }),
  );
  await settle();
  return state;
}

describe("the page's type-check client", () => {
  test("starts its worker on the first check, not before, and hands each answer to its own check", async () => {
    const port = fakePort();
    const client = createTypeCheckClient(port.start);
    expect(port.starts()).toBe(0);
    const first = client.check("a");
    expect(port.starts()).toBe(1);
    expect(port.sent).toEqual([{ id: 1, source: "a" }]);
    port.answer(1);
    expect(await first).toEqual({ diagnostics: [diagnostic("a")], timing: TIMING });
    const second = client.check("b");
    expect(port.sent.at(-1)).toEqual({ id: 2, source: "b" });
    port.answer(2);
    expect((await second)?.diagnostics).toEqual([diagnostic("b")]);
    expect(port.starts()).toBe(1);
  });

  test("a burst of checks while one is in flight sends only the newest next; the replaced ones resolve as superseded", async () => {
    const port = fakePort();
    const client = createTypeCheckClient(port.start);
    const a = client.check("a");
    const b = client.check("b");
    const c = client.check("c");
    const d = client.check("d");
    expect(await outcome(b)).toEqual({ value: undefined });
    expect(await outcome(c)).toEqual({ value: undefined });
    expect(await outcome(d)).toBe("pending");
    expect(port.sent.map((r) => r.source)).toEqual(["a"]);
    port.answer(1);
    expect(await outcome(a)).toEqual({ value: { diagnostics: [diagnostic("a")], timing: TIMING } });
    expect(port.sent.map((r) => r.source)).toEqual(["a", "d"]);
    port.answer(2);
    expect(await outcome(d)).toEqual({ value: { diagnostics: [diagnostic("d")], timing: TIMING } });
  });

  test("a reply for an id not in flight is ignored, not given to the check waiting", async () => {
    const port = fakePort();
    const client = createTypeCheckClient(port.start);
    const a = client.check("a");
    port.reply({ id: 7, ok: true, diagnostics: [diagnostic("not a's")], timing: TIMING });
    expect(await outcome(a)).toBe("pending");
    port.answer(1);
    expect(await outcome(a)).toEqual({ value: { diagnostics: [diagnostic("a")], timing: TIMING } });
  });

  test("a worker that could not load the compiler refuses that check with its reason; the next check is still asked", async () => {
    const port = fakePort();
    const client = createTypeCheckClient(port.start);
    const a = client.check("a");
    port.reply({ id: 1, ok: false, error: "loading the TypeScript compiler failed: no lib.es2022.d.ts" });
    expect(await outcome(a)).toEqual({ error: "loading the TypeScript compiler failed: no lib.es2022.d.ts" });
    const b = client.check("b");
    expect(port.sent.at(-1)).toEqual({ id: 2, source: "b" });
    port.answer(2);
    expect((await b)?.diagnostics).toEqual([diagnostic("b")]);
  });

  test("a worker that fails before answering rejects the check in flight and the one waiting with why, and every later check at once", async () => {
    const port = fakePort();
    const client = createTypeCheckClient(port.start);
    const a = client.check("a");
    const b = client.check("b");
    port.fail("its script could not be loaded or run");
    const expected = "the type-check worker failed before its first answer: its script could not be loaded or run";
    // Both observed at once: b's rejection must have a handler before outcome(a) waits a tick.
    expect(await Promise.all([outcome(a), outcome(b)])).toEqual([{ error: expected }, { error: expected }]);
    expect(port.stops()).toBe(1);
    expect(await outcome(client.check("c"))).toEqual({ error: expected });
    expect(port.starts()).toBe(1);
    expect(port.sent).toHaveLength(1);
  });

  test("a worker that stops after answering says it stopped", async () => {
    const port = fakePort();
    const client = createTypeCheckClient(port.start);
    const a = client.check("a");
    port.answer(1);
    await a;
    const b = client.check("b");
    port.fail("Uncaught RangeError: Maximum call stack size exceeded");
    expect(await outcome(b)).toEqual({ error: "the type-check worker stopped: Uncaught RangeError: Maximum call stack size exceeded" });
  });

  test("a worker that cannot be created is reported with the reason, once, without trying again per check", async () => {
    const port = fakePort({ throwOnStart: "Worker is not defined" });
    const client = createTypeCheckClient(port.start);
    await expect(client.check("a")).rejects.toThrow("the type-check worker could not be started: Worker is not defined");
    await expect(client.check("b")).rejects.toThrow("the type-check worker could not be started: Worker is not defined");
    expect(port.starts()).toBe(1);
  });

  test("dispose stops the worker; checks still waiting resolve as superseded and later ones are refused", async () => {
    const port = fakePort();
    const client = createTypeCheckClient(port.start);
    const a = client.check("a");
    const b = client.check("b");
    client.dispose();
    expect(await outcome(a)).toEqual({ value: undefined });
    expect(await outcome(b)).toEqual({ value: undefined });
    expect(port.stops()).toBe(1);
    expect(await outcome(client.check("c"))).toEqual({ error: "type checking was stopped (the editor was closed)" });
  });

  test("a worker's error event in words: the uncaught error's message and place, or that the script did not load", () => {
    const uncaught = Object.assign(new Event("error"), { message: "Uncaught Error: boom", filename: "http://localhost/w.js", lineno: 3 });
    expect(describeWorkerError(uncaught)).toBe("Uncaught Error: boom (http://localhost/w.js:3)");
    expect(describeWorkerError(new Event("error"))).toBe("its script could not be loaded or run");
  });
});

describe("the worker's responder", () => {
  test("loads the checker on the first request only and answers each with its diagnostics and timing", async () => {
    let loads = 0;
    const respond = createTypeCheckResponder(async () => {
      loads++;
      return (source) => [diagnostic(source)];
    });
    expect(loads).toBe(0);
    const first = await respond({ id: 1, source: "a" });
    const second = await respond({ id: 2, source: "b" });
    expect(loads).toBe(1);
    expect(first).toMatchObject({ id: 1, ok: true, diagnostics: [diagnostic("a")], timing: { where: "page" } });
    expect(second).toMatchObject({ id: 2, ok: true, diagnostics: [diagnostic("b")], timing: { where: "page", loadMs: 0 } });
    if (!second.ok) throw new Error("unreachable");
    expect(second.timing.checkEndedAt).toBeGreaterThanOrEqual(second.timing.checkStartedAt);
  });

  test("a compiler that fails to load is every request's answer, with the reason, loaded once", async () => {
    let loads = 0;
    const respond = createTypeCheckResponder(() => {
      loads++;
      return Promise.reject(new Error("type checking: the sources of @unfold/core (/unfold/core/src/index.ts) were not bundled"));
    });
    const expected = { ok: false, error: "loading the TypeScript compiler failed: type checking: the sources of @unfold/core (/unfold/core/src/index.ts) were not bundled" };
    expect(await respond({ id: 1, source: "a" })).toEqual({ id: 1, ...expected });
    expect(await respond({ id: 2, source: "b" })).toEqual({ id: 2, ...expected });
    expect(loads).toBe(1);
  });

  test("a check that throws is that request's answer, and the next request is checked", async () => {
    const check: TypeChecker = (source) => {
      if (source === "bad") throw new Error("Debug Failure. False expression");
      return [];
    };
    const respond = createTypeCheckResponder(async () => check);
    expect(await respond({ id: 1, source: "bad" })).toEqual({ id: 1, ok: false, error: "the TypeScript compiler failed on this source: Debug Failure. False expression" });
    expect(await respond({ id: 2, source: "good" })).toMatchObject({ id: 2, ok: true, diagnostics: [] });
  });

  test("over the real checker: a name that does not exist comes back at its line and column", async () => {
    const respond = createTypeCheckResponder(loadTypeChecker);
    const source = 'import { ops, type Tensor } from "@unfold/core";\nexport const f = (x: Tensor): Tensor => ops.mul(x, y);\n';
    const reply = await respond({ id: 1, source });
    expect(reply).toMatchObject({ id: 1, ok: true, diagnostics: [{ line: 2, column: source.split("\n")[1]!.indexOf("y)") + 1, kind: "type", message: "Cannot find name 'y'." }] });
    if (reply.ok) console.log(`responder, real checker: compiler loaded in ${reply.timing.loadMs.toFixed(0)} ms, first check ${reply.timing.checkMs.toFixed(0)} ms`);
  });
});
