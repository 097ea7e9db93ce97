/**
 * `longwatch scan [INVENTORY]`: imports what it is given (models, inventory, credentials), audits the whole stored fleet
 * and reports. Without an inventory it re-audits what the store holds.
 */
import { join } from "node:path";
import { Option } from "commander";
import { allRules } from "../audit/rules/index.ts";
import { runScan as runAuditScan, type ScanOutcome } from "../audit/scan.ts";
import { EXIT } from "../core/exit-codes.ts";
import type { InputIssue } from "../core/input-issue.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";
import { encodingOption } from "./encoding-flag.ts";
import { SEVERITIES, type Severity, severityRank } from "../core/severity.ts";
import { keyedDigester, loadSecretKey } from "../inventory/secrets.ts";
import { MostSerious } from "../report/html.ts";
import { ScanSummary } from "../report/summary.ts";
import { resolveStoreUrl } from "../store/url.ts";
import type { CommandModule } from "./command.ts";
import type { CliContext } from "./context.ts";
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
  encoding?: TextEncodingName;
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
      .addOption(encodingOption("the inventory and credentials files"))
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
  const store = (await openCliStore(ctx, o.store ?? storeUrlOf(o.data)))!;
  const issues = new IssueReporter(ctx, o.rejects ?? join(o.data, "rejects", `${new Date(now).toISOString().replace(/[:.]/g, "-")}.csv`), o.rejects !== undefined);
  try {
    const summary = new ScanSummary();
    const serious = new MostSerious(1000);
    const streaming = !(o.strict && o.credentials);
    const progress = new Map<string, Progress>();
    const unknownModels = new Map<string, number>();
    const outcome = await runAuditScan({
      store,
      rules: allRules,
      now,
      keyedDigest: keyedDigester(loadSecretKey(o.data)),
      ...pick(o, ["inventory", "models", "credentials", "mapping", "config", "strict", "encoding", "prune", "allowOutsideCerts"]),
      onIssue: issues.add,
      onFinding: (f) => {
        if (f.rule === "unknown-model" && f.model_id !== undefined) unknownModels.set(f.model_id, (unknownModels.get(f.model_id) ?? 0) + 1);
        summary.add(f);
        serious.add(f);
      },
      onProgress: (phase, done, total) => {
        let p = progress.get(phase);
        if (!p) progress.set(phase, (p = new Progress(ctx, phase === "import" ? `${streaming ? "Importing and auditing" : "Importing"} ${o.inventory}` : "Auditing")));
        if (phase === "import") p.update(done, total, "bytes");
        else p.update(done, total);
      },
    });
    for (const p of progress.values()) p.done();
    if (outcome.stopped) {
      ctx.err(`--strict: stopped at the first rejected record; no device was imported and nothing was audited.`);
      ctx.exit(EXIT.rejected);
      return {};
    }
    const result = outcome.audit;
    if (unknownModels.size) {
      const named = [...unknownModels].sort((a, b) => b[1] - a[1]);
      const shown = named.slice(0, 5).map(([m, n]) => `"${m}" (${n.toLocaleString("en-US")} device${n > 1 ? "s" : ""})`).join(", ");
      ctx.err(`${ctx.colors("stderr").yellow("warning")} devices name models that are not imported: ${shown}${named.length > 5 ? ` and ${named.length - 5} more` : ""}; their model rules were not checked (unknown-model findings; give --models)`);
    }
    for (const f of result.fixed) summary.add(f);
    const imports = importLines(o, outcome);
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
      devices: outcome.fleetSize,
    });
    if (issues.errors + issues.fieldsDropped > 0) ctx.exit(EXIT.rejected);
    const worst = summary.worstSeverity();
    if (o.failOn && worst && severityRank(worst) >= severityRank(o.failOn)) {
      ctx.err(`--fail-on ${o.failOn}: open findings of severity ${o.failOn} or above (the most severe: ${worst})`);
      ctx.exit(EXIT.threshold);
    }
    return written !== undefined ? { reportFile: written } : {};
  } finally {
    issues.close();
    await store.close();
  }
}

/** The summary's lines about what was imported. */
function importLines(o: { models?: string; inventory?: string; credentials?: string; prune?: boolean }, r: Exclude<ScanOutcome, { stopped: InputIssue }>): string[] {
  const lines: string[] = [];
  if (r.models) lines.push(`${o.models}: ${r.models.imported} models imported${r.models.rejected ? `, ${r.models.rejected} rejected` : ""}`);
  const d = r.devices;
  if (d) {
    const certs = d.certificates.loaded + d.certificates.rejected ? `; certificates: ${d.certificates.loaded} loaded, ${d.certificates.rejected} rejected` : "";
    const dropped = d.fieldsDropped ? `, ${d.fieldsDropped} invalid field${d.fieldsDropped > 1 ? "s" : ""} left out` : "";
    lines.push(`${o.inventory}: ${d.imported.toLocaleString("en-US")} devices imported${dropped}, ${d.rejected} rejected${certs}`);
    if (d.missing && d.missing.missingCount > 0) {
      lines.push(
        o.prune
          ? `${d.missing.missingCount} devices no longer in the inventory were deleted`
          : `${d.missing.missingCount} stored devices are not in this inventory (kept; e.g. ${d.missing.missingSample.slice(0, 3).join(", ")}; --prune deletes them)`,
      );
    }
  }
  if (r.credentials) lines.push(`${o.credentials}: ${r.credentials.imported} credentials imported${r.credentials.rejected ? `, ${r.credentials.rejected} rejected` : ""}`);
  return lines;
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
