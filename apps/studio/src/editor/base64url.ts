/** Base64url (RFC 4648 section 5) without padding: what a URL fragment carries unescaped. */

const ALPHABET = /^[A-Za-z0-9_-]*$/;

/** Bytes as base64url text. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The bytes of base64url text; an error naming the first character that is not base64url, or a length no encoding has. */
export function fromBase64Url(text: string): Uint8Array {
  if (!ALPHABET.test(text)) {
    const at = [...text].findIndex((c) => !/[A-Za-z0-9_-]/.test(c));
    throw new Error(`its data is not base64url: character ${JSON.stringify(text[at])} at position ${at + 1}`);
  }
  if (text.length % 4 === 1) throw new Error(`its data is not base64url: ${text.length} characters is a length no encoding has (cut short?)`);
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
