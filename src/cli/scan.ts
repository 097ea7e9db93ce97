/**
 * `longwatch scan [INVENTORY]`: imports what it is given (models, inventory, credentials), audits the whole stored fleet
 * and reports. Without an inventory it re-audits what the store holds.
 */
import { join } from "node:path";
import { Option } from "commander";
import { type ScanConfig, loadScanConfig } from "../audit/config-file.ts";
import { type AuditOptions, type AuditResult, type AuditSession, beginAudit, runAudit } from "../audit/engine.ts";
import { allRules } from "../audit/rules/index.ts";
import { DeviceSchema } from "../core/fleet.ts";
import { EXIT } from "../core/exit-codes.ts";
import { SEVERITIES, type Severity, severityRank } from "../core/severity.ts";
import { importCredentials } from "../inventory/credentials.ts";
import { importDevices } from "../inventory/devices.ts";
import { loadMapping } from "../inventory/mapping.ts";
import { importModels } from "../inventory/models.ts";
import { keyedDigester, loadSecretKey } from "../inventory/secrets.ts";
import { MostSerious } from "../report/html.ts";
import { ScanSummary } from "../report/summary.ts";
import type { FleetDevice, StoreTx } from "../store/store.ts";
import { resolveStoreUrl } from "../store/url.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { IssueReporter } from "./issues.ts";
import { Progress } from "./progress.ts";
import { type OutputFormat, writeScanOutput } from "./scan-output.ts";
import { openCliStore, storeChoice } from "./store.ts";

export interface ScanOptions {
  /** The data folder (secret key, rejects files). */
  data: string;
  /** The store's URL. */
  store: string;
  inventory?: string;
  models?: string;
  credentials?: string;
  mapping?: string;
  config?: string;
  format: OutputFormat;
  out?: string;
  failOn?: Severity;
  strict?: boolean;
  prune?: boolean;
  rejects?: string;
  allowOutsideCerts?: boolean;
  now?: string;
  title?: string;
}

export const scanCommand: CommandModule = {
  register(program, ctx) {
    program
      .command("scan")
      .description("import an inventory (optional) and audit the fleet: a prioritised list of its security problems")
      .argument("[inventory]", "devices as CSV, JSON or NDJSON (canonical columns, or --mapping for your own)")
      .option("--models <file>", "device models (YAML or JSON)")
      .option("--credentials <file>", "credentials (CSV, JSON or NDJSON); plaintext passwords are hashed at once")
      .option("--mapping <file>", "YAML mapping from your inventory's columns and values to Longwatch's")
      .option("--config <file>", "rule settings and suppressions (YAML)")
      .addOption(new Option("--format <format>", "output format").choices(["table", "json", "ndjson", "csv", "sarif", "html"]).default("table"))
      .option("--out <file>", "write the report to a file (the summary still goes to the terminal)")
      .addOption(new Option("--fail-on <severity>", "exit with code 4 when an open finding is at least this severe").choices([...SEVERITIES]))
      .option("--strict", "stop at the first rejected record and change nothing")
      .option("--prune", "delete stored devices that the inventory no longer contains")
      .option("--rejects <file>", "write every rejected record (file, line, column, reason) to this CSV")
      .option("--allow-outside-certs", "let cert_file paths point outside the inventory's folder")
      .option("--now <date>", "audit as of this date (ISO 8601), for reproducible reports")
      .action(async (inventory: string | undefined, o: Omit<ScanOptions, "data" | "inventory">, cmd) => {
        const where = storeChoice(cmd, ctx);
        await runScan(ctx, { ...o, data: where.dataDir, store: where.url, ...(inventory !== undefined ? { inventory } : {}) });
      });
  },
};

function storeUrlOf(data: string): string {
  return resolveStoreUrl({ dataDir: data });
}

