/** `longwatch findings`: the latest scan's findings from the store, filtered, without scanning again. */
import { Option } from "commander";
import type { Finding } from "../core/finding.ts";
import { SEVERITIES, type Severity, severityRank } from "../core/severity.ts";
import { findingCsvRow, FINDING_CSV_COLUMNS } from "../formats/findings-out.ts";
import { csvLine } from "../formats/csv.ts";
import { renderTable } from "../report/table.ts";
import type { CommandModule } from "./command.ts";
import { withStore } from "./store.ts";

interface Filters {
  rule?: string;
  device?: string;
  model?: string;
  minSeverity?: Severity;
  status?: string;
  format: "table" | "json" | "ndjson" | "csv";
  limit: string;
}

/** `models`: the model of each device the page's findings name (for --model), from the store. */
function matches(f: Finding, o: Filters, models: ReadonlyMap<string, string>): boolean {
  if (o.rule !== undefined && f.rule !== o.rule) return false;
  if (o.device !== undefined && f.device_id !== o.device && !f.devices?.includes(o.device)) return false;
  if (o.model !== undefined && !ofModel(f, o.model, models)) return false;
  if (o.minSeverity !== undefined && severityRank(f.severity) < severityRank(o.minSeverity)) return false;
  if (o.status !== undefined && f.status !== o.status) return false;
  return true;
}

/**
 * A finding is about model M when it names M, or when a device it is about is of model M: device-level findings
 * (certificates, services, SIM settings) carry no model of their own, and a shared certificate spans models.
 */
function ofModel(f: Finding, model: string, models: ReadonlyMap<string, string>): boolean {
  if (f.model_id !== undefined) return f.model_id === model;
  if (f.device_id !== undefined && models.get(f.device_id) === model) return true;
  return f.devices?.some((d) => models.get(d) === model) ?? false;
}

function namedDevices(page: readonly Finding[]): string[] {
  const ids = new Set<string>();
  for (const f of page) {
    if (f.model_id !== undefined) continue;
    if (f.device_id !== undefined) ids.add(f.device_id);
    for (const d of f.devices ?? []) ids.add(d);
  }
  return [...ids];
}

/** A group finding's subject: its model and the devices it lists, or how many it reaches without listing them. */
function where(f: Finding): string {
  if (f.devices === undefined && f.reach !== undefined) return `${f.model_id ?? "fleet"} (reaches ${f.reach.toLocaleString("en-US")} devices)`;
  const k = f.devices?.length ?? 0;
  return `${f.model_id ?? ""} (${k} device${k === 1 ? "" : "s"})`;
}

export const findingsCommand: CommandModule = {
  register(program, ctx) {
    program
      .command("findings")
      .description("list the latest scan's findings, filtered")
      .option("--rule <id>")
      .option("--device <id>", "findings about this device (alone or in a group)")
      .option("--model <id>", "findings about this model or about a device of it")
      .addOption(new Option("--min-severity <severity>").choices([...SEVERITIES]))
      .addOption(new Option("--status <status>").choices(["new", "unchanged", "suppressed"]))
      .addOption(new Option("--format <format>").choices(["table", "json", "ndjson", "csv"]).default("table"))
      .option("--limit <n>", "at most this many in the table (0 = all)", "50")
      .action(async (o: Filters, cmd) => {
        await withStore(cmd, ctx, async (store) => {
          const limit = o.format === "table" ? Number(o.limit) || Infinity : Infinity;
          const rows: Finding[] = [];
          let total = 0;
          if (o.format === "csv") ctx.out(csvLine([...FINDING_CSV_COLUMNS]));
          for await (const page of store.findings.current()) {
            const models = o.model !== undefined ? await store.fleet.deviceModels(namedDevices(page)) : new Map<string, string>();
            for (const f of page) {
              if (!matches(f, o, models)) continue;
              total++;
              if (o.format === "ndjson") ctx.out(JSON.stringify(f));
              else if (o.format === "csv") ctx.out(findingCsvRow(f));
              else if (rows.length < limit) rows.push(f);
            }
          }
          if (o.format === "json") ctx.out(JSON.stringify(rows, null, 2));
          if (o.format === "table") {
            rows.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.rule.localeCompare(b.rule));
            ctx.out(total === 0 ? "No findings match." : renderTable(["SEVERITY", "RULE", "DEVICE / MODEL", "STATUS", "FINDING"], rows.map((f) => [f.severity, f.rule, f.device_id ?? where(f), f.status, f.title])));
            if (total > rows.length) ctx.out(`… ${total - rows.length} more (--limit 0 shows all, --format csv for a file)`);
          }
        });
      });
  },
};
