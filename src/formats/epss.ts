/**
 * FIRST EPSS scores, the daily CSV (https://www.first.org/epss/data_stats): an optional `#model_version:…,score_date:…`
 * comment, then `cve,epss,percentile`. Usually downloaded gzipped; the importer unpacks it.
 */
import type { EpssScore } from "../core/advisory.ts";
import { CsvParser } from "./csv.ts";
import type { ParseIssue } from "./json-path.ts";

export function looksLikeEpss(text: string): boolean {
  const head = text.slice(0, 512).replace(/^\uFEFF/, "");
  return /^#model_version:/m.test(head) || /^cve,epss,percentile\s*$/im.test(head);
}

export function parseEpss(text: string): { scores: EpssScore[]; issues: ParseIssue[]; skipped: number; date?: string } {
  const out: { scores: EpssScore[]; issues: ParseIssue[]; skipped: number; date?: string } = { scores: [], issues: [], skipped: 0 };
  let body = text.replace(/^\uFEFF/, "");
  let offset = 0;
  const comment = /^#([^\n]*)\n/.exec(body);
  if (comment) {
    const date = /score_date:(\d{4}-\d{2}-\d{2})/.exec(comment[1]!);
    if (date) out.date = date[1]!;
    body = body.slice(comment[0].length);
    offset = 1;
  }
  const parser = new CsvParser({ delimiter: "," });
  const records = [...parser.push(body), ...parser.end()];
  let cols: { cve: number; epss: number; pct: number } | undefined;
  for (const r of records) {
    const line = r.line + offset;
    if ("error" in r) {
      out.issues.push({ line, reason: r.error, level: "error" });
      out.skipped++;
      continue;
    }
    if (!cols) {
      const h = r.cells.map((c) => c.trim().toLowerCase());
      cols = { cve: h.indexOf("cve"), epss: h.indexOf("epss"), pct: h.indexOf("percentile") };
      if (cols.cve < 0 || cols.epss < 0 || cols.pct < 0) {
        out.issues.push({ line, reason: "header is not cve,epss,percentile", level: "error" });
        return out;
      }
      continue;
    }
    const cve = r.cells[cols.cve]?.trim() ?? "";
    const epss = Number(r.cells[cols.epss]);
    const pct = Number(r.cells[cols.pct]);
    if (!/^CVE-\d{4}-\d{4,}$/i.test(cve)) {
      out.issues.push({ line, column: "cve", reason: `"${cve}" is not a CVE id`, level: "error" });
      out.skipped++;
      continue;
    }
    if (!(epss >= 0 && epss <= 1) || !(pct >= 0 && pct <= 1) || r.cells[cols.epss]?.trim() === "" || r.cells[cols.pct]?.trim() === "") {
      out.issues.push({ line, column: "epss", reason: "epss and percentile must be numbers between 0 and 1", level: "error" });
      out.skipped++;
      continue;
    }
    const s: EpssScore = { cve_id: cve.toUpperCase(), epss, percentile: pct };
    if (out.date) s.date = out.date;
    out.scores.push(s);
  }
  return out;
}
