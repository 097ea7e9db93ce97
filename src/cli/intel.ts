/** `longwatch intel export|import`: share what the fleet saw as STIX 2.1, and watch for what others shared. */
import { readFileSync } from "node:fs";
import { writeOutputFile } from "./output.ts";
import { basename } from "node:path";
import { type Command, Option } from "commander";
import { EXIT } from "../core/exit-codes.ts";
import { allDetectors } from "../detect/detectors/index.ts";
import { allRules } from "../audit/rules/index.ts";
import { exportIntel, type IntelExportOptions } from "../intel/export.ts";
import type { StoreTx } from "../store/store.ts";
import { importIntel } from "../intel/import.ts";
import { TLP_LEVELS, TLP_V1, type TlpLevel } from "../intel/stix.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { periodStart } from "./privacy.ts";
import { withExistingStore, withStore } from "./store.ts";

/** Devices with an open (not suppressed) finding of each rule that cites ATT&CK ids, in the latest scan. */
async function exposureOf(store: StoreTx): Promise<NonNullable<IntelExportOptions["exposure"]> | undefined> {
  const scan = await store.findings.latestScan();
  if (!scan) return undefined;
  const cited = new Map(allRules.filter((r) => r.attack?.length).map((r) => [r.id, r]));
  const devices = new Map<string, Set<string>>();
  for await (const page of store.findings.current()) {
    for (const f of page) {
      if (!cited.has(f.rule) || f.status === "suppressed") continue;
      let set = devices.get(f.rule);
      if (!set) devices.set(f.rule, (set = new Set()));
      if (f.device_id !== undefined) set.add(f.device_id);
      for (const d of f.devices ?? []) set.add(d);
    }
  }
  return { at: Date.parse(scan.finished_at ?? scan.started_at), rules: [...devices].map(([id, set]) => ({ rule: cited.get(id)!, devices: set.size })) };
}

export const intelCommand: CommandModule = {
  register(program, ctx: CliContext) {
    const group = program.command("intel").description("threat-intelligence sharing: STIX 2.1 out (indicators, device-count sightings) and in (watchlists)");
    group
      .command("export")
      .description("write a STIX 2.1 bundle of what detection saw: indicators, sightings with device counts (never device ids), ATT&CK patterns")
      .option("--since <when>", "alerts whose last sighting is in this period: 7d, 24h or an ISO date", "7d")
      .addOption(new Option("--tlp <level>", "TLP 2.0 marking of everything in the bundle").choices(TLP_LEVELS).default("amber"))
      .addOption(new Option("--tlp-version <n>", "2: TLP 2.0 markings (OASIS extension); 1: the STIX 2.1 spec's TLP 1.0 ones, for older tools").choices(["1", "2"]).default("2"))
      .addOption(new Option("--format <format>", "output format").choices(["stix"]).default("stix"))
      .option("--producer <name>", "the identity that shares (default LONGWATCH_PRODUCER or 'Longwatch user')")
      .option("--min-confidence <n>", "leave out alerts less confident than this (0-1)", "0")
      .option("--exposure", "also share the fleet's posture: per audit rule that cites ATT&CK ids, how many devices the latest scan found open to it (counts only)")
      .option("--out <file>", "write the bundle here instead of stdout")
      .action(async (o: { since: string; tlp: TlpLevel; tlpVersion: "1" | "2"; producer?: string; minConfidence: string; exposure?: boolean; out?: string }, cmd: Command) => {
        const tlpVersion = o.tlpVersion === "1" ? 1 : 2;
        if (tlpVersion === 1 && !TLP_V1[o.tlp]) throw new UsageError(`--tlp ${o.tlp}: TLP 1.0 has no such level; use --tlp-version 2`);
        const since = new Date(periodStart("--since", o.since, ctx.now())).toISOString();
        const min = Number(o.minConfidence);
        if (!(min >= 0 && min <= 1)) throw new UsageError(`--min-confidence: "${o.minConfidence}" is not between 0 and 1`);
        await withExistingStore(cmd, ctx, async (store) => {
          const alerts = (await store.alerts.list({ limit: 1_000_000 })).filter((a) => a.last_seen >= since);
          const exposure = o.exposure ? await exposureOf(store) : undefined;
          if (o.exposure && !exposure) ctx.err("--exposure: no audit scan is stored yet (run `longwatch scan`), so no posture is shared.");
          const r = exportIntel({ alerts, detectors: allDetectors, producer: o.producer ?? ctx.io.env.LONGWATCH_PRODUCER ?? "Longwatch user", tlp: o.tlp, tlpVersion, minConfidence: min, ...(exposure ? { exposure } : {}) });
          const text = `${JSON.stringify(r.bundle, null, 2)}\n`;
          if (o.out) writeOutputFile(o.out, text);
          else ctx.out(text);
          ctx.err(`STIX 2.1 bundle (TLP:${tlpVersion === 1 && o.tlp === "clear" ? "WHITE" : o.tlp.toUpperCase()}${tlpVersion === 1 ? ", TLP 1.0 marking" : ""}): ${r.indicators} indicator(s), ${r.sightings} sighting(s) from ${alerts.length} alert(s) since ${since}; ${r.skipped.length} alert(s) left out (false/benign positives, no endpoint).`);
        });
      });
    group
      .command("import")
      .description("load STIX 2.1 indicators (IP addresses, blocks, domains, URLs) as a watchlist that detection alerts on (watchlist-hit)")
      .argument("<file>", "STIX 2.1 bundle or indicator (JSON)")
      .option("--source <name>", "name of the source (default: the bundle's producer identity, else the file name)")
      .action(async (file: string, o: { source?: string }, cmd: Command) => {
        const r = importIntel(readFileSync(file, "utf8"), basename(file), ctx.now());
        const source = o.source ?? r.source;
        for (const s of r.skipped) ctx.err(`${file}: ${s.id}: skipped: ${s.why}`);
        if (r.indicators === 0 && r.skipped.length) throw new UsageError(`${file}: ${r.skipped[0]!.why}`);
        await withStore(cmd, ctx, async (store) => {
          const n = await store.flows.replaceWatchlist(source, r.entries.map((e) => ({ ...e, source })), new Date(ctx.now()).toISOString());
          ctx.out(`Watchlist "${source}": ${n} entr${n === 1 ? "y" : "ies"} from ${r.indicators - r.skipped.length} of ${r.indicators} indicator(s); \`longwatch detect\` now alerts on them (watchlist-hit).`);
        });
        if (r.skipped.length) ctx.exit(EXIT.rejected);
      });
  },
};
