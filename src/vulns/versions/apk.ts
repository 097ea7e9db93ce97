/**
 * Alpine apk package versions: `number(.number)*[letter](_suffix[number])*[~hash][-rN]`, compared as apk-tools does.
 * Numbers compare numerically, except that a component after the first with a leading zero compares as a decimal
 * fraction (1.02 < 1.1); suffixes order `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`;
 * `-rN` is the package revision. When one version has a part the other lacks, the longer one is newer unless that part
 * is a pre-release suffix (1.1_alpha1 < 1.1 < 1.1.1, 1.7 < 1.7b, 2.5.1-r8 < 2.5.1a-r1). A string that is not a valid apk
 * version compares as text after its valid prefix, as apk does.
 */

// Token kinds in the order apk ranks them when two versions differ in kind at the same place: an earlier kind wins
// (so the version that goes on is newer than the one that ended, and an unparseable tail outranks everything).
const enum Kind {
  Invalid = -1,
  Digit = 0,
  Letter = 1,
  Suffix = 2,
  Hash = 3,
  Revision = 4,
  End = 5,
}

const SUFFIXES = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"];
const RELEASE = SUFFIXES.indexOf("");

interface Tok {
  kind: Kind;
  /** Digit: the run; Letter: the letter; Suffix: rank relative to a release (negative = pre-release); Revision: number. */
  text: string;
  rank: number;
  /** A digit run after the first with a leading zero: compared as a fraction. */
  fraction: boolean;
}

function tokenize(v: string): Tok[] {
  const out: Tok[] = [];
  const s = v.trim();
  let i = 0;
  const push = (kind: Kind, text = "", rank = 0, fraction = false) => out.push({ kind, text, rank, fraction });
  const digits = () => {
    const m = /^\d+/.exec(s.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const first = digits();
  if (first === undefined) return [{ kind: Kind.Invalid, text: s, rank: 0, fraction: false }];
  push(Kind.Digit, first);
  for (;;) {
    if (i >= s.length) break;
    const c = s[i]!;
    if (c === "." && /\d/.test(s[i + 1] ?? "") && out[out.length - 1]!.kind === Kind.Digit) {
      i++;
      const d = digits()!;
      push(Kind.Digit, d, 0, d.length > 1 && d.startsWith("0"));
      continue;
    }
    if (/[a-z]/.test(c) && out[out.length - 1]!.kind === Kind.Digit && !/[a-z]/.test(s[i + 1] ?? "")) {
      i++;
      push(Kind.Letter, c);
      continue;
    }
    if (c === "_") {
      const m = /^_([a-z]+)(\d*)/.exec(s.slice(i));
      const rank = m ? SUFFIXES.indexOf(m[1]!) : -1;
      if (!m || rank < 0 || rank === RELEASE) return invalidFrom(out, s.slice(i));
      i += m[0].length;
      push(Kind.Suffix, m[2] ?? "", rank - RELEASE);
      continue;
    }
    if (c === "~") {
      const m = /^~[0-9a-f]+/.exec(s.slice(i));
      if (!m) return invalidFrom(out, s.slice(i));
      i += m[0].length;
      push(Kind.Hash, m[0].slice(1));
      continue;
    }
    if (c === "-") {
      const m = /^-r(\d+)$/.exec(s.slice(i));
      if (!m) return invalidFrom(out, s.slice(i));
      i = s.length;
      push(Kind.Revision, m[1]!);
      continue;
    }
    return invalidFrom(out, s.slice(i));
  }
  push(Kind.End);
  return out;
}

function invalidFrom(out: Tok[], rest: string): Tok[] {
  out.push({ kind: Kind.Invalid, text: rest, rank: 0, fraction: false });
  return out;
}

export function isApkVersion(v: string): boolean {
  return !tokenize(v).some((t) => t.kind === Kind.Invalid);
}

export function compareApkVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = tokenize(a);
  const y = tokenize(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p.kind !== q.kind) return differentKinds(p, q);
    const c = compareSame(p, q);
    if (c !== 0) return c;
  }
  return 0;
}

function compareSame(p: Tok, q: Tok): number {
  switch (p.kind) {
    case Kind.Digit:
      if (p.fraction || q.fraction) return p.text < q.text ? -1 : p.text > q.text ? 1 : 0;
      return compareNumberText(p.text, q.text);
    case Kind.Letter:
    case Kind.Hash:
    case Kind.Invalid:
      return p.text < q.text ? -1 : p.text > q.text ? 1 : 0;
    case Kind.Suffix:
      if (p.rank !== q.rank) return p.rank < q.rank ? -1 : 1;
      return compareNumberText(p.text || "0", q.text || "0");
    case Kind.Revision:
      return compareNumberText(p.text, q.text);
    default:
      return 0;
  }
}

/** One version has a part the other lacks here: the longer one is newer unless the part is a pre-release suffix. */
function differentKinds(p: Tok, q: Tok): number {
  if (p.kind === Kind.Suffix && p.rank < 0) return -1;
  if (q.kind === Kind.Suffix && q.rank < 0) return 1;
  return p.kind < q.kind ? 1 : -1;
}

function compareNumberText(p: string, q: string): number {
  const a = p.replace(/^0+(?=\d)/, "");
  const b = q.replace(/^0+(?=\d)/, "");
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
