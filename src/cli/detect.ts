/**
 * `longwatch detect FILE…`: replays records (CSV, NDJSON, Zeek conn.log, Device Defender reports) through the
 * detection engine in event-time order and reports the alerts. Learns per device across runs with --state, applies
 * verdicts and suppressions from the store, and stores the alerts for `longwatch alerts`.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type Command, Option } from "commander";
import { z } from "zod";
import { parseIsoDate } from "../core/dates.ts";
import { EXIT } from "../core/exit-codes.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";
import { readYamlText, yamlProblemText } from "../formats/yaml.ts";
import { RECORD_KINDS } from "../core/record.ts";
import { SEVERITIES, type Severity, severityRank } from "../core/severity.ts";
import { allDetectors } from "../detect/detectors/index.ts";
import { type DetectInventory, readInventoryFiles } from "../detect/inventory.ts";
import { KIND } from "../detect/read/fields.ts";
import { ColumnMappingSchema } from "../detect/read/mapping.ts";
import { loadReference } from "../detect/reference.ts";
import { detectWithStore } from "../detect/stored-run.ts";
import { countedInputs } from "../flows/inputs.ts";
import { buildFlowContext, observations, skipCountedInputs } from "../flows/setup.ts";
import { Watchlist } from "../intel/watchlist.ts";
import { ALERT_FORMATS, type AlertFormat, renderAlerts } from "./alert-output.ts";
import type { CommandModule } from "./command.ts";
import { encodingOption } from "./encoding-flag.ts";
import { type CliContext, UsageError } from "./context.ts";
import { summarizeRun } from "./detect-summary.ts";
import { IssueReporter } from "./issues.ts";
import { openCliStore, type StoreChoice, storeChoice } from "./store.ts";

interface DetectFlags {
  inventory?: string;
  models?: string;
  mapping?: string;
  kind?: string;
  since?: string;
  until?: string;
  state?: string;
  format: AlertFormat;
  localNet?: string[];
  reorderWindow?: string;
  maxFuture: string;
  maxPast?: string;
  sortMemory: string;
  dedupWindow: string;
  detectors?: string;
  config?: string;
  tacClasses?: string[];
  rejects?: string;
  store: boolean;
  flows?: string;
  geoip?: string;
  dnsLog?: string;
  trackers?: string[];
  failOn?: Severity;
  workers?: string;
  encoding?: TextEncodingName;
}

const ConfigSchema = z
  .object({
    detectors: z.record(z.string(), z.record(z.string(), z.unknown())).default({}).describe("Parameters per detector id."),
    disable: z.array(z.string()).default([]),
    local_nets: z.array(z.string()).optional(),
  })
  .strict();

export const detectCommand: CommandModule = {
  register(program, ctx) {
    program
      .command("detect")
      .description("replay connectivity, flow, broker and metric records through behaviour detection and report alerts")
      .argument("<files...>", "record files: CSV, NDJSON, Zeek conn.log, Device Defender metrics reports (.json)")
      .option("--inventory <file>", "devices (CSV/JSON/NDJSON) to resolve identifiers through (default: the devices in the store)")
      .option("--models <file>", "device models (YAML/JSON): data_only SIMs, fleet-wide baselines per model")
      .option("--mapping <file>", "YAML column mapping for CSV exports whose columns differ (e.g. a provider's CDRs)")
      .addOption(encodingOption("the record files"))
      .addOption(new Option("--kind <kind>", "kind of every record, when files have no kind column and it cannot be inferred").choices([...RECORD_KINDS]))
      .option("--since <time>", "ignore records before this ISO 8601 time")
      .option("--until <time>", "ignore records at or after this ISO 8601 time")
      .option("--state <dir>", "restore learned baselines from this folder before, and save them after")
      .addOption(new Option("--format <format>", "output format").choices([...ALERT_FORMATS]).default("table"))
      .option("--local-net <cidr...>", "networks the devices live in (default: private IPv4 and IPv6 ranges)")
      .addOption(new Option("--reorder-window <seconds>", "no longer needed: records are sorted by event time").hideHelp())
      .option("--max-future <hours>", "reject records dated more than this far after now (LONGWATCH_NOW, else the clock): an implausible time must not move detection's clock", "24")
      .option("--max-past <days>", "reject records dated more than this long before now (LONGWATCH_NOW, else the clock), e.g. a device clock that was never set and reports 1970 (default: no bound)")
      .option("--sort-memory <MiB>", "memory for sorting inputs that are not in time order; beyond it, sorted runs go to temporary files", "256")
      .option("--dedup-window <minutes>", "repeats of an alert within this time of its last sighting are counted, not re-raised", "1440")
      .option("--detectors <ids>", "comma-separated detector ids to run (default: all; `longwatch detectors` lists them)")
      .option("--config <file>", "YAML: detector parameters (detectors: {id: {param: value}}), disable: [ids], local_nets")
      .option("--tac-classes <file...>", "extra TAC → module/handset tables (CSV tac,class)")
      .option("--rejects <file>", "write every rejected record (file, line, reason) to this CSV")
      .option("--flows <file>", "declared flows per model (flows.yaml; see docs/privacy.md); models.yaml `flows:` and imported MUD files count too")
      .option("--geoip <file.mmdb>", "MaxMind-format country database, for data-residency and the privacy report")
      .option("--dns-log <file>", "Zeek dns.log (or NDJSON query/answers) to name destinations flows give only as addresses")
      .option("--trackers <file...>", "more tracker lists (CSV domain,owner,category; Tracker Radar tds.json; Disconnect services.json)")
      .option("--no-store", "do not read verdicts/suppressions from, or write alerts to, the store")
      .option("--workers <n>", "split the replay over n threads by device partition, as scale-out workers split a stream (same alerts)")
      .addOption(new Option("--fail-on <severity>", "exit with code 4 when an alert is at least this severe").choices([...SEVERITIES]))
      .action(async (files: string[], o: DetectFlags, cmd: Command) => {
        await runDetect(ctx, files, o, storeChoice(cmd, ctx));
      });
  },
};

function readYaml(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    // A file that cannot be read reads as it does in every command (`PATH: no such file`, exit 1: main.ts).
    if (typeof (e as NodeJS.ErrnoException).code === "string" && (e as NodeJS.ErrnoException).path !== undefined) throw e;
    throw new UsageError(`${what} ${file}: ${(e as Error).message}`);
  }
  const read = readYamlText(text, { uniqueKeys: false });
  if (!read.ok) throw new UsageError(`${what} ${yamlProblemText(file, read)}`);
  return read.value;
}

function parseTime(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseIsoDate(v);
  if (ms === undefined) throw new UsageError(`${flag}: "${v}" is not an ISO 8601 date or date-time`);
  return ms;
}

function workerCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--workers: "${v}" is not a whole number from 1 to 64`);
  return n;
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag}: "${v}" is not a non-negative number`);
  return n;
}

export async function runDetect(ctx: CliContext, files: string[], o: DetectFlags, where: StoreChoice): Promise<void> {
  const data = where.dataDir;
  const mapping = o.mapping ? ColumnMappingSchema.safeParse(readYaml(o.mapping, "--mapping")) : undefined;
  if (mapping && !mapping.success) throw new UsageError(`--mapping ${o.mapping}: ${mapping.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const config = o.config ? ConfigSchema.safeParse(readYaml(o.config, "--config") ?? {}) : undefined;
  if (config && !config.success) throw new UsageError(`--config ${o.config}: ${config.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const known = new Set<string>(allDetectors.map((d) => d.id));
  const chosen = o.detectors ? o.detectors.split(",").map((s) => s.trim()).filter(Boolean) : [...known];
  for (const id of [...chosen, ...(config?.data.disable ?? []), ...Object.keys(config?.data.detectors ?? {})]) {
    if (!known.has(id)) throw new UsageError(`no detector "${id}"; \`longwatch detectors\` lists them`);
  }
  const detectors = chosen.filter((id) => !config?.data.disable.includes(id));
  const since = parseTime("--since", o.since);
  const until = parseTime("--until", o.until);
  const now = ctx.now();
  const issues = new IssueReporter(ctx, o.rejects ?? join(data, "rejects", `detect-${new Date(now).toISOString().replace(/[:.]/g, "-")}.csv`), o.rejects !== undefined, 20);
  const reasons = new Map<string, number>();
  const store = o.store ? await openCliStore(ctx, where.url) : undefined;
  try {
    const given: DetectInventory | undefined = o.inventory || o.models ? await readInventoryFiles(o.inventory, o.models, issues.add) : undefined;
    const localNets = o.localNet ?? config?.data.local_nets;
    const watched = store ? await store.flows.watchlist() : [];
    const now0 = new Date(now).toISOString();
    const watchlist = watched.length ? new Watchlist(watched.filter((w) => w.valid_until === undefined || w.valid_until > now0)) : undefined;
    let flows: ReturnType<typeof buildFlowContext> | undefined;
    let inputs: Awaited<ReturnType<typeof skipCountedInputs>> | undefined;
    const result = await detectWithStore({
      ...(store ? { store } : {}),
      ...(given ? { inventory: given } : {}),
      at: now0,
      files,
      detectors,
      ...(config?.data.detectors ? { params: config.data.detectors } : {}),
      ...(localNets ? { localNets } : {}),
      now,
      maxFutureMs: positive("--max-future", o.maxFuture) * 3_600_000,
      ...(o.maxPast !== undefined ? { maxPastMs: positive("--max-past", o.maxPast) * 86_400_000 } : {}),
      sort: { memoryBytes: positive("--sort-memory", o.sortMemory) * 2 ** 20 },
      dedupWindowMs: positive("--dedup-window", o.dedupWindow) * 60_000,
      ...(mapping ? { mapping: mapping.data! } : {}),
      ...(o.encoding ? { encoding: o.encoding } : {}),
      ...(o.kind ? { kind: KIND[o.kind as keyof typeof KIND] } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(o.state ? { stateDir: o.state } : {}),
      warn: (message) => ctx.err(`longwatch: warning: ${message}`),
      ...(o.workers !== undefined ? { workers: workerCount(o.workers) } : {}),
      // Flow declarations live on the models, so the flow context is built once the inventory is known.
      reference: async (inventory) => {
        const hasDeclarations = inventory?.models.some((m) => m.flows !== undefined) ?? false;
        // Tracker lists given alone count too: they name the parties of the flows (and a missing one is an error).
        if (hasDeclarations || o.flows || o.geoip || o.dnsLog || o.trackers?.length) {
          flows = buildFlowContext({ models: inventory?.models ?? [], ...(o.flows ? { flowsFile: o.flows } : {}), ...(o.geoip ? { geoip: o.geoip } : {}), ...(o.dnsLog ? { dnsLog: o.dnsLog } : {}), ...(o.trackers ? { trackers: o.trackers } : {}), ...(localNets ? { localNets } : {}), warn: (m) => ctx.err(`longwatch: warning: ${m}`) });
          if (store) inputs = await skipCountedInputs(store, files, flows);
        }
        return { ...loadReference(o.tacClasses ? { tacClasses: o.tacClasses } : {}), ...(flows ? { flows } : {}), ...(watchlist ? { watchlist } : {}) };
      },
      afterRun: async (r, tx) => {
        if (flows) await tx.flows.record(observations(flows, r.engine.index));
        if (flows && inputs) await tx.flows.saveInputs(countedInputs(inputs.marks, inputs.plan, flows.linesCounted, now0), inputs.plan.replaces);
      },
      onReject: (file, line, reason, _text) => {
        const category = reason.replace(/"[^"]*"/g, "…").replace(/\d+ s behind.*$/, "behind the reorder window");
        reasons.set(category, (reasons.get(category) ?? 0) + 1);
        issues.add({ file, line, reason, level: "error" });
      },
    });
    ctx.out(renderAlerts(result.alerts, o.format, ctx.colors()));
    ctx.err(summarizeRun(result, files, reasons, issues.close(), o.state, ctx.colors("stderr")));
    if (result.replay.rejected > 0) ctx.exit(EXIT.rejected);
    // A run that read nothing lost its input somewhere (an empty export, a header only, an unreadable layout): say so.
    if (result.replay.read === 0 && files.length > 0) {
      const n = result.replay.rejected;
      const why = n > 0 ? `${n === 1 ? "the one record was" : `all ${n.toLocaleString("en-US")} records were`} rejected (the reasons are above)` : "the input is empty, holds only a header, or is not detection records";
      ctx.err(`longwatch: no record was read from ${files.map((f) => basename(f)).join(", ")}: ${why}`);
      ctx.exit(EXIT.rejected);
    }
    if (o.failOn && result.alerts.some((a) => a.state !== "resolved" && severityRank(a.severity) >= severityRank(o.failOn!))) ctx.exit(EXIT.threshold);
  } finally {
    await store?.close();
  }
}
