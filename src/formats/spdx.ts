/**
 * SPDX 2.2/2.3 JSON documents (https://spdx.github.io/spdx-spec/v2.3/): every package with its name, versionInfo,
 * supplier, and the purl / CPE from its `externalRefs`.
 */
import type { ParsedComponent, SbomParseResult } from "./sbom.ts";
import { IssueSink, isObject, jsonPath, kindOf } from "./json-path.ts";

export function parseSpdx(doc: unknown): SbomParseResult {
  const sink = new IssueSink();
  const out: SbomParseResult = { format: "spdx", components: [], vex: [], issues: sink.issues };
  if (!isObject(doc)) {
    sink.error("$", `is a ${kindOf(doc)}, not an SPDX document`);
    return out;
  }
  const version = sink.str(doc, "spdxVersion", "$", { required: true });
  if (version !== undefined && !/^SPDX-2\.[23]$/.test(version)) sink.warn("$.spdxVersion", `is ${version}; Longwatch reads SPDX-2.2 and SPDX-2.3 and will try anyway`);
  if (typeof doc.name === "string") out.describes = doc.name;
  sink.arr(doc, "packages", "$").forEach((p, i) => {
    const at = jsonPath("$.packages", i);
    if (!isObject(p)) {
      sink.error(at, `is a ${kindOf(p)}, not a package object`);
      return;
    }
    const name = sink.str(p, "name", at, { required: true });
    if (name === undefined) return;
    const c: ParsedComponent = { name, at };
    const v = sink.str(p, "versionInfo", at, { level: "warning" });
    if (v !== undefined && v !== "NOASSERTION") c.version = v;
    const id = sink.str(p, "SPDXID", at, { level: "warning" });
    if (id !== undefined) c.bom_ref = id;
    const supplier = typeof p.supplier === "string" ? p.supplier.replace(/^(Organization|Person):\s*/, "") : undefined;
    if (supplier && supplier !== "NOASSERTION") c.supplier = supplier;
    sink.arr(p, "externalRefs", at).forEach((r, j) => {
      const rat = jsonPath(at, "externalRefs", j);
      if (!isObject(r)) {
        sink.warn(rat, `is a ${kindOf(r)}, not an external reference`);
        return;
      }
      const type = typeof r.referenceType === "string" ? r.referenceType : "";
      const locator = sink.str(r, "referenceLocator", rat, { level: "warning" });
      if (locator === undefined) return;
      if (type === "purl" && c.purl === undefined) c.purl = locator;
      else if ((type === "cpe23Type" || type === "cpe22Type") && c.cpe === undefined) c.cpe = locator;
    });
    out.components.push(c);
  });
  return out;
}
