/**
 * Buildroot's package lists: the `make legal-info` manifest (`legal-info/manifest.csv`: PACKAGE, VERSION, LICENSE …)
 * and the `make show-info` JSON (per package: type, version, cpe-id, ignore_cves). Only target packages are software
 * on the device; host packages are build tools and are skipped.
 */
import { CsvParser } from "./csv.ts";
import { IssueSink, isObject, jsonPath, kindOf } from "./json-path.ts";
import type { ParsedComponent, SbomParseResult } from "./sbom.ts";

export function parseBuildrootManifest(text: string): SbomParseResult {
  const out: SbomParseResult = { format: "buildroot-manifest", components: [], vex: [], issues: [] };
  const parser = new CsvParser({ delimiter: "," });
  const records = [...parser.push(text), ...parser.end()];
  let nameCol = -1;
  let versionCol = -1;
  for (const r of records) {
    if ("error" in r) {
      out.issues.push({ line: r.line, reason: r.error, level: "error" });
      continue;
    }
    if (nameCol < 0) {
      const header = r.cells.map((c) => c.trim().toUpperCase());
      nameCol = header.indexOf("PACKAGE");
      versionCol = header.indexOf("VERSION");
      if (nameCol < 0 || versionCol < 0) {
        out.issues.push({ line: r.line, reason: "header has no PACKAGE and VERSION columns (is this a legal-info manifest.csv?)", level: "error" });
        return out;
      }
      continue;
    }
    const name = r.cells[nameCol]?.trim() ?? "";
    const version = r.cells[versionCol]?.trim() ?? "";
    if (name === "") {
      out.issues.push({ line: r.line, column: "PACKAGE", reason: "is empty", level: "error" });
      continue;
    }
    if (name.startsWith("host-")) continue;
    const c: ParsedComponent = { name, ecosystem: "buildroot", at: `line ${r.line}` };
    if (version !== "") c.version = version;
    out.components.push(c);
  }
  return out;
}

export function parseBuildrootShowInfo(doc: unknown): SbomParseResult {
  const sink = new IssueSink();
  const out: SbomParseResult = { format: "buildroot-show-info", components: [], vex: [], issues: sink.issues };
  if (!isObject(doc)) {
    sink.error("$", `is a ${kindOf(doc)}, not a Buildroot show-info object`);
    return out;
  }
  for (const [key, p] of Object.entries(doc)) {
    const at = jsonPath("$", key);
    if (!isObject(p)) {
      sink.error(at, `is a ${kindOf(p)}, not a package object`);
      continue;
    }
    if (p.type !== "target" || p.virtual === true) continue;
    const name = sink.str(p, "name", at) ?? key;
    const c: ParsedComponent = { name, ecosystem: "buildroot", at };
    const version = sink.str(p, "version", at, { level: "warning" });
    if (version !== undefined) c.version = version;
    const cpe = sink.str(p, "cpe-id", at, { level: "warning" });
    if (cpe !== undefined) c.cpe = cpe;
    out.components.push(c);
    // The build's own list of CVEs that do not apply to this package (patched in the build, or not relevant).
    sink.arr(p, "ignore_cves", at).forEach((cve, i) => {
      if (typeof cve !== "string" || cve.trim() === "") {
        sink.warn(jsonPath(at, "ignore_cves", i), "is not a CVE id");
        return;
      }
      out.vex.push({
        vuln_id: cve.trim(),
        status: "not_affected",
        justification: "listed_in_buildroot_ignore_cves",
        impact: `Buildroot's ${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_IGNORE_CVES lists it: the build patches it or it does not apply`,
        name,
      });
    });
  }
  return out;
}
