import { fromBase64Url, toBase64Url } from "./base64url.js";

/** A JSON value, as the settings of a shared energy are. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** What a share link carries: the energy's source and the page's settings (step sizes, layers...). */
export interface Share {
  readonly source: string;
  readonly settings: { readonly [key: string]: JsonValue };
}

/** The version this page writes and reads; a link of another version is refused, never guessed at. */
export const SHARE_VERSION = 1;

/** The longest fragment read (characters): longer than any browser keeps reliably in a URL. */
export const MAX_FRAGMENT_CHARS = 64 * 1024;

/** The most bytes a fragment may expand to: a bound on what a small link can make the page inflate. */
export const MAX_SHARE_BYTES = 512 * 1024;

/** The encodings of the payload: "z", deflate-raw (CompressionStream); "j", the plain UTF-8 JSON. */
type Encoding = "z" | "j";

const FIELDS = ["source", "settings"];

/**
 * The fragment (without '#') that carries `share`: "v1.z.<base64url of deflate-raw JSON>", or
 * "v1.j.<base64url of JSON>" where the page has no CompressionStream (or `compress` is false).
 */
export async function encodeShare(share: Share, options: { readonly compress?: boolean } = {}): Promise<string> {
  checkShare(share);
  checkJson(share.settings, "settings");
  const json = new TextEncoder().encode(JSON.stringify({ source: share.source, settings: share.settings }));
  const compress = (options.compress ?? true) && typeof CompressionStream === "function";
  const encoding: Encoding = compress ? "z" : "j";
  const payload = compress ? await streamThrough(json, new CompressionStream("deflate-raw"), Infinity) : json;
  const fragment = `v${SHARE_VERSION}.${encoding}.${toBase64Url(payload)}`;
  if (fragment.length > MAX_FRAGMENT_CHARS) throw new ShareError(`the energy is too long to share: its link would be ${fragment.length} characters, over the ${MAX_FRAGMENT_CHARS} a link may have`);
  return fragment;
}

/** Why a fragment is not a share this page can read. Every message starts "share link: ". */
export class ShareError extends Error {
  constructor(detail: string) {
    super(`share link: ${detail}`);
    this.name = "ShareError";
  }
}

/** The share a fragment (with or without its '#') carries; a ShareError saying what is wrong with it otherwise. */
export async function decodeShare(fragment: string): Promise<Share> {
  const text = fragment.startsWith("#") ? fragment.slice(1) : fragment;
  if (text.length > MAX_FRAGMENT_CHARS) throw new ShareError(`${text.length} characters is too long (at most ${MAX_FRAGMENT_CHARS})`);
  const parts = text.split(".");
  const version = /^v(\d+)$/.exec(parts[0] ?? "");
  if (!version || parts.length !== 3) throw new ShareError(`'${abbreviate(text)}' is not 'v${SHARE_VERSION}.<encoding>.<data>'`);
  if (Number(version[1]) !== SHARE_VERSION) throw new ShareError(`version ${version[1]} is not one this page reads (it reads version ${SHARE_VERSION}); open the link with the studio that made it`);
  const encoding = parts[1]!;
  if (encoding !== "z" && encoding !== "j") throw new ShareError(`encoding '${abbreviate(encoding)}' is not 'z' (deflate-raw) or 'j' (plain JSON)`);

  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(parts[2]!);
  } catch (error) {
    throw new ShareError((error as Error).message);
  }
  if (encoding === "z") {
    if (typeof DecompressionStream !== "function") throw new ShareError("it is compressed, and this browser has no DecompressionStream to read it");
    bytes = await streamThrough(bytes, new DecompressionStream("deflate-raw"), MAX_SHARE_BYTES).catch((error: unknown) => {
      if (error instanceof ShareError) throw error;
      throw new ShareError(`its data is not deflate-raw data (${error instanceof Error ? error.message : String(error)})`);
    });
  }
  // Plain data needs no bound of its own: MAX_FRAGMENT_CHARS of base64 is under MAX_SHARE_BYTES.

  let json: string;
  try {
    json = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ShareError("its data is not UTF-8 text");
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ShareError(`its data is not JSON (${(error as Error).message})`);
  }
  return checkShare(value);
}

/** A share's fields, checked: an object with a string `source` and an object `settings`, nothing else. */
function checkShare(value: unknown): Share {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ShareError(`its data is ${describeJson(value)}, not an object with 'source' and 'settings'`);
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).filter((k) => !FIELDS.includes(k));
  if (extra.length > 0) throw new ShareError(`field ${extra.map((k) => `'${k}'`).join(", ")} is not one a share has (it has 'source' and 'settings')`);
  if (typeof record["source"] !== "string") throw new ShareError(`'source' is ${describeJson(record["source"])}, not a string`);
  const settings = record["settings"];
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) throw new ShareError(`'settings' is ${describeJson(settings)}, not an object`);
  return record as unknown as Share;
}

/**
 * Refuses a value JSON would not carry as it is: JSON.stringify drops undefined and functions and
 * writes NaN and Infinity as null, so the link would open with other settings than were shared.
 */
function checkJson(value: unknown, path: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ShareError(`'${path}' is ${value}, which a link cannot carry (JSON has only finite numbers)`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkJson(item, `${path}[${i}]`));
    return;
  }
  if (typeof value === "object" && [Object.prototype, null].includes(Object.getPrototypeOf(value) as object | null)) {
    for (const [key, item] of Object.entries(value)) checkJson(item, `${path}.${key}`);
    return;
  }
  throw new ShareError(`'${path}' is ${value === undefined ? "undefined" : typeof value === "object" ? "an object of a class" : `a ${typeof value}`}, which a link cannot carry (only JSON values)`);
}

function describeJson(value: unknown): string {
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${abbreviate(JSON.stringify(value))}`;
}

/** Text cut to a length a message can quote. */
function abbreviate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Bytes through a (de)compression stream; a ShareError once the output passes `limit` bytes. */
async function streamThrough(input: Uint8Array, stream: CompressionStream | DecompressionStream, limit: number): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // The write's own promise rejects with the stream's error too; the read loop reports it.
  writer.write(input as Uint8Array<ArrayBuffer>).catch(() => undefined);
  writer.close().catch(() => undefined);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new ShareError(`its data expands past the ${limit} bytes a share may have`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
