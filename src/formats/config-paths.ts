/**
 * Paths written in a config file are relative to that file, not to wherever the command happens to run: a
 * `crypto_policy: policy.yaml` next to `longwatch.yaml` means that policy from any working directory, and a config
 * cannot be made to read a different file by running it from another folder. Applied to the parsed document before
 * validation, at the keys each reader names (`*` matches every element of a list or every key of a map).
 */
import { dirname, resolve } from "node:path";

/** Rewrites, in place, the string (or list of strings) at each key path to a path against `file`'s folder. */
export function resolveConfigPaths(doc: unknown, file: string, keyPaths: readonly (readonly string[])[]): void {
  const folder = dirname(resolve(file));
  for (const keys of keyPaths) visit(doc, keys, folder);
}

function visit(node: unknown, keys: readonly string[], folder: string): void {
  if (node === null || typeof node !== "object") return;
  const [key, ...rest] = keys;
  if (key === undefined) return;
  const o = node as Record<string, unknown>;
  const names = key === "*" ? Object.keys(o) : Object.hasOwn(o, key) ? [key] : [];
  for (const k of names) {
    const v = o[k];
    if (rest.length > 0) visit(v, rest, folder);
    else if (typeof v === "string" && v !== "") o[k] = resolve(folder, v);
    else if (Array.isArray(v)) o[k] = v.map((x) => (typeof x === "string" && x !== "" ? resolve(folder, x) : x));
  }
}
