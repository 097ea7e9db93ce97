/**
 * Common Platform Enumeration names (NIST IR 7695): the CPE 2.3 formatted string `cpe:2.3:part:vendor:product:version:…`
 * with `\`-escapes, and the older 2.2 URI `cpe:/part:vendor:product:version` with %-escapes. NVD's match criteria and
 * many SBOMs use them; matching looks at vendor and product, and at the version when the name carries one.
 */

export interface Cpe {
  part: string;
  vendor: string;
  product: string;
  /** `*` (any) and `-` (not applicable) are kept as written. */
  version: string;
  update: string;
}

export function parseCpe(input: string): Cpe | { error: string } {
  const s = input.trim();
  if (s.startsWith("cpe:2.3:")) {
    const fields = splitEscaped(s.slice(8));
    if (fields.length !== 11) return { error: `has ${fields.length} fields after cpe:2.3: (needs 11)` };
    const [part, vendor, product, version, update] = fields.map(unescape23);
    if (!/^[aoh*]$/.test(part!)) return { error: `part "${part}" is not a, o or h` };
    if (vendor === "" || product === "") return { error: "has an empty vendor or product" };
    return { part: part!, vendor: vendor!.toLowerCase(), product: product!.toLowerCase(), version: version!, update: update! };
  }
  if (s.startsWith("cpe:/")) {
    const fields = s.slice(5).split(":").map((f) => {
      try {
        return decodeURIComponent(f);
      } catch {
        return f;
      }
    });
    const [part = "", vendor = "", product = "", version = "", update = ""] = fields;
    if (!/^[aoh]?$/.test(part)) return { error: `part "${part}" is not a, o or h` };
    if (vendor === "" || product === "") return { error: "has no vendor or product" };
    return { part: part || "*", vendor: vendor.toLowerCase(), product: product.toLowerCase(), version: version || "*", update: update || "*" };
  }
  return { error: "does not start with cpe:2.3: or cpe:/" };
}

function splitEscaped(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ":") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Drops the quoting backslashes (`dropbear\_ssh` → `dropbear_ssh`); `*` and `?` wildcards are kept as characters. */
function unescape23(f: string): string {
  return f.replace(/\\(.)/g, "$1");
}

/** Whether the version field names one version (rather than any, or not applicable). */
export function cpeHasVersion(c: Cpe): boolean {
  return c.version !== "*" && c.version !== "-" && c.version !== "";
}

/** Vendor and product in the form NVD uses in its dictionary: lower case, spaces as underscores. */
export function cpeName(vendorOrProduct: string): string {
  return vendorOrProduct.trim().toLowerCase().replace(/\s+/g, "_");
}

export function cpeIndexKey(vendor: string, product: string): string {
  return `cpe:${cpeName(vendor)}:${cpeName(product)}`;
}

export function formatCpe23(vendor: string, product: string, version = "*", part = "a"): string {
  const esc = (f: string) => (f === "*" || f === "-" ? f : f.replace(/([^A-Za-z0-9_.-])/g, "\\$1"));
  return `cpe:2.3:${part}:${esc(vendor)}:${esc(product)}:${esc(version)}:*:*:*:*:*:*:*`;
}
