/**
 * Debian package versions, compared exactly as `dpkg --compare-versions` does (deb-version(7)): `[epoch:]upstream[-revision]`,
 * epoch numeric, upstream and revision compared with dpkg's `verrevcmp`. The test suite checks this against dpkg itself.
 */

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Parsed forms of recently seen versions (matching compares the same few thousand strings many times); bounded. */
const memo = new Map<string, DebianVersion>();

export function parseDebianVersion(v: string): DebianVersion {
  const hit = memo.get(v);
  if (hit) return hit;
  if (memo.size >= 100_000) memo.clear();
  const parsed = splitDebianVersion(v);
  memo.set(v, parsed);
  return parsed;
}

function splitDebianVersion(v: string): DebianVersion {
  const s = v.trim();
  const colon = s.indexOf(":");
  let epoch = 0;
  let rest = s;
  if (colon > 0 && /^\d+$/.test(s.slice(0, colon))) {
    epoch = Number(s.slice(0, colon));
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf("-");
  return dash >= 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: "" };
}

/** Whether dpkg would accept the string as a version (it must start with a digit, and use only its characters). */
export function isDebianVersion(v: string): boolean {
  return /^(\d+:)?\d[A-Za-z0-9.+~-]*$/.test(v.trim());
}

export function compareDebianVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return sign(verrevcmp(x.upstream, y.upstream)) || sign(verrevcmp(x.revision, y.revision));
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** dpkg's weight of a non-digit character: `~` sorts before everything (even the end), letters before other symbols. */
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

/** Alternating non-digit and digit runs: non-digits by `order`, digits numerically (leading zeros ignored). */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (i < a.length && j < b.length && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
