/** `longwatch store info|copy`: what a store holds and its schema version; copy everything into another store. */
import { type Command, Option } from "commander";
import { renderTable } from "../report/table.ts";
import { copyStore, storeInfo } from "../store/copy.ts";
import type { CommandModule } from "./command.ts";
import { Progress } from "./progress.ts";
import { openCliStore, storeChoice, withExistingStore } from "./store.ts";
import { UsageError } from "./context.ts";

/** What each table holds, in words, for `store info`. */
const MEANING: Record<string, string> = {
  devices: "devices",
  models: "device models",
  credentials: "credentials (digests and hashes, never passwords)",
  certificates: "certificates",
  imports: "inventory imports",
  scans: "scans",
  findings: "findings of the latest two scans",
  suppressions: "finding suppressions",
  alerts: "alerts",
  alert_events: "alert history entries (who, when, why)",
  alert_suppressions: "alert suppressions",
  vuln_sboms: "firmware inventories (SBOMs)",
  vuln_components: "firmware components",
  vuln_advisories: "advisories",
  vuln_affected: "advisory entries",
  vuln_ids: "advisory ids and aliases",
  vuln_kev: "known exploited vulnerabilities",
  vuln_epss: "EPSS scores",
  vuln_vex: "VEX statements",
  vuln_feed_imports: "feed imports",
  certify_assessments: "saved self-assessments",
};

export const storeCommand: CommandModule = {
  register(program, ctx) {
    const group = program.command("store").description("what a store holds; copy a store into another (e.g. SQLite into PostgreSQL)");
    group
      .command("info")
      .description("the store's engine, location, schema version per area and what it holds")
      .addOption(new Option("--format <format>").choices(["table", "json"]).default("table"))
      .action(async (o: { format: "table" | "json" }, cmd: Command) => {
        await withExistingStore(cmd, ctx, async (store) => {
          const info = await storeInfo(store);
          if (o.format === "json") return ctx.out(JSON.stringify(info, null, 2));
          ctx.out(`${info.engine === "sqlite" ? "SQLite" : "PostgreSQL"} store at ${info.location}`);
          ctx.out(`Schema: ${Object.entries(info.schema).map(([a, v]) => `${a} v${v}`).join(", ")}`);
          ctx.out(info.latestScan ? `Latest scan: #${info.latestScan.id}, ${info.latestScan.finished_at ?? info.latestScan.started_at} (${info.latestScan.rules} rules)` : "No scan yet.");
          ctx.out(renderTable(["TABLE", "ROWS", "HOLDS"], info.tables.map((t) => [t.name, t.rows.toLocaleString("en-US"), MEANING[t.name] ?? ""])));
        });
      });
    group
      .command("copy")
      .description("copy everything (fleet, scans and findings, suppressions, alerts and their history, advisories, SBOMs, assessments) into a new, empty store")
      .option("--from <url>", "the store to copy (default: --store, LONGWATCH_STORE or the data folder's)")
      .requiredOption("--to <url>", "the empty store to fill, e.g. postgres://longwatch@db:5432/longwatch")
      .action(async (o: { from?: string; to: string }, cmd: Command) => {
        const fromUrl = o.from ?? storeChoice(cmd, ctx).url;
        if (fromUrl === o.to) throw new UsageError("--from and --to name the same store");
        const from = await openCliStore(ctx, fromUrl, { mustExist: true });
        if (!from) throw new UsageError(`no Longwatch store at ${fromUrl}`);
        try {
          const to = (await openCliStore(ctx, o.to))!;
          try {
            const progress = new Progress(ctx, "Copying");
            const r = await copyStore(from, to, { onProgress: (table, done, total) => progress.update(done, total) });
            progress.done();
            ctx.out(`Copied ${r.rows.toLocaleString("en-US")} rows in ${r.tables.length} tables from ${from.location} to ${to.location}.`);
            const devices = r.tables.find((t) => t.name === "devices")?.rows ?? 0;
            const findings = r.tables.find((t) => t.name === "findings")?.rows ?? 0;
            const alerts = r.tables.find((t) => t.name === "alerts")?.rows ?? 0;
            ctx.out(`That is ${devices.toLocaleString("en-US")} devices, ${findings.toLocaleString("en-US")} finding rows and ${alerts.toLocaleString("en-US")} alerts. Use it with --store ${to.location}`);
          } finally {
            await to.close();
          }
        } finally {
          await from.close();
        }
      });
  },
};
