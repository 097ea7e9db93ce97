/**
 * Password hashes as found on devices (crypt(3) strings from /etc/shadow, firmware images or vendor documentation):
 * recognise the scheme, tell locked accounts apart, explain what is wrong with anything else, and check a candidate
 * password. Nothing here throws on bad input, keeps or logs the passwords it is given, or repeats the input in an
 * error message (a plaintext password pasted into a hash column must not reach a log).
 *
 * `classifyHash` is what an importer needs to accept or reject a `password_hash` cell; `parseHash` additionally gives
 * the cost of one check (for budgets) and a `verify` bound to the parsed hash, so a dictionary run parses once.
 */
import { parseBcrypt, verifyBcrypt } from "./bcrypt.ts";
import { parseDesCrypt, verifyDesCrypt } from "./descrypt.ts";
import { parseMd5Crypt, verifyMd5Crypt } from "./md5crypt.ts";
import { DEFAULT_ROUNDS, parseShaCrypt, verifyShaCrypt } from "./shacrypt.ts";

export const HASH_SCHEMES = ["md5crypt", "sha256crypt", "sha512crypt", "bcrypt", "des"] as const;
export type HashScheme = (typeof HASH_SCHEMES)[number];

export type HashClass = { scheme: HashScheme } | { locked: true } | { error: string };

export interface ParsedHash {
  scheme: HashScheme;
  /** The scheme's work factor as written in the hash: SHA-crypt rounds, bcrypt's log2 cost; 1000 for MD5-crypt, 25 for DES. */
  workFactor: number;
  /** Estimated time of one check in milliseconds on one core of a 2020s server (see COST_MS); used for budgets. */
  costMs: number;
  verify(password: string): boolean;
}

/**
 * Cost of one check per scheme at its default work factor, measured with `npm run bench:crypt` (Node 20, one core of
 * the 2-core development machine; figures in bench/RESULTS.md). Work scales linearly with SHA-crypt rounds and doubles
 * with each bcrypt cost step. Budgets use these estimates rather than wall-clock time, so a scan finds the same things
 * on every machine.
 */
export const COST_MS = { des: 0.5, md5crypt: 2.5, sha256crypt: 12, sha512crypt: 12, bcryptCost10: 90 } as const;

/** Prefixes of crypt(3) schemes we recognise but do not verify, so the message can name them. */
const UNSUPPORTED: readonly [string, string][] = [
  ["$y$", "yescrypt ($y$)"],
  ["$gy$", "gost-yescrypt ($gy$)"],
  ["$7$", "scrypt ($7$)"],
  ["$argon2", "Argon2"],
  ["$sha1$", "NetBSD SHA-1 crypt ($sha1$)"],
  ["$md5", "Solaris MD5 ($md5$)"],
  ["$3$", "NT hash ($3$)"],
  ["_", "BSDi extended DES (_)"],
];

export function parseHash(hash: string): ParsedHash | { locked: true } | { error: string } {
  if (typeof hash !== "string" || hash === "") return { error: "is empty (an account without a password is written as password <empty>)" };
  // shadow(5): a hash starting with ! or * can never match, whatever follows (a locked account keeps its old hash after !).
  if (hash.startsWith("!") || hash.startsWith("*")) return { locked: true };
  if (hash === "x") return { error: "is x, the /etc/passwd placeholder for 'see /etc/shadow'; give the hash from /etc/shadow" };
  if (/\s/.test(hash)) return { error: "contains white space, which no crypt(3) hash does" };

  if (hash.startsWith("$1$")) {
    const h = parseMd5Crypt(hash);
    return "error" in h ? h : { scheme: "md5crypt", workFactor: 1000, costMs: COST_MS.md5crypt, verify: (pw) => verifyMd5Crypt(pw, h) };
  }
  if (hash.startsWith("$5$") || hash.startsWith("$6$")) {
    const h = parseShaCrypt(hash);
    if ("error" in h) return h;
    const perDefault = h.variant === "sha256" ? COST_MS.sha256crypt : COST_MS.sha512crypt;
    return {
      scheme: h.variant === "sha256" ? "sha256crypt" : "sha512crypt",
      workFactor: h.rounds,
      costMs: (perDefault * h.rounds) / DEFAULT_ROUNDS,
      verify: (pw) => verifyShaCrypt(pw, h),
    };
  }
  if (hash.startsWith("$2")) {
    const h = parseBcrypt(hash);
    return "error" in h ? h : { scheme: "bcrypt", workFactor: h.cost, costMs: COST_MS.bcryptCost10 * 2 ** (h.cost - 10), verify: (pw) => verifyBcrypt(pw, h) };
  }
  for (const [prefix, name] of UNSUPPORTED) if (hash.startsWith(prefix)) return { error: `is a ${name} hash, which Longwatch cannot check yet` };
  // The unknown id is not echoed: this may be a plaintext password pasted into the hash column, and errors get logged.
  if (hash.startsWith("$")) return { error: "uses an unknown crypt(3) scheme (supported: $1$, $5$, $6$, $2a$/$2b$/$2y$, traditional DES)" };
  if (/^[0-9a-f]{32}$|^[0-9a-f]{40}$|^[0-9a-f]{64}$/i.test(hash)) {
    return { error: "looks like a bare hex digest (unsalted MD5/SHA), not a crypt(3) hash; it cannot be checked safely" };
  }
  const h = parseDesCrypt(hash);
  if ("error" in h) {
    return { error: `${h.error} (supported: $1$, $5$, $6$, $2a$/$2b$/$2y$, traditional DES)` };
  }
  return { scheme: "des", workFactor: 25, costMs: COST_MS.des, verify: (pw) => verifyDesCrypt(pw, h) };
}

/** Recognises a crypt(3) hash: its scheme, a locked account (`!…`, `*…`), or why it is not usable. */
export function classifyHash(hash: string): HashClass {
  const p = parseHash(hash);
  return "scheme" in p ? { scheme: p.scheme } : p;
}

/**
 * Whether `password` matches `hash`. False for locked accounts and for anything `classifyHash` rejects. Beware of cost:
 * a bcrypt or high-rounds SHA-crypt hash can take a long time; use `parseHash(…).costMs` to budget.
 */
export function verify(password: string, hash: string): boolean {
  const p = parseHash(hash);
  return "verify" in p ? p.verify(password) : false;
}
