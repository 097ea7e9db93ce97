/**
 * The base-64 alphabet and bit packing that crypt(3) schemes share (MD5-crypt, SHA-crypt and traditional DES). It is
 * not RFC 4648 base64: the alphabet starts with `./` and digits, and groups are written least significant 6 bits first.
 */
export const CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < CRYPT_ALPHABET.length; i++) VALUE[CRYPT_ALPHABET.charCodeAt(i)] = i;

/** The 0–63 value of one alphabet character, or -1 for anything else. */
export function cryptCharValue(code: number): number {
  return code < 128 ? VALUE[code]! : -1;
}

export function isCryptBase64(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (cryptCharValue(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** Writes the 24-bit value `(b2 << 16) | (b1 << 8) | b0` as `n` characters, low 6 bits first. */
export function encode24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = "";
  for (let i = 0; i < n; i++) {
    out += CRYPT_ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

/**
 * The password as crypt(3) sees it: its UTF-8 bytes up to the first NUL, because the C interface takes a NUL-terminated
 * string and every implementation stops there.
 */
export function passwordBytes(password: string): Buffer {
  const bytes = Buffer.from(password, "utf8");
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}

/** Compares two encoded hashes without an early exit, so timing does not tell how much of a guess was right. */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
