/**
 * Traditional DES crypt(3): 13 characters, a 2-character salt then 11 of hash. The first 8 password bytes (7 bits
 * each) form a DES key that encrypts a zero block 25 times; the 12-bit salt swaps pairs of entries in the expansion
 * table so the same password gives 4096 different hashes. Passwords longer than 8 characters are silently cut, and
 * that is faithful: a device with this hash accepts any password that shares the first 8 characters.
 */
import { CRYPT_ALPHABET, cryptCharValue, isCryptBase64, passwordBytes, sameText } from "./b64.ts";
import { E0, encryptBlock, keySchedule } from "./des.ts";

export interface DesCryptHash {
  salt: string;
  digest: string;
}

export function parseDesCrypt(hash: string): DesCryptHash | { error: string } {
  if (hash.length === 2 && isCryptBase64(hash)) {
    return { error: "is only a 2-character salt; a traditional DES hash is 13 characters (salt + 11)" };
  }
  if (hash.length !== 13) return { error: "is not 13 characters long, as a traditional DES crypt hash is" };
  if (!isCryptBase64(hash)) return { error: "is a 13-character value with characters outside ./0-9A-Za-z, so not a traditional DES hash" };
  // 64 bits fill 10 characters and 4 bits of the 11th; its two low bits are always zero in a real hash.
  if ((cryptCharValue(hash.charCodeAt(12)) & 3) !== 0) return { error: "is 13 characters but its last character cannot end a DES crypt hash" };
  return { salt: hash.slice(0, 2), digest: hash.slice(2) };
}

/** The 11-character DES crypt digest; `salt` must be 2 characters of the crypt alphabet. */
export function desCryptDigest(password: string, salt: string): string {
  const pw = passwordBytes(password);
  const key = new Uint8Array(64);
  for (let i = 0; i < 8 && i < pw.length; i++) {
    // Each byte's low 7 bits become the top 7 bits of a key byte; the low bit (DES parity) is ignored.
    for (let j = 0; j < 7; j++) key[8 * i + j] = (pw[i]! >> (6 - j)) & 1;
  }
  const keys = keySchedule(key);

  const e = [...E0];
  for (let i = 0; i < 2; i++) {
    const v = cryptCharValue(salt.charCodeAt(i));
    if (v < 0) throw new RangeError("DES crypt salt must be 2 characters of ./0-9A-Za-z");
    for (let j = 0; j < 6; j++) {
      if ((v >> j) & 1) {
        const a = 6 * i + j;
        [e[a], e[a + 24]] = [e[a + 24]!, e[a]!];
      }
    }
  }

  let block: Uint8Array = new Uint8Array(64);
  for (let round = 0; round < 25; round++) block = encryptBlock(block, keys, e);

  let out = "";
  for (let i = 0; i < 11; i++) {
    let c = 0;
    for (let j = 0; j < 6; j++) c = (c << 1) | (block[6 * i + j] ?? 0);
    out += CRYPT_ALPHABET[c];
  }
  return out;
}

export function desCrypt(password: string, salt: string): string {
  return salt + desCryptDigest(password, salt);
}

export function verifyDesCrypt(password: string, h: DesCryptHash): boolean {
  return sameText(desCryptDigest(password, h.salt), h.digest);
}
