/** Writes a scan's report in the chosen format, to a file or stdout, and the terminal summary when appropriate. */
import { createWriteStream, type WriteStream } from "node:fs";
import { outputError } from "./output.ts";
import { once } from "node:events";
import type { AuditResult } from "../audit/engine.ts";
import type { Rule } from "../audit/rule.ts";
import { allRules } from "../audit/rules/index.ts";
import { formatIsoDate } from "../core/dates.ts";
import type { Finding } from "../core/finding.ts";
import { type Sink, writeFindingsCsv, writeFindingsJson, writeFindingsNdjson } from "../formats/findings-out.ts";
import { writeSarif } from "../formats/sarif.ts";
import { renderForecastSection } from "../report/forecast-html.ts";
import { scanCoverage } from "../report/coverage.ts";
import { renderHtmlReport } from "../report/html.ts";
import type { ScanSummary } from "../report/summary.ts";
import { renderScanSummary } from "../report/terminal.ts";
import type { Store } from "../store/store.ts";
import type { CliContext } from "./context.ts";
import { VERSION } from "./version.ts";

export type OutputFormat = "table" | "json" | "ndjson" | "csv" | "sarif" | "html";

export interface ScanReport {
  format: OutputFormat;
  out?: string;
  title: string;
  now: number;
  result: AuditResult;
  summary: ScanSummary;
  serious: Finding[];
  imports: string[];
  devices: number;
}

/** Returns the file written, if any. */
export async function writeScanOutput(ctx: CliContext, store: Store, r: ScanReport): Promise<string | undefined> {
  const rules = new Map<string, Rule>(allRules.map((x) => [x.id, x]));
  const coverage = scanCoverage(await store.lists.coverage());
  const summaryText = () =>
    renderScanSummary({ devices: r.devices, rules: r.result.rules.length, date: formatIsoDate(r.now), imports: r.imports, coverage }, r.summary, r.result.fixed, rules, ctx.colors());
  if (r.format === "table") {
    ctx.out(summaryText());
    return undefined;
  }
  const file = r.out !== undefined ? createWriteStream(r.out) : undefined;
  // A failed write (full disk) is an 'error' event that may come between chunks: keep it and throw it, naming the file.
  let failed: unknown;
  file?.on("error", (e) => (failed ??= e));
  const sink: Sink = file
    ? async (chunk) => {
        if (failed !== undefined) throw outputError(failed, r.out!);
        await write(file, chunk).catch((e: unknown) => Promise.reject(outputError(e, r.out!)));
      }
    : (chunk) => write(ctx.io.stdout, chunk);
  const pages = store.findings.current();
  const ran = r.result.rules.map((id) => rules.get(id)!).filter(Boolean);
  switch (r.format) {
    case "json":
      await writeFindingsJson(
        sink,
        {
          tool: { name: "longwatch", version: VERSION },
          scan: { id: r.result.scanId, date: new Date(r.now).toISOString(), devices: r.devices, rules: r.result.rules, imports: r.imports, coverage },
          summary: r.summary.toJSON(),
        },
        pages,
        r.result.fixed,
      );
      break;
    case "ndjson":
      await writeFindingsNdjson(sink, pages, r.result.fixed);
      break;
    case "csv":
      await writeFindingsCsv(sink, pages, r.result.fixed);
      break;
    case "sarif":
      await writeSarif(sink, { toolVersion: VERSION, rules: ran, scanId: r.result.scanId, startTimeUtc: new Date(r.now).toISOString(), endTimeUtc: new Date().toISOString() }, pages, r.result.fixed);
      break;
    case "html":
      await sink(
        renderHtmlReport({
          title: r.title,
          generatedAt: formatIsoDate(r.now),
          devices: r.devices,
          summary: r.summary,
          findings: r.serious,
          totalFindings: r.summary.open + r.summary.byStatus.suppressed,
          fixed: r.result.fixed,
          rules,
          coverage,
          // The lifecycle forecast chart (report/forecast-html.ts), over the next 20 years with the shipped crypto policy:
          // the one the audit tallied as it went through the fleet.
          extraSections: [renderForecastSection(r.result.forecast)],
        }),
      );
      break;
  }
  if (file) {
    file.end();
    if (failed === undefined) await once(file, "finish").catch((e: unknown) => (failed ??= e));
    if (failed !== undefined) throw outputError(failed, r.out!);
    ctx.out(summaryText());
    ctx.out(`\nReport written to ${r.out}`);
    return r.out;
  }
  return undefined;
}

async function write(stream: NodeJS.WritableStream | WriteStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, "drain");
}
