/**
 * A file or directory a command was told to write cannot be written. The message names what
 * the user gave (a flag such as `--out`, or a config field) and the path, so the mistake is
 * reported where it was made rather than as a bare errno from deep inside a save.
 */
export class OutputError extends Error {
  override readonly name = "OutputError";
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EEXIST: "already exists",
  EISDIR: "is a directory",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
  EINVAL: "invalid path",
};

/** A short human reason for a file-system error, with its code ("read-only file system (EROFS)"). */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return `${REASONS[code] ?? "failed"} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

export function fsErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Runs a write of `path`, which the user named through `label` (`--out`, `--plot`), turning a
 * file-system failure (a full disk, a folder removed meanwhile) into an OutputError naming them;
 * other errors pass through. Works for synchronous and asynchronous writes alike.
 */
export function writingTo<T>(label: string, path: string, write: () => T): T {
  const blame = (error: unknown): never => {
    if (fsErrorCode(error) === undefined) throw error;
    throw new OutputError(`${label}: cannot write '${path}': ${describeFsError(error)}`, { cause: error });
  };
  try {
    const result = write();
    return (result instanceof Promise ? result.catch(blame) : result) as T;
  } catch (error) {
    return blame(error);
  }
}
