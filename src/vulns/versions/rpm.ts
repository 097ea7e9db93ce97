/**
 * RPM package versions (`[epoch:]version[-release]`), compared as rpm 4.18 does: epoch numerically (missing = 0),
 * then version and release with `rpmvercmp`. rpmvercmp splits on anything that is not a letter or digit, compares
 * digit runs numerically and letter runs as text, ranks a digit run above a letter run, sorts `~` before everything
 * (pre-releases: 1.0~rc1 < 1.0) and `^` after the end but before anything else (snapshots: 1.0 < 1.0^git1 < 1.0.1).
 * The test suite checks it against pairs ordered by rpm itself (test/fixtures/versions/rpm-oracle.tsv).
 */

export interface RpmVersion {
  epoch: number;
  version: string;
  release?: string;
}

export function parseRpmVersion(v: string): RpmVersion {
  const s = v.trim();
  let rest = s;
  let epoch = 0;
  const colon = s.indexOf(":");
  if (colon >= 0 && /^\d*$/.test(s.slice(0, colon))) {
    epoch = colon === 0 ? 0 : Number(s.slice(0, colon));
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf("-");
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest };
}

/** Full EVR comparison as `rpm.vercmp` does it: a missing release counts as empty, so `1.0` < `1.0-3`. */
export function compareRpmVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = parseRpmVersion(a);
  const y = parseRpmVersion(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return rpmvercmp(x.version, y.version) || rpmvercmp(x.release ?? "", y.release ?? "");
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const TILDE = 126;
const CARET = 94;

export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number) => (k < s.length ? s.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    while (i < a.length && !isDigit(at(a, i)) && !isAlpha(at(a, i)) && at(a, i) !== TILDE && at(a, i) !== CARET) i++;
    while (j < b.length && !isDigit(at(b, j)) && !isAlpha(at(b, j)) && at(b, j) !== TILDE && at(b, j) !== CARET) j++;
    const ca = at(a, i);
    const cb = at(b, j);
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(ca);
    const same = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && same(a.charCodeAt(ei))) ei++;
    while (ej < b.length && same(b.charCodeAt(ej))) ej++;
    // The other side has a run of the other kind here: a number is newer than letters.
    if (ej === j) return numeric ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (numeric) {
      sa = sa.replace(/^0+/, "");
      sb = sb.replace(/^0+/, "");
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}
