/** `longwatch import mud FILE --model M` and `longwatch export mud --model M`: MUD files (RFC 8520) in and out. */
import { readFileSync } from "node:fs";
import { writeOutputFile } from "./output.ts";
import type { Command } from "commander";
import { EXIT } from "../core/exit-codes.ts";
import { exportMud, importMud } from "../flows/mud.ts";
import { parseMud } from "../formats/mud.ts";
import type { CommandModule, ImportKind } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { periodStart } from "./privacy.ts";
import { withExistingStore, withStore } from "./store.ts";

export const mudImport: ImportKind = {
  register(group: Command, ctx: CliContext): void {
    group
      .command("mud")
      .description("a MUD file (RFC 8520, or the pre-RFC access-lists form) as the declared allow-list of a model")
      .argument("<file>", "MUD JSON file")
      .requiredOption("--model <model_id>", "device model it describes")
      .action(async (file: string, o: { model: string }, cmd: Command) => {
        const mud = parseMud(readFileSync(file, "utf8"));
        const errors = mud.issues.filter((i) => i.level === "error");
        for (const i of mud.issues) ctx.err(`${file}: ${i.path}${i.line !== undefined ? ` (line ${i.line})` : ""}: ${i.level}: ${i.message}`);
        if (mud.rules.length === 0) throw new UsageError(`${file}: no usable access-control entries, nothing imported`);
        await withStore(cmd, ctx, async (store) => {
          const existing = (await store.fleet.models()).find((m) => m.model_id === o.model);
          const r = importMud(mud, existing?.flows, file, ctx.now());
          await store.fleet.upsertModels([{ ...(existing ?? { model_id: o.model }), flows: r.declaration }]);
          ctx.out(`Imported ${r.added} destination(s) from ${file} as the MUD allow-list of ${o.model}${mud.meta.url ? ` (${mud.meta.url})` : ""}; ${r.skipped.length} entr${r.skipped.length === 1 ? "y" : "ies"} skipped, ${mud.issues.length - errors.length} warning(s).`);
          if (!existing) ctx.err(`Note: model ${o.model} was not in the store; it was created with only this declaration.`);
          if (errors.length || r.skipped.length) ctx.exit(EXIT.rejected);
        });
      });
  },
};

export const mudExportCommand: CommandModule = {
  register(program, ctx: CliContext) {
    const group = program.commands.find((c) => c.name() === "export") ?? program.command("export").description("write what Longwatch learned in outside formats");
    group
      .command("mud")
      .description("a MUD file (RFC 8520) of the destinations a model's devices were seen to use")
      .requiredOption("--model <model_id>", "device model")
      .option("--min-share <fraction>", "keep destinations used by at least this share of the model's devices", "0.95")
      .option("--since <when>", "period of observed traffic: 30d, 4w or an ISO date", "30d")
      .option("--mud-url <url>", "the MUD URL to write (default: the model's declared mud_url)")
      .option("--out <file>", "write the file here instead of stdout")
      .action(async (o: { model: string; minShare: string; since: string; mudUrl?: string; out?: string }, cmd: Command) => {
        const share = Number(o.minShare);
        if (!(share > 0 && share <= 1)) throw new UsageError(`--min-share: "${o.minShare}" is not a fraction in (0, 1]`);
        const now = ctx.now();
        const since = new Date(periodStart("--since", o.since, now)).toISOString().slice(0, 10);
        const until = new Date(now + 86_400_000).toISOString().slice(0, 10);
        await withExistingStore(cmd, ctx, async (store) => {
          const model = (await store.fleet.models()).find((m) => m.model_id === o.model);
          const mudUrl = o.mudUrl ?? model?.flows?.mud_url;
          if (!mudUrl) throw new UsageError(`model ${o.model} has no mud_url: give --mud-url https://…`);
          const days = await store.flows.modelDays(o.model, since, until);
          const devices = await store.flows.modelDevices(o.model, since, until);
          if (devices === 0) throw new UsageError(`no flows of model ${o.model} recorded since ${since}: run \`longwatch detect\` on its traffic first`);
          // Devices per destination over the period: the largest daily count is a lower bound of the distinct devices.
          const learned = new Map<string, { name: string; isAddress: boolean; local: boolean; port?: number; protocol?: string; devices: number }>();
          for (const d of days) {
            const k = `${d.destination}:${d.port}/${d.protocol}`;
            const l = learned.get(k) ?? { name: d.destination, isAddress: /^[0-9.]+$|:/.test(d.destination), local: d.local, devices: 0, ...(d.port !== undefined ? { port: d.port } : {}), ...(d.protocol !== undefined ? { protocol: d.protocol } : {}) };
            l.devices = Math.max(l.devices, d.devices);
            learned.set(k, l);
          }
          const out = exportMud([...learned.values()], { modelId: o.model, mudUrl, now, devices, minShare: share, ...(model?.manufacturer ? { mfgName: model.manufacturer } : {}), ...(model?.name ? { systeminfo: model.name } : {}), ...(model?.support_end ? { supported: Date.parse(model.support_end) > now } : {}) });
          const text = `${JSON.stringify(out.mud, null, 2)}\n`;
          if (o.out) writeOutputFile(o.out, text);
          else ctx.out(text);
          ctx.err(`MUD file for ${o.model}: ${out.kept.length} destination(s) used by at least ${Math.round(share * 100)} % of ${devices} device(s); ${out.dropped.length} rarer one(s) left out.`);
        });
      });
  },
};
