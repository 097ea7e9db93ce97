/** `longwatch vulns diff` (what a firmware upgrade fixes and introduces) and `longwatch vulns status` (what is loaded). */
import { type Command, Option } from "commander";
import { csvLine } from "../formats/csv.ts";
import { renderTable } from "../report/table.ts";
import { diffFirmware, type FirmwareDiff, MissingSbomError } from "../vulns/diff.ts";
import type { CommandModule } from "./command.ts";
import { UsageError } from "./context.ts";
import { withStore } from "./store.ts";

const FORMATS = ["table", "json", "ndjson", "csv"] as const;
type Format = (typeof FORMATS)[number];

export const vulnsCommand: CommandModule = {
  register(program, ctx) {
    const group = program.command("vulns").description("component vulnerabilities: compare firmware versions, see what is loaded");

    group
      .command("diff")
      .description("what upgrading a model from one firmware version to another fixes, introduces and leaves")
      .requiredOption("--model <model_id>", "device model")
      .requiredOption("--from <version>", "firmware version the devices run now")
      .requiredOption("--to <version>", "firmware version to upgrade to")
      .addOption(new Option("--format <format>", "output format").choices([...FORMATS]).default("table"))
      .action(async (o: { model: string; from: string; to: string; format: Format }, cmd: Command) => {
        await withStore(cmd, ctx, async (store) => {
          let d;
          try {
            d = await diffFirmware(store, o.model, o.from, o.to);
          } catch (e) {
            if (e instanceof MissingSbomError) throw new UsageError(e.message);
            throw e;
          }
          if (o.format === "json") return ctx.out(JSON.stringify(d, null, 2));
          if (o.format === "ndjson") return d.entries.forEach((e) => ctx.out(JSON.stringify({ model_id: d.model_id, from: d.from, to: d.to, ...e })));
          if (o.format === "csv") return ctx.out(diffCsv(d));
          const c = ctx.colors();
          const paint = { fixed: c.green, introduced: c.red, remaining: c.yellow };
          ctx.out(
            renderTable(
              ["CHANGE", "VULNERABILITY", "SEVERITY", "COMPONENT", `${d.from} → ${d.to}`, "FIXED IN"],
              d.entries.map((e) => [
                paint[e.change](e.change),
                `${e.vuln_id}${e.known_exploited ? " (KEV)" : ""}${e.not_affected ? " (VEX: not affected)" : ""}`,
                e.severity,
                e.component,
                `${e.from_version ?? "-"} → ${e.to_version ?? "-"}`,
                e.fixed_in ?? "",
              ]),
            ),
          );
          ctx.out(`\nUpgrading ${d.model_id} from ${d.from} to ${d.to} fixes ${d.counts.fixed}, introduces ${d.counts.introduced} and leaves ${d.counts.remaining} known vulnerabilities.`);
        });
      });

    group
      .command("status")
      .description("SBOMs, advisories, KEV and EPSS in the store, and which firmware in the fleet has no SBOM")
      .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
      .action(async (o: { format: string }, cmd: Command) => {
        await withStore(cmd, ctx, async (store) => {
          const counts = await store.vulns.counts();
          const sboms = await store.vulns.sboms();
          const have = new Set(sboms.map((s) => `${s.model_id}\0${s.firmware_version}`));
          const missing = new Map<string, number>();
          for await (const page of store.fleet.devicePages()) {
            for (const fd of page) {
              const { model_id: m, firmware_version: v } = fd.device;
              if (m === undefined || v === undefined || have.has(`${m}\0${v}`)) continue;
              const k = `${m} ${v}`;
              missing.set(k, (missing.get(k) ?? 0) + 1);
            }
          }
          const feeds = await store.vulns.feedImports();
          if (o.format === "json") return ctx.out(JSON.stringify({ counts, sboms, firmware_without_sbom: Object.fromEntries(missing), feeds }, null, 2));
          ctx.out(`${counts.sboms} firmware inventories (${counts.components} components); ${counts.advisories} advisories (${counts.affected} affected-package entries); ${counts.kev} KEV entries; ${counts.epss} EPSS scores; ${counts.vex} VEX statements`);
          if (sboms.length) ctx.out(`\n${renderTable(["MODEL", "FIRMWARE", "FORMAT", "COMPONENTS", "SOURCE", "IMPORTED"], sboms.map((s) => [s.model_id, s.firmware_version, s.format, String(s.component_count), s.source, s.imported_at]))}`);
          if (missing.size) {
            ctx.out(`\nFirmware in the fleet without a component inventory (its devices cannot be checked for vulnerable components):`);
            ctx.out(renderTable(["MODEL FIRMWARE", "DEVICES"], [...missing].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, String(n)]), { align: ["left", "right"] }));
          }
          const last = new Map<string, string>();
          for (const f of feeds) last.set(f.kind, f.imported_at);
          if (last.size) ctx.out(`\nLast imported: ${[...last].map(([k, t]) => `${k} ${t.slice(0, 10)}`).join(", ")}`);
        });
      });
  },
};

/** `vulns diff --format csv`: one row per vulnerability (component names come from SBOMs: formula cells neutralised). */
export function diffCsv(d: FirmwareDiff): string {
  const cols = ["change", "vuln_id", "severity", "component", "from_version", "to_version", "fixed_in", "known_exploited", "not_affected"] as const;
  return [csvLine([...cols]), ...d.entries.map((e) => csvLine(cols.map((c) => (e[c] === undefined ? "" : String(e[c])))))].join("\n");
}
