/**
 * Reference implementations to test our crypt(3) code against: Python's crypt module (libxcrypt underneath) and
 * `openssl passwd`. Both run once per batch. Returns undefined when the tool is missing, so the caller can say so.
 */
import { spawnSync } from "node:child_process";

const PY = `
import sys, json, warnings
warnings.simplefilter("ignore")
import crypt
out = []
for pw, salt in json.load(sys.stdin):
    out.append(crypt.crypt(pw, salt))
json.dump(out, sys.stdout)
`;

/** crypt(3) of each [password, salt-or-setting] pair via Python; `*0`-style failures come back as they are. */
export function pythonCrypt(pairs: readonly (readonly [string, string])[]): (string | null)[] | undefined {
  const r = spawnSync("python3", ["-c", PY], { input: JSON.stringify(pairs), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as (string | null)[];
}

/** `openssl passwd -<scheme> -salt <salt> pw…` (scheme 1, 5 or 6); one hash per password. */
export function opensslPasswd(scheme: "1" | "5" | "6", salt: string, passwords: readonly string[]): string[] | undefined {
  const r = spawnSync("openssl", ["passwd", `-${scheme}`, "-salt", salt, "--", ...passwords], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return r.stdout.trimEnd().split("\n");
}
