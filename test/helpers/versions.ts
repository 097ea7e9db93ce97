/** Random version strings for checking comparators against their reference tools (dpkg, rpm, the semver package). */
import { pick } from "./random.ts";

type R = () => number;

const int = (r: R, max: number) => Math.floor(r() * max);

function run(r: R, alphabet: string, maxLen: number): string {
  let s = "";
  const n = 1 + int(r, maxLen);
  for (let i = 0; i < n; i++) s += alphabet[int(r, alphabet.length)];
  return s;
}

/** A number, sometimes with leading zeros, which comparators must ignore. */
function num(r: R): string {
  const n = String(pick(r, [0, 1, 2, 9, 10, 11, 99, 100, 2018, 20240101]));
  return r() < 0.15 ? `0${n}` : n;
}

/** An upstream-like version: numbers, letters and the separators a scheme allows, starting with a digit. */
function upstream(r: R, seps: string): string {
  let s = num(r);
  const parts = int(r, 5);
  for (let i = 0; i < parts; i++) {
    const k = r();
    if (k < 0.45) s += `.${num(r)}`;
    else if (k < 0.7) s += run(r, "abkrz", 2);
    else if (k < 0.85) s += `${pick(r, [...seps])}${r() < 0.5 ? num(r) : run(r, "abrc", 3)}`;
    else s += num(r);
  }
  return s;
}

/** Debian versions: epoch, upstream with . + ~ (and - when a revision follows), revision with . + ~. */
export function randomDebianVersion(r: R): string {
  const epoch = r() < 0.15 ? `${int(r, 3)}:` : "";
  const hasRevision = r() < 0.6;
  let up = upstream(r, hasRevision ? ".+~-" : ".+~");
  if (r() < 0.1) up += "~";
  const rev = hasRevision ? `-${r() < 0.3 ? `0+deb${int(r, 13)}u${int(r, 3)}` : upstream(r, ".+~")}` : "";
  return `${epoch}${up}${rev}`;
}

/** RPM versions: epoch, version with . _ + ~ ^, release. */
export function randomRpmVersion(r: R): string {
  const epoch = r() < 0.15 ? `${int(r, 3)}:` : "";
  const version = upstream(r, "._+~^");
  const release = r() < 0.7 ? `-${r() < 0.4 ? `${int(r, 20)}.el${int(r, 10)}${r() < 0.3 ? `_${int(r, 5)}` : ""}` : upstream(r, "._~^")}` : "";
  return `${epoch}${version}${release}`;
}

/** Valid SemVer 2.0 strings, with pre-release identifiers that exercise the numeric/alphanumeric rules. */
export function randomSemver(r: R): string {
  const core = [int(r, 3), int(r, 3), int(r, 12)].join(".");
  if (r() < 0.5) return core;
  const ids = Array.from({ length: 1 + int(r, 3) }, () => (r() < 0.5 ? String(int(r, 12)) : pick(r, ["alpha", "beta", "rc", "x-1", "a1", "0a"])));
  return `${core}-${ids.join(".")}${r() < 0.2 ? "+build.5" : ""}`;
}

/** A second version close to the first (shares a prefix), so comparisons reach the interesting parts. */
export function near(r: R, v: string, gen: (r: R) => string): string {
  if (r() < 0.1) return v;
  if (r() < 0.5) return gen(r);
  const cut = int(r, v.length + 1);
  const tail = gen(r);
  const joined = v.slice(0, cut) + tail.slice(int(r, Math.max(1, tail.length)));
  return joined;
}
