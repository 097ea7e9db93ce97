/**
 * The service's secrets: API tokens (`lw_` + 256 random bits, base64url), session ids and CSRF tokens (the same
 * shape), and account passwords. The store only ever sees a token's SHA-256 (enough for 256 random bits) and a
 * password's scrypt hash; nothing here logs or returns a secret after handing it out once.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { LongwatchError } from "../../core/errors.ts";

export const TOKEN_PATTERN = /^lw_[A-Za-z0-9_-]{43}$/;

export function sha256Hex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** A new secret: the text to hand out once, a visible prefix and the digest to store. */
export function newSecret(): { secret: string; prefix: string; hash: string } {
  const secret = `lw_${randomBytes(32).toString("base64url")}`;
  return { secret, prefix: secret.slice(0, 10), hash: sha256Hex(secret) };
}

/** Equal-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

// scrypt parameters (RFC 7914; OWASP's minimum is N=2^17 with r=8 — we take N=2^15, r=8, p=1 ≈ 32 MiB, about 50 ms
// here, run on libuv's thread pool so the event loop never waits for it).
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY = 32;
const MAXMEM = 64 * 2 ** 20;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password.normalize("NFC"), salt, KEY, { N: n, r, p, maxmem: MAXMEM }, (e, key) => (e ? reject(e) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  if (password.length < 12) throw new LongwatchError("invalid_input", "a password needs at least 12 characters", { field: "password" });
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

// Checked against when the account does not exist, so a wrong username costs as long as a wrong password.
const DUMMY = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString("base64url")}$${Buffer.alloc(KEY).toString("base64url")}`;

export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parts = (stored ?? DUMMY).split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (!Number.isInteger(n) || n > 2 ** 20 || !Number.isInteger(r) || r > 32 || !Number.isInteger(p) || p > 16) return false;
  const want = Buffer.from(parts[5]!, "base64url");
  const got = await derive(password, Buffer.from(parts[4]!, "base64url"), n, r, p);
  return stored !== undefined && want.length === got.length && timingSafeEqual(want, got);
}
