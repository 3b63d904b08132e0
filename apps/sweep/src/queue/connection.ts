import { Redis, type RedisOptions } from "ioredis";

/** The environment variable a Redis password comes from; a password never goes on the command line. */
export const PASSWORD_ENV = "UNFOLD_REDIS_PASSWORD";

/** Where the queue lives, parsed from `--queue`: everything ioredis needs, and how messages show it. */
export interface QueueAddress {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  /** From UNFOLD_REDIS_PASSWORD; never printed (see `shown`). */
  readonly password?: string;
  /** rediss://: TLS. */
  readonly tls: boolean;
  /** The address for messages: scheme, user, host, port and db, a password shown as `***`. */
  readonly shown: string;
}

const DEFAULT_PORT = 6379;

/**
 * Parses `--queue redis://[USER@]HOST[:PORT][/DB]` (or rediss:// for TLS). A password is taken
 * from the UNFOLD_REDIS_PASSWORD environment variable: a URL that carries one is refused, since
 * every user of the machine can read a process's command line, and the refusal does not repeat it.
 */
export function parseQueueUrl(value: string | boolean | undefined, env: NodeJS.ProcessEnv = process.env, flag = "--queue"): QueueAddress {
  if (typeof value !== "string" || value.trim() === "") throw new Error(`${flag} needs a Redis URL: redis://HOST:PORT`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${flag}: '${maskUrlText(value)}' is not a URL; give redis://HOST:PORT`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new Error(`${flag}: '${maskUrlText(value)}' is not a Redis URL (${url.protocol.replace(/:$/, "")}); give redis://HOST:PORT or rediss://HOST:PORT`);
  if (url.password !== "") {
    throw new Error(`${flag}: the URL carries a password, which the process list would show to every user of the machine; remove it from the URL and put it in the ${PASSWORD_ENV} environment variable`);
  }
  if (url.hostname === "") throw new Error(`${flag}: '${value}' names no host; give redis://HOST:PORT`);
  if (url.search !== "" || url.hash !== "") throw new Error(`${flag}: the URL has a query or fragment (not shown: it may hold a password), which a Redis URL does not take; give redis://HOST:PORT[/DB]`);
  const port = url.port === "" ? DEFAULT_PORT : Number(url.port);
  const dbText = url.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^\d{1,2}$/.test(dbText)) throw new Error(`${flag}: the database '/${dbText}' in '${value}' is not a number from 0 to 99`);
  const db = dbText === "" ? 0 : Number(dbText);
  const password = env[PASSWORD_ENV];
  if (password !== undefined && password === "") throw new Error(`${PASSWORD_ENV} is set but empty; unset it for a Redis without a password`);
  const username = url.username === "" ? undefined : decodeURIComponent(url.username);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const shown = `${url.protocol}//${username !== undefined ? `${encodeURIComponent(username)}${password !== undefined ? ":***" : ""}@` : password !== undefined ? ":***@" : ""}${url.host.replace(/:\d+$/, "")}:${port}${db !== 0 ? `/${db}` : ""}`;
  return { host, port, db, tls: url.protocol === "rediss:", shown, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

/** A URL-like text with everything before its last `@` (after the scheme) replaced by ***, for a message about a value that did not parse. */
export function maskUrlText(text: string): string {
  const at = text.lastIndexOf("@");
  if (at < 0) return text;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? "";
  return `${scheme}***${text.slice(at)}`;
}

/** Removes the password from a message that might quote it (an error from the Redis client, say). */
export function scrubPassword(message: string, address: QueueAddress): string {
  return address.password === undefined ? message : message.split(address.password).join("***");
}

/** How long to wait between reconnection tries: quick at first, then every two seconds, forever. */
const reconnectDelay = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);

/**
 * A Redis connection for BullMQ. Commands wait (rather than fail) while Redis is away, as BullMQ
 * asks of its workers (maxRetriesPerRequest: null), and the client reconnects on its own: a
 * sweep outlives a Redis restart.
 */
export function connect(address: QueueAddress, name: string, onError: (message: string) => void = () => {}): Redis {
  const options: RedisOptions = {
    host: address.host,
    port: address.port,
    db: address.db,
    connectionName: name,
    maxRetriesPerRequest: null,
    retryStrategy: reconnectDelay,
    lazyConnect: false,
    ...(address.username !== undefined ? { username: address.username } : {}),
    ...(address.password !== undefined ? { password: address.password } : {}),
    ...(address.tls ? { tls: {} } : {}),
  };
  const redis = new Redis(options);
  // Without a listener ioredis prints each failed reconnection itself; the caller decides what to show.
  redis.on("error", (error: Error) => onError(scrubPassword(error.message, address)));
  return redis;
}

/**
 * Connects and checks that Redis answers within `timeoutMs`, so a wrong address or password is
 * one clear error instead of a command that waits forever. The message names the address as
 * shown (no password) and what went wrong.
 */
export async function connectChecked(address: QueueAddress, name: string, options: { flag?: string; timeoutMs?: number; onError?: (message: string) => void } = {}): Promise<Redis> {
  const { flag = "--queue", timeoutMs = 10_000 } = options;
  const redis = connect(address, name, options.onError);
  let lastError: Error | undefined;
  let refuse: (error: Error) => void = () => {};
  const onError = (error: Error): void => {
    lastError = error;
    // A wrong password, or no server at that address, does not get better by reconnecting: say so at once.
    if (/WRONGPASS|NOAUTH|NOPERM|invalid password|ECONNREFUSED|ENOTFOUND|EAI_AGAIN/i.test(error.message)) refuse(error);
  };
  redis.on("error", onError);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        refuse = reject;
        timer = setTimeout(() => reject(new Error(lastError ? lastError.message : `no answer in ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    redis.disconnect();
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${flag}: cannot reach Redis at ${address.shown}: ${scrubPassword(why, address)}`);
  } finally {
    clearTimeout(timer);
    redis.off("error", onError);
  }
  return redis;
}
