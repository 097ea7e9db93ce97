/**
 * SHA-crypt (`$5$` SHA-256, `$6$` SHA-512), implemented from Ulrich Drepper's published specification "Unix crypt
 * using SHA-256 and SHA-512". The cost is the `rounds=` count (5000 when absent); libxcrypt accepts 1000–999,999,999
 * written without leading zeros, and so do we, so a hash it would refuse is reported as invalid rather than guessed at.
 */
import { createHash } from "node:crypto";
import { encode24, isCryptBase64, passwordBytes, sameText } from "./b64.ts";
import { saltProblem } from "./salt.ts";

export type ShaVariant = "sha256" | "sha512";

export const DEFAULT_ROUNDS = 5000;
export const MIN_ROUNDS = 1000;
export const MAX_ROUNDS = 999_999_999;
const MAX_SALT = 16;
const ROUNDS_PREFIX = "rounds=";

const VARIANTS = {
  sha256: { magic: "$5$", size: 32, encodedLength: 43 },
  sha512: { magic: "$6$", size: 64, encodedLength: 86 },
} as const;

/**
 * Byte order of the final encoding: each triple is written as one 24-bit group of 4 characters (the specification's
 * table, spread so that neighbouring output characters depend on distant digest bytes); the leftover bytes go last.
 */
const ORDER: Record<ShaVariant, { groups: readonly (readonly [number, number, number])[]; tail: readonly [number, number, number]; tailChars: number }> = {
  sha256: {
    groups: [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]],
    tail: [-1, 31, 30],
    tailChars: 3,
  },
  sha512: {
    groups: [
      [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
      [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
    ],
    tail: [-1, -1, 63],
    tailChars: 2,
  },
};

export interface ShaCryptHash {
  variant: ShaVariant;
  rounds: number;
  /** Whether `rounds=` was written; it is part of the hash text, so a re-computation must write it the same way. */
  explicitRounds: boolean;
  salt: string;
  digest: string;
}

export function parseShaCrypt(hash: string): ShaCryptHash | { error: string } {
  const variant: ShaVariant | undefined = hash.startsWith("$5$") ? "sha256" : hash.startsWith("$6$") ? "sha512" : undefined;
  if (variant === undefined) return { error: "does not start with $5$ or $6$" };
  const { magic, encodedLength } = VARIANTS[variant];
  const name = variant === "sha256" ? "SHA-256-crypt ($5$)" : "SHA-512-crypt ($6$)";
  let rest = hash.slice(magic.length);
  let rounds = DEFAULT_ROUNDS;
  let explicitRounds = false;
  if (rest.startsWith(ROUNDS_PREFIX)) {
    const end = rest.indexOf("$");
    const text = rest.slice(ROUNDS_PREFIX.length, end < 0 ? undefined : end);
    if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) < MIN_ROUNDS || Number(text) > MAX_ROUNDS) {
      return { error: `is a ${name} hash whose rounds= is not a number from ${MIN_ROUNDS} to ${MAX_ROUNDS} (without leading zeros)` };
    }
    rounds = Number(text);
    explicitRounds = true;
    rest = end < 0 ? "" : rest.slice(end + 1);
  }
  const sep = rest.indexOf("$");
  if (sep < 0) return { error: `is a ${name} salt without a hash` };
  const salt = rest.slice(0, sep);
  const digest = rest.slice(sep + 1);
  const bad = saltProblem(salt, MAX_SALT);
  if (bad) return { error: `is a ${name} hash that ${bad}` };
  if (digest.length !== encodedLength || !isCryptBase64(digest)) {
    return { error: `is a ${name} hash whose hash part is not ${encodedLength} characters of ./0-9A-Za-z` };
  }
  return { variant, rounds, explicitRounds, salt, digest };
}

/** Repeats `block` to exactly `length` bytes (the specification's "P sequence" and "S sequence"). */
function stretch(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

/** The encoded SHA-crypt digest of `password` with the given variant, salt and rounds. */
export function shaCryptDigest(variant: ShaVariant, password: string, salt: string, rounds: number): string {
  const { size } = VARIANTS[variant];
  const hash = () => createHash(variant);
  const p = passwordBytes(password);
  const s = Buffer.from(salt.slice(0, MAX_SALT), "latin1");

  const b = hash().update(p).update(s).update(p).digest();
  const a = hash().update(p).update(s);
  for (let left = p.length; left > 0; left -= size) a.update(b.subarray(0, Math.min(size, left)));
  // One step per bit of the password length: digest B for a set bit, the password for a clear one.
  for (let bits = p.length; bits > 0; bits >>>= 1) a.update(bits & 1 ? b : p);
  let c = a.digest();

  const dp = hash();
  for (let i = 0; i < p.length; i++) dp.update(p);
  const pSeq = stretch(dp.digest(), p.length);
  const ds = hash();
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(s);
  const sSeq = stretch(ds.digest(), s.length);

  for (let i = 0; i < rounds; i++) {
    const h = hash();
    h.update(i & 1 ? pSeq : c);
    if (i % 3 !== 0) h.update(sSeq);
    if (i % 7 !== 0) h.update(pSeq);
    h.update(i & 1 ? c : pSeq);
    c = h.digest();
  }

  const { groups, tail, tailChars } = ORDER[variant];
  let out = "";
  for (const [x, y, z] of groups) out += encode24(c[x]!, c[y]!, c[z]!, 4);
  const byte = (i: number) => (i < 0 ? 0 : c[i]!);
  return out + encode24(byte(tail[0]), byte(tail[1]), byte(tail[2]), tailChars);
}

/** A full SHA-crypt hash string; `rounds` undefined writes the default without `rounds=`, as crypt(3) does. */
export function shaCrypt(variant: ShaVariant, password: string, salt: string, rounds?: number): string {
  const s = salt.slice(0, MAX_SALT);
  const r = rounds ?? DEFAULT_ROUNDS;
  const prefix = VARIANTS[variant].magic + (rounds !== undefined ? `${ROUNDS_PREFIX}${r}$` : "");
  return `${prefix}${s}$${shaCryptDigest(variant, password, s, r)}`;
}

export function verifyShaCrypt(password: string, h: ShaCryptHash): boolean {
  return sameText(shaCryptDigest(h.variant, password, h.salt, h.rounds), h.digest);
}