export async function runScan(ctx: CliContext, o: Omit<ScanOptions, "store"> & { store?: string }): Promise<{ reportFile?: string }> {
  const now = ctx.now(o.now);
  const config: ScanConfig = o.config ? loadScanConfig(o.config, allRules) : { settings: new Map(), suppressions: [] };
  const mapping = o.mapping ? loadMapping(o.mapping, Object.keys(DeviceSchema.shape)) : undefined;
  if (mapping && !o.inventory) throw new UsageError("--mapping needs an inventory file");
  const store = (await openCliStore(ctx, o.store ?? storeUrlOf(o.data)))!;
  const issues = new IssueReporter(ctx, o.rejects ?? join(o.data, "rejects", `${new Date(now).toISOString().replace(/[:.]/g, "-")}.csv`), o.rejects !== undefined);
  const imports: string[] = [];
  try {
    const keyedDigest = keyedDigester(loadSecretKey(o.data));
    if (o.models) {
      const r = await importModels(store, o.models, issues.add);
      imports.push(`${o.models}: ${r.imported} models imported${r.rejected ? `, ${r.rejected} rejected` : ""}`);
    }
    // Credentials first, so that the inventory can be audited while it streams in (whether their devices exist is
    // checked once the inventory is in). Under --strict they wait until the inventory passed, as a stop must leave
    // them out too; the audit then runs over the store afterwards.
    const streamAudit = !(o.strict && o.credentials);
    const importCreds = (into: StoreTx, deferDeviceCheck: boolean) => importCredentials({ store: into, file: o.credentials!, keyedDigest, onIssue: issues.add, deferDeviceCheck });
    let credentials = o.credentials && streamAudit ? await importCreds(store, true) : undefined;

    const summary = new ScanSummary();
    const serious = new MostSerious(1000);
    const auditOptions: AuditOptions = {
      store,
      rules: allRules,
      now,
      keyedDigest,
      settings: config.settings,
      extraSuppressions: config.suppressions,
      onFinding: (f) => {
        summary.add(f);
        serious.add(f);
      },
    };
    // The whole scan is one transaction: the import, the audit begun with its first batch (so a --strict stop, which
    // rolls the import back, leaves no scan behind either), the rest of the fleet and the scan's end. A failure or a
    // crash anywhere leaves the store as it was.
    const outcome = await store.transaction(async (tx): Promise<{ stopped: true } | { stopped: false; result: AuditResult; devices: number }> => {
      let audit: AuditSession | undefined;
      const txAudit = { ...auditOptions, store: tx };
      if (o.inventory) {
        const progress = new Progress(ctx, `${streamAudit ? "Importing and auditing" : "Importing"} ${o.inventory}`);
        const r = await importDevices({
          store: tx,
          file: o.inventory,
          certificates: { allowOutside: o.allowOutsideCerts === true },
          onIssue: issues.add,
          onProgress: (done, total) => progress.update(done, total, "bytes"),
          ...(streamAudit
            ? {
                // The scan belongs to the outer transaction (it outlives the import's nested one).
                onImported: async (devices: FleetDevice[]) => {
                  audit ??= await beginAudit(txAudit);
                  await audit.devices(devices);
                },
              }
            : {}),
          ...(mapping ? { mapping } : {}),
          ...(o.strict ? { strict: true } : {}),
          ...(o.prune ? { prune: true } : {}),
        });
        progress.done();
        if (r.stopped) return { stopped: true };
        const certs = r.certificates.loaded + r.certificates.rejected ? `; certificates: ${r.certificates.loaded} loaded, ${r.certificates.rejected} rejected` : "";
        imports.push(`${o.inventory}: ${r.imported.toLocaleString("en-US")} devices imported, ${r.rejected} rejected${certs}`);
        if (r.missing && r.missing.missingCount > 0) {
          imports.push(
            o.prune
              ? `${r.missing.missingCount} devices no longer in the inventory were deleted`
              : `${r.missing.missingCount} stored devices are not in this inventory (kept; e.g. ${r.missing.missingSample.slice(0, 3).join(", ")}; --prune deletes them)`,
          );
        }
        // The stored devices this import did not contain are audited too.
        if (streamAudit && r.missing && r.missing.missingCount > 0 && !o.prune) {
          audit ??= await beginAudit(txAudit);
          for await (const page of tx.fleet.devicePages(5000, { exceptImport: r.missing.importId })) await audit.devices(page);
        }
      }
      if (o.credentials && !credentials) credentials = await importCreds(tx, false); // checks its devices itself
      else await credentials?.checkDevices(tx);
      if (credentials) {
        imports.push(`${o.credentials}: ${credentials.imported} credentials imported${credentials.rejected ? `, ${credentials.rejected} rejected` : ""}`);
      }
      const counts = await tx.fleet.counts();
      if (counts.devices === 0) throw new UsageError("the store holds no devices: give an inventory file (longwatch scan devices.csv)");
      if (audit) return { stopped: false, result: await audit.finish(), devices: counts.devices };
      // Nothing streamed (no inventory given, an empty one, or --strict with credentials): audit what the store holds.
      const progress = new Progress(ctx, "Auditing");
      const result = await runAudit({ ...txAudit, onProgress: (done) => progress.update(done, counts.devices) });
      progress.done();
      return { stopped: false, result, devices: counts.devices };
    });
    if (outcome.stopped) {
      ctx.err(`--strict: stopped at the first rejected record; no device was imported and nothing was audited.`);
      ctx.exit(EXIT.rejected);
      return {};
    }
    const { result } = outcome;
    for (const f of result.fixed) summary.add(f);
    const rejectsLine = issues.close();
    if (rejectsLine) imports.push(rejectsLine);

    const written = await writeScanOutput(ctx, store, {
      format: o.format,
      ...(o.out !== undefined ? { out: o.out } : {}),
      title: o.title ?? "Longwatch fleet security report",
      now,
      result,
      summary,
      serious: serious.list(),
      imports,
      devices: outcome.devices,
    });
    if (issues.errors > 0) ctx.exit(EXIT.rejected);
    const worst = summary.worstSeverity();
    if (o.failOn && worst && severityRank(worst) >= severityRank(o.failOn)) {
      ctx.err(`--fail-on ${o.failOn}: open findings of severity ${worst} or above`);
      ctx.exit(EXIT.threshold);
    }
    return written !== undefined ? { reportFile: written } : {};
  } finally {
    issues.close();
    await store.close();
  }
}
