import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { tempPathFor } from "./atomic.js";
import { OutputError, describeFsError, fsErrorCode } from "./errors.js";

/** The lock file's name inside a locked directory. */
export const LOCK_FILE = ".unfold.lock";

/** Who holds a directory: written as JSON into the lock file. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO time the owner took the lock. */
  readonly startedAt: string;
  /** The owner process's start time in clock ticks since boot (Linux), to tell a reused pid from the owner. */
  readonly processStart?: number;
  readonly command?: string;
}

export interface DirectoryLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still ours; idempotent. Also runs on a normal process exit. */
  release(): void;
  /**
   * Throws (naming the directory and the new owner) if the lock file no longer holds this
   * owner's record: a long run calls it before each save, so that a lock lost to a takeover
   * stops the run instead of letting two writers mix their files.
   */
  verify(): void;
}

export interface LockOptions {
  /** What the user gave for the directory (`--out`), for the messages. */
  readonly label: string;
  /** A one-line description of the owner, shown to a second writer ("unfold train --config quick"). */
  readonly command?: string;
  /** Told when a stale lock (its owner is dead) is taken over. */
  readonly onReclaim?: (message: string) => void;
  /** Called between finding a stale lock and taking it over: where the tests let a competitor in. */
  readonly beforeTakeover?: () => void;
}

/**
 * Takes the exclusive writer's lock on `dir` (which must exist): one run per output directory.
 *
 * The lock is a file created with O_EXCL holding the owner's pid, host and start time. A second
 * writer gets an error naming the directory and the owner. A lock left by a dead process on this
 * host (a SIGKILL, a power loss) is detected by its pid (and, on Linux, the pid's start time, so
 * a reused pid is not mistaken for the owner) and taken over with a message. A lock from another
 * host cannot be checked and is never taken over. Written by hand rather than with a lockfile
 * library: those judge staleness by a heartbeat on the file's mtime, which a long synchronous
 * training step would miss, handing the directory to a second writer while the first still runs.
 */
export function lockDirectory(dir: string, options: LockOptions): DirectoryLock {
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    ...(processStartTicks(process.pid) !== undefined ? { processStart: processStartTicks(process.pid)! } : {}),
    ...(options.command ? { command: options.command } : {}),
  };
  const text = `${JSON.stringify(owner)}\n`;
  for (let attempt = 0; attempt < 8; attempt++) {
    if (tryCreate(path, text, options.label, dir)) return held(path, owner, text);
    const current = readOwner(path);
    if (current === "gone") continue; // released between our open and our read: try again
    if (current === "unreadable" || current.host !== hostname()) {
      const who = current === "unreadable" ? "an unreadable lock file" : describeOwner(current);
      throw new OutputError(
        `${options.label}: '${dir}' is locked by ${who}, which cannot be checked from this host; if that run is gone, remove '${path}'`,
      );
    }
    if (isAlive(current)) {
      throw new OutputError(`${options.label}: '${dir}' is in use by ${describeOwner(current)}; wait for it, stop it, or choose another ${options.label}`);
    }
    // Stale: move it aside under a name of our own, so of two processes reclaiming at once only
    // one succeeds; the other finds the lock gone or re-created and starts over.
    options.beforeTakeover?.();
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
    } catch (error) {
      if (fsErrorCode(error) === "ENOENT") continue;
      throw new OutputError(`${options.label}: cannot take over the stale lock '${path}': ${describeFsError(error)}`);
    }
    const moved = readOwner(aside);
    if (moved !== "gone" && moved !== "unreadable" && moved.pid === current.pid && moved.startedAt === current.startedAt) {
      rmSync(aside, { force: true });
      options.onReclaim?.(`${options.label}: took over the lock on '${dir}' left by ${describeOwner(current)}, which is no longer running`);
    } else {
      // We moved a lock someone took in the meantime: put it back, never over a lock a third
      // process made meanwhile (link fails where rename would replace it), and look again. If
      // that third process won, the displaced owner learns it at its next verify().
      try {
        linkSync(aside, path);
      } catch {
        // EEXIST: see above.
      }
      rmSync(aside, { force: true });
    }
  }
  throw new OutputError(`${options.label}: could not lock '${dir}': another process keeps taking and releasing it`);
}

/** "pid 1234 on host h (unfold train ..., since 2026-...)". */
export function describeOwner(owner: LockOwner): string {
  const what = owner.command ? `${owner.command}, ` : "";
  return `pid ${owner.pid} on host ${owner.host} (${what}since ${owner.startedAt})`;
}

/** The owner recorded in `dir`'s lock file, or undefined when it is not locked. */
export function readLock(dir: string): LockOwner | undefined {
  const owner = readOwner(join(dir, LOCK_FILE));
  return owner === "gone" || owner === "unreadable" ? undefined : owner;
}

/**
 * Creates the lock file whole or not at all: the record goes into a temp file first, which is
 * then hard-linked to the lock's name (link fails if the name exists), so no reader ever sees a
 * lock file torn by a crash between its creation and its write.
 */
function tryCreate(path: string, text: string, label: string, dir: string): boolean {
  const temp = tempPathFor(path);
  try {
    const fd = openSync(temp, "wx");
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    linkSync(temp, path);
    return true;
  } catch (error) {
    if (fsErrorCode(error) === "EEXIST") return false;
    throw new OutputError(`${label}: cannot lock '${dir}': ${describeFsError(error)}`);
  } finally {
    rmSync(temp, { force: true });
  }
}

function held(path: string, owner: LockOwner, text: string): DirectoryLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener("exit", release);
    // Only remove the file if it still holds our record: never someone else's lock.
    try {
      if (readFileSync(path, "utf8") === text) rmSync(path, { force: true });
    } catch {
      // Already gone.
    }
  };
  // process.exit() and a normal end run 'exit' listeners, so the lock goes with them; a process
  // killed by a signal's default action (SIGKILL, a second Ctrl-C) leaves it for takeover.
  process.on("exit", release);
  const verify = (): void => {
    if (released) throw new OutputError(`the lock on '${dirname(path)}' was released`);
    let current: string | undefined;
    try {
      current = readFileSync(path, "utf8");
    } catch {
      current = undefined;
    }
    if (current === text) return;
    const other = readOwner(path);
    const who = other === "gone" ? "nobody (the lock file is gone)" : other === "unreadable" ? "an unreadable lock file" : describeOwner(other);
    throw new OutputError(`lost the lock on '${dirname(path)}': it is now held by ${who}; stopping rather than mixing two runs' files`);
  };
  return { path, owner, release, verify };
}

function readOwner(path: string): LockOwner | "gone" | "unreadable" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return fsErrorCode(error) === "ENOENT" ? "gone" : "unreadable";
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === "number" && typeof value.host === "string" && typeof value.startedAt === "string") return value as LockOwner;
  } catch {
    // Not a lock this code wrote (tryCreate never leaves a torn one): the caller refuses.
  }
  return "unreadable";
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if (fsErrorCode(error) !== "EPERM") return false; // ESRCH: no such process
  }
  // The pid exists; on Linux, a different start time means the pid was reused by another process.
  const start = processStartTicks(owner.pid);
  return owner.processStart === undefined || start === undefined || start === owner.processStart;
}

/** Field 22 of /proc/<pid>/stat: the process's start time in clock ticks after boot (Linux only). */
function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}
