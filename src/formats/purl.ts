/**
 * Package URLs (https://github.com/package-url/purl-spec): `pkg:type/namespace/name@version?qualifiers#subpath`.
 * Parsing never throws: a string that is not a purl gives an error message the importer reports with its JSON path.
 */

export interface Purl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
  subpath?: string;
}

export function parsePurl(input: string): Purl | { error: string } {
  const s = input.trim();
  if (!/^pkg:/i.test(s)) return { error: "does not start with pkg:" };
  let rest = s.slice(4).replace(/^\/+/, "");
  let subpath: string | undefined;
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    subpath = rest.slice(hash + 1).replace(/^\/+|\/+$/g, "");
    rest = rest.slice(0, hash);
  }
  const qualifiers: Record<string, string> = {};
  const q = rest.indexOf("?");
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split("&")) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      if (eq <= 0) return { error: `qualifier "${pair}" is not key=value` };
      const value = decode(pair.slice(eq + 1));
      if (value === undefined) return { error: `qualifier "${pair}" has a bad %-escape` };
      if (value !== "") qualifiers[pair.slice(0, eq).toLowerCase()] = value;
    }
    rest = rest.slice(0, q);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    version = decode(rest.slice(at + 1));
    if (version === undefined) return { error: "version has a bad %-escape" };
    rest = rest.slice(0, at);
  }
  const parts = rest.replace(/\/+$/, "").split("/");
  const type = parts.shift()?.toLowerCase() ?? "";
  if (!/^[a-z.+-][a-z0-9.+-]*$/.test(type)) return { error: `type "${type}" is not a purl type` };
  const rawName = parts.pop();
  if (rawName === undefined || rawName === "") return { error: "has no name" };
  const name = decode(rawName);
  const namespace = parts.length ? parts.map(decode) : [];
  if (name === undefined || namespace.some((p) => p === undefined)) return { error: "name or namespace has a bad %-escape" };
  const p: Purl = { type, name, qualifiers };
  if (namespace.length) p.namespace = namespace.join("/");
  if (version !== undefined && version !== "") p.version = version;
  if (subpath) p.subpath = subpath;
  return p;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

const enc = (s: string) => encodeURIComponent(s).replace(/%3A/gi, ":");

export function formatPurl(p: Purl): string {
  let s = `pkg:${p.type}/`;
  if (p.namespace) s += `${p.namespace.split("/").map(enc).join("/")}/`;
  s += enc(p.name);
  if (p.version !== undefined) s += `@${enc(p.version)}`;
  const keys = Object.keys(p.qualifiers).sort();
  if (keys.length) s += `?${keys.map((k) => `${k}=${enc(p.qualifiers[k]!)}`).join("&")}`;
  if (p.subpath) s += `#${p.subpath}`;
  return s;
}

/**
 * The name a package is indexed under: type, namespace and name, lower-cased (advisory feeds differ in case, and no
 * ecosystem we match has two packages that differ only in case). PyPI also folds `_` and `.` into `-` (PEP 503).
 */
export function purlIndexKey(p: Pick<Purl, "type" | "namespace" | "name">): string {
  let name = p.name.toLowerCase();
  if (p.type === "pypi") name = name.replace(/[-_.]+/g, "-");
  return `purl:${p.type}/${p.namespace ? `${p.namespace.toLowerCase()}/` : ""}${name}`;
}
