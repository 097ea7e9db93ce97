/**
 * The generic comparison for upstream version strings that follow no packaging ecosystem (firmware builds,
 * OpenSSL `1.1.1k`, dropbear `2018.76`, busybox `1.29.3`, ntp `4.2.8p15`). docs/vulns.md describes it for users.
 *
 * Scheme:
 * - A leading `v` before a digit is ignored (`v1.2` = `1.2`), and so is a trailing git-describe hash (`-g4f4d7a1`),
 *   which names a commit but does not order it (`2.36-81-g4f4d7a1` = `2.36-81`: 81 commits after 2.36).
 * - The rest splits into runs of digits and runs of letters; anything else only separates them.
 * - Runs are compared in turn: numbers numerically, words alphabetically (case-insensitive). A number outranks a word at
 *   the same position (1.0.1 > 1.0a), and a pre-release word outranks nothing (1.0rc1 < 1.0a).
 * - When one version runs out, the other is newer if its next run is a number or a word such as a patch letter
 *   (1.2.1 > 1.2, 1.1.1k > 1.1.1), and older if it is a pre-release word: alpha, beta, rc, pre, preview, dev, snapshot
 *   (1.2rc1 < 1.2). Single letters are never pre-release words, because OpenSSL, ntp and many firmware builds use them
 *   as patch levels (1.1.1a is newer than 1.1.1).
 */

type Token = number | string;

const PRERELEASE = new Set(["alpha", "beta", "rc", "pre", "preview", "dev", "snapshot"]);
const GIT_HASH_SUFFIX = /[-.+~]g[0-9a-f]{7,40}$/i;

/**
 * Tokenized forms of recently seen versions: matching compares the same few thousand version strings millions of
 * times, and splitting them is most of the cost. Bounded: cleared when it grows past MEMO_MAX.
 */
const memo = new Map<string, Token[]>();
const MEMO_MAX = 200_000;

export function tokenizeVersion(v: string): Token[] {
  const hit = memo.get(v);
  if (hit) return hit;
  if (memo.size >= MEMO_MAX) memo.clear();
  const out = splitVersion(v);
  memo.set(v, out);
  return out;
}

function splitVersion(v: string): Token[] {
  const out: Token[] = [];
  const s = v.trim().replace(/^v(?=\d)/i, "").replace(GIT_HASH_SUFFIX, "");
  const re = /(\d+)|([a-zA-Z]+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] !== undefined ? digitValue(m[1]) : m[2]!.toLowerCase());
  return out;
}

/** Digit runs longer than what a double holds exactly (build stamps, hashes) still order: compare by length, then text. */
function digitValue(run: string): Token {
  const n = Number(run);
  return Number.isSafeInteger(n) ? n : `\u0000${run.replace(/^0+/, "").padStart(32, "0")}`;
}

export function compareGenericVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = tokenizeVersion(a);
  const y = tokenizeVersion(b);
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -tail(q!);
    if (q === undefined) return tail(p);
    if (p === q) continue;
    if (typeof p === "number" && typeof q === "number") return p < q ? -1 : 1;
    if (typeof p === "number") return isHugeNumber(q as string) ? -1 : 1;
    if (typeof q === "number") return isHugeNumber(p) ? 1 : -1;
    if (isHugeNumber(p) !== isHugeNumber(q)) return isHugeNumber(p) ? 1 : -1;
    const pp = PRERELEASE.has(p);
    const qp = PRERELEASE.has(q);
    if (pp !== qp) return pp ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

function isHugeNumber(t: string): boolean {
  return t.charCodeAt(0) === 0;
}

/** Sign of a version that has `t` where the other has ended: +1 newer, -1 older (pre-release). */
function tail(t: Token): number {
  return typeof t === "string" && PRERELEASE.has(t) ? -1 : 1;
}

/**
 * Whether a string can be ordered at all: it holds a digit and is not a bare commit hash or a placeholder such as
 * `custom` (Buildroot writes that for a kernel built from a local tree). Unorderable versions never match a range.
 */
export function isOrderableVersion(v: string): boolean {
  const s = v.trim();
  if (!/\d/.test(s)) return false;
  if (/^[0-9a-f]{12,64}$/i.test(s) && /[a-f]/i.test(s)) return false;
  return true;
}
