/**
 * MD5-crypt (`$1$salt$hash`), the scheme Poul-Henning Kamp wrote for FreeBSD in 1994 and still found on many embedded
 * Linux images. Implemented from the published algorithm: an initial digest mixing password, magic and salt, then
 * 1000 rounds that alternate password, salt and the previous digest, so each guess costs 1000 MD5 computations.
 */
import { createHash } from "node:crypto";
import { encode24, isCryptBase64, passwordBytes, sameText } from "./b64.ts";
import { saltProblem } from "./salt.ts";

const MAGIC = "$1$";
const MAX_SALT = 8;

export interface Md5CryptHash {
  salt: string;
  /** The 22-character encoded digest. */
  digest: string;
}

export function parseMd5Crypt(hash: string): Md5CryptHash | { error: string } {
  if (!hash.startsWith(MAGIC)) return { error: "does not start with $1$" };
  const rest = hash.slice(MAGIC.length);
  const sep = rest.indexOf("$");
  if (sep < 0) return { error: "is an MD5-crypt salt without a hash ($1$salt$ followed by 22 characters)" };
  const salt = rest.slice(0, sep);
  const digest = rest.slice(sep + 1);
  const bad = saltProblem(salt, MAX_SALT);
  if (bad) return { error: `is an MD5-crypt hash that ${bad}` };
  if (digest.length !== 22 || !isCryptBase64(digest)) return { error: "is an MD5-crypt hash whose hash part is not 22 characters of ./0-9A-Za-z" };
  return { salt, digest };
}

/** The 22-character encoded MD5-crypt digest of `password` under `salt`. */
export function md5CryptDigest(password: string, salt: string): string {
  const pw = passwordBytes(password);
  const s = Buffer.from(salt.slice(0, MAX_SALT), "latin1");
  const md5 = () => createHash("md5");

  const alternate = md5().update(pw).update(s).update(pw).digest();
  const initial = md5().update(pw).update(MAGIC).update(s);
  for (let left = pw.length; left > 0; left -= 16) initial.update(alternate.subarray(0, Math.min(16, left)));
  // One step per bit of the password length: a zero byte for a set bit, the first password byte for a clear one.
  for (let bits = pw.length; bits > 0; bits >>>= 1) initial.update(bits & 1 ? Buffer.alloc(1) : pw.subarray(0, 1));
  let d = initial.digest();

  for (let i = 0; i < 1000; i++) {
    const h = md5();
    h.update(i & 1 ? pw : d);
    if (i % 3 !== 0) h.update(s);
    if (i % 7 !== 0) h.update(pw);
    h.update(i & 1 ? d : pw);
    d = h.digest();
  }

  return (
    encode24(d[0]!, d[6]!, d[12]!, 4) +
    encode24(d[1]!, d[7]!, d[13]!, 4) +
    encode24(d[2]!, d[8]!, d[14]!, 4) +
    encode24(d[3]!, d[9]!, d[15]!, 4) +
    encode24(d[4]!, d[10]!, d[5]!, 4) +
    encode24(0, 0, d[11]!, 2)
  );
}

export function md5Crypt(password: string, salt: string): string {
  const s = salt.slice(0, MAX_SALT);
  return `${MAGIC}${s}$${md5CryptDigest(password, s)}`;
}

export function verifyMd5Crypt(password: string, h: Md5CryptHash): boolean {
  return sameText(md5CryptDigest(password, h.salt), h.digest);
}
