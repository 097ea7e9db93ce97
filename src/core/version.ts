/**
 * The generic comparison for upstream version strings that follow no packaging ecosystem (firmware builds,
 * OpenSSL `1.1.1k`, dropbear `2018.76`, busybox `1.29.3`).
 *
 * Scheme: split into runs of digits and runs of letters (anything else separates). Compare run by run: numbers
 * numerically, words alphabetically (case-insensitive). A number outranks a word at the same position
 * (1.0.1 > 1.0a). When one version runs out: extra numbers make it newer (1.2.1 > 1.2); an extra word right after
 * the numbers is a pre-release marker when it is one of alpha/beta/rc/pre/dev/snapshot (1.2rc1 < 1.2), and a patch
 * letter otherwise (1.1.1k > 1.1.1).
 */

type Token = number | string;

const PRERELEASE = new Set(["alpha", "a", "beta", "b", "rc", "pre", "preview", "dev", "snapshot", "test"]);

export function tokenizeVersion(v: string): Token[] {
  const out: Token[] = [];
  const re = /(\d+)|([a-zA-Z]+)/g;
  for (let m = re.exec(v); m; m = re.exec(v)) out.push(m[1] !== undefined ? Number(m[1]) : m[2]!.toLowerCase());
  return out;
}

export function compareGenericVersions(a: string, b: string): number {
  const x = tokenizeVersion(a.replace(/^v(?=\d)/i, ""));
  const y = tokenizeVersion(b.replace(/^v(?=\d)/i, ""));
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -tail(q!);
    if (q === undefined) return tail(p);
    if (p === q) continue;
    if (typeof p === "number" && typeof q === "number") return p < q ? -1 : 1;
    if (typeof p === "number") return 1;
    if (typeof q === "number") return -1;
    const pp = PRERELEASE.has(p);
    const qp = PRERELEASE.has(q);
    if (pp !== qp) return pp ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/** Sign of a version that has `t` where the other has ended: +1 newer, -1 older (pre-release). */
function tail(t: Token): number {
  return typeof t === "string" && PRERELEASE.has(t) ? -1 : 1;
}
