// Fetches the digits file the build wrote beside index.html.
import { type PageDigits, decodeDigits } from "./digits-format.js";
import { DIGITS_FILE } from "./digits-file.js";

let pageDigits: Promise<PageDigits> | undefined;

/**
 * The build's digits, fetched once per page: the training view and the descent's digit picker
 * share one download (2 MB). A failed fetch is not kept, so a later call tries again.
 */
export function fetchPageDigits(): Promise<PageDigits> {
  pageDigits ??= downloadDigits().catch((error: unknown) => {
    pageDigits = undefined;
    throw error;
  });
  return pageDigits;
}

async function downloadDigits(): Promise<PageDigits> {
  const url = new URL(DIGITS_FILE, document.baseURI);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${DIGITS_FILE}: the server answered ${response.status} ${response.statusText} for ${url.href}`);
  return decodeDigits(new Uint8Array(await response.arrayBuffer()), DIGITS_FILE);
}
