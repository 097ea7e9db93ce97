/**
 * `longwatch whatif`: plan for the worst. `whatif compromise TARGET` answers which devices fall if a CA, certificate,
 * firmware image, component, credential, endpoint, model or provider is compromised; `whatif --all` ranks the
 * largest blast radius of every CA, credential, firmware image, component and endpoint. Read-only: nothing is changed.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { createColors } from "picocolors";
import { loadRespondSettings } from "../respond/config.ts";
import type { RespondDeps } from "../respond/context.ts";
import { compromiseHtml, compromiseText, rankingHtml, rankingText } from "../report/whatif.ts";
import { compromise } from "../whatif/compromise.ts";
import { RANKABLE_KINDS, RANKED_KINDS, rankAll, type RankableKind } from "../whatif/rank.ts";
import { rankAndStore, STORED_PER_KIND } from "../whatif/stored.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { withExistingStore } from "./store.ts";

interface Common {
  config?: string;
  format: string;
  out?: string;
}

async function withDeps<T>(ctx: CliContext, cmd: Command, o: Common, fn: (d: RespondDeps) => Promise<T>): Promise<T> {
  const file = o.config ?? ctx.io.env.LONGWATCH_CONFIG;
  const settings = loadRespondSettings(file === undefined ? undefined : resolve(ctx.io.cwd, file));
  return withExistingStore(cmd, ctx, (store) => fn({ store, settings, env: ctx.io.env, now: () => ctx.now() }));
}

function emit(ctx: CliContext, o: Common, text: string): void {
  if (o.out === undefined) return ctx.out(text);
  writeFileSync(resolve(ctx.io.cwd, o.out), text.endsWith("\n") ? text : `${text}\n`);
  ctx.err(`Wrote ${o.out}`);
}

const FORMATS = ["table", "json", "ndjson", "html"] as const;

export const whatifCommand: CommandModule = {
  register(program, ctx) {
    const g = program
      .command("whatif")
      .description("plan for the worst: which devices fall if a key, credential, firmware, component or endpoint is compromised")
      .addHelpText("after", "\nWithout a subcommand, `rank` runs: longwatch whatif --all [--kinds ca,credential,…] [--limit N]");

    g.command("rank", { isDefault: true })
      .description("rank the blast radius of every CA, credential, firmware image, component and endpoint")
      .option("--all", "rank every node (the default when no subcommand is given)")
      .option("--kinds <list>", `comma-separated kinds to rank (default ${RANKED_KINDS.join(",")}; also ${RANKABLE_KINDS.filter((k) => !(RANKED_KINDS as readonly string[]).includes(k)).join(", ")})`)
      .option("--limit <n>", "show the largest N (default 25; 0 for all)", "25")
      .option("--no-save", "do not keep the ranking in the store (by default it replaces the stored ranking of the kinds ranked, which the dashboard and API read)")
      .option("--config <file>", "config file (also LONGWATCH_CONFIG)")
      .addOption(new Option("--format <f>").choices([...FORMATS]).default("table"))
      .option("--out <file>", "write the report to a file")
      .action(async (o: Common & { all?: boolean; kinds?: string; limit: string; save: boolean }, cmd: Command) => {
        const kinds = o.kinds?.split(",").map((k) => k.trim()).filter(Boolean);
        for (const k of kinds ?? []) if (!(RANKABLE_KINDS as readonly string[]).includes(k)) throw new UsageError(`--kinds: "${k}" is not one of ${RANKABLE_KINDS.join(", ")}`);
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 0) throw new UsageError("--limit: a whole number, 0 for all");
        await withDeps(ctx, cmd, o, async (d) => {
          // Ranked whole and stored (whatif/stored.ts) for the dashboard and API, then cut to the limit for showing.
          const ranked = (kinds as RankableKind[] | undefined) ?? RANKED_KINDS;
          // Each kind's largest nodes suffice for the largest `limit` overall; --limit 0 (all) ranks every node.
          const whole = o.save ? await rankAndStore(d.store, { kinds: ranked, now: d.now, source: "whatif", whole: limit === 0 || limit > STORED_PER_KIND }) : await rankAll(d.store, { kinds: ranked, ...(limit > 0 ? { perKind: limit } : {}) });
          const r = limit > 0 ? { ...whole, nodes: whole.nodes.slice(0, limit) } : whole;
          if (o.format === "json") emit(ctx, o, JSON.stringify(r, null, 2));
          else if (o.format === "ndjson") emit(ctx, o, r.nodes.map((x) => JSON.stringify(x)).join("\n"));
          else if (o.format === "html") emit(ctx, o, rankingHtml(r, new Date(d.now()).toISOString()));
          else emit(ctx, o, rankingText(r, o.out ? createColors(false) : ctx.colors()));
        });
      });

    g.command("compromise")
      .description("what falls if TARGET is compromised: devices, data, remote recovery, the response plan (dry run) and time to remediate")
      .argument("<target>", "ca:SHA256|SUBJECT, cert:SHA256, firmware:MODEL@VERSION, component:PURL|NAME@VERSION, credential:DEVICE/SERVICE/USERNAME, endpoint:HOST[:PORT], model:ID, provider:APN|MCCMNC")
      .option("--devices", "list every affected device with its remote-recovery verdict (json; ndjson always lists them)")
      .option("--sample <n>", "dry-run this many targets of each response step", "3")
      .option("--config <file>", "config file with a respond: section (the response budget); also LONGWATCH_CONFIG")
      .addOption(new Option("--format <f>").choices([...FORMATS]).default("table"))
      .option("--out <file>", "write the report to a file")
      .action(async (target: string, o: Common & { devices?: boolean; sample: string }, cmd: Command) => {
        const sample = Number(o.sample);
        if (!Number.isInteger(sample) || sample < 0 || sample > 100) throw new UsageError("--sample: a whole number from 0 to 100");
        await withDeps(ctx, cmd, o, async (d) => {
          const r = await compromise(d, target, { sample, devices: o.devices === true || o.format === "ndjson" });
          if (o.format === "json") emit(ctx, o, JSON.stringify(r, null, 2));
          else if (o.format === "ndjson") {
            const { devices, ...summary } = r;
            emit(ctx, o, [JSON.stringify({ type: "summary", ...summary }), ...(devices ?? []).map((x) => JSON.stringify({ type: "device", ...x }))].join("\n"));
          } else if (o.format === "html") emit(ctx, o, compromiseHtml(r));
          else emit(ctx, o, compromiseText(r, o.out ? createColors(false) : ctx.colors()));
        });
      });
  },
};
