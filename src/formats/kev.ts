/**
 * CISA's Known Exploited Vulnerabilities catalogue, JSON edition
 * (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json,
 * schema https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json).
 */
import type { KevEntry } from "../core/advisory.ts";
import { IssueSink, isObject, jsonPath, kindOf, type ParseIssue } from "./json-path.ts";

export function isKevDocument(doc: unknown): boolean {
  return isObject(doc) && Array.isArray(doc.vulnerabilities) && (typeof doc.catalogVersion === "string" || (isObject(doc.vulnerabilities[0]) && "cveID" in doc.vulnerabilities[0]));
}

export function parseKev(doc: unknown): { entries: KevEntry[]; issues: ParseIssue[]; skipped: number; version?: string } {
  const sink = new IssueSink();
  const out: { entries: KevEntry[]; issues: ParseIssue[]; skipped: number; version?: string } = { entries: [], issues: sink.issues, skipped: 0 };
  if (!isObject(doc)) {
    sink.error("$", `is a ${kindOf(doc)}, not the KEV catalogue`);
    return out;
  }
  if (typeof doc.catalogVersion === "string") out.version = doc.catalogVersion;
  sink.arr(doc, "vulnerabilities", "$").forEach((v, i) => {
    const at = jsonPath("$.vulnerabilities", i);
    if (!isObject(v)) {
      sink.error(at, `is a ${kindOf(v)}, not a catalogue entry`);
      out.skipped++;
      return;
    }
    const cve = sink.str(v, "cveID", at, { required: true });
    if (cve === undefined || !/^CVE-\d{4}-\d{4,}$/i.test(cve)) {
      if (cve !== undefined) sink.error(jsonPath(at, "cveID"), `"${cve}" is not a CVE id`);
      out.skipped++;
      return;
    }
    const e: KevEntry = { cve_id: cve.toUpperCase() };
    const fields: [keyof KevEntry, string][] = [
      ["vendor", "vendorProject"],
      ["product", "product"],
      ["name", "vulnerabilityName"],
      ["date_added", "dateAdded"],
      ["due_date", "dueDate"],
      ["required_action", "requiredAction"],
      ["known_ransomware", "knownRansomwareCampaignUse"],
      ["notes", "notes"],
    ];
    for (const [ours, theirs] of fields) {
      const val = sink.str(v, theirs, at, { level: "warning" });
      if (val !== undefined) e[ours] = val;
    }
    out.entries.push(e);
  });
  return out;
}
