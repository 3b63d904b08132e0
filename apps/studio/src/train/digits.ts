// Fetches the digits file the build wrote beside index.html.
import { type PageDigits, decodeDigits } from "./digits-format.js";
import { DIGITS_FILE } from "./digits-file.js";

export async function fetchPageDigits(): Promise<PageDigits> {
  const url = new URL(DIGITS_FILE, document.baseURI);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${DIGITS_FILE}: the server answered ${response.status} ${response.statusText} for ${url.href}`);
  return decodeDigits(new Uint8Array(await response.arrayBuffer()), DIGITS_FILE);
}
