/**
 * `longwatch publish FILE… --nats URL`: loads record files into the JetStream stream, each record on the partition
 * of its device (resolved through the inventory), for `longwatch worker` to detect on (docs/scale.md).
 */
import { join } from "node:path";
import { type Command, Option } from "commander";
import { EXIT } from "../core/exit-codes.ts";
import { RECORD_KINDS } from "../core/record.ts";
import { readInventoryFiles, readInventoryStore, type DetectInventory } from "../detect/inventory.ts";
import { KIND } from "../detect/read/fields.ts";
import { ensureStream, connectNats, manager, readStream, safeUrl } from "../scale/nats.ts";
import { DEFAULT_PARTITIONS } from "../scale/partition.ts";
import { publishFiles } from "../scale/publish.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";
import type { CommandModule } from "./command.ts";
import { encodingOption } from "./encoding-flag.ts";
import { type CliContext, UsageError } from "./context.ts";
import { IssueReporter } from "./issues.ts";
import { addNatsFlags, checkStreamNames, intFlag, type NatsFlags, natsUrl } from "./scale-flags.ts";
import { openCliStore, storeChoice } from "./store.ts";

interface PublishFlags extends NatsFlags {
  inventory?: string;
  models?: string;
  kind?: string;
  localNet?: string[];
  maxFuture: string;
  maxPast?: string;
  batch: string;
  id?: string;
  rejects?: string;
  format: "table" | "json";
  encoding?: TextEncodingName;
}

export const publishCommand: CommandModule = {
  register(program, ctx) {
    const cmd = program
      .command("publish")
      .description("publish record files to JetStream, partitioned by device, for `longwatch worker` (backfill)")
      .argument("<files...>", "record files: CSV, NDJSON, Zeek conn.log, Device Defender reports");
    addNatsFlags(cmd)
      .option("--inventory <file>", "devices to resolve identifiers through (default: the devices in the store)")
      .option("--models <file>", "device models (YAML/JSON)")
      .addOption(encodingOption("the record files"))
      .addOption(new Option("--kind <kind>", "kind of every record, when files have no kind column").choices([...RECORD_KINDS]))
      .option("--local-net <cidr...>", "networks the devices live in (default: private IPv4 and IPv6 ranges)")
      .option("--max-future <hours>", "reject records dated more than this far after now", "24")
      .option("--max-past <days>", "reject records dated more than this long before now (default: no bound)")
      .option("--batch <n>", "records per message at most", "1000")
      .option("--id <prefix>", "message-id prefix (default: a digest of the files' paths, sizes and times, so a re-run is deduplicated)")
      .option("--rejects <file>", "write every rejected record (file, line, reason) to this CSV")
      .addOption(new Option("--format <format>", "summary format").choices(["table", "json"]).default("table"))
      .action(async (files: string[], o: PublishFlags, c: Command) => runPublish(ctx, files, o, c));
  },
};

async function runPublish(ctx: CliContext, files: string[], o: PublishFlags, c: Command): Promise<void> {
  checkStreamNames(o);
  const url = natsUrl(o, ctx.io.env);
  const partitions = intFlag("--partitions", o.partitions, 1, 4096);
  const batch = intFlag("--batch", o.batch, 1, 100_000)!;
  const maxFuture = Number(o.maxFuture);
  const maxPast = o.maxPast === undefined ? undefined : Number(o.maxPast);
  if (maxPast !== undefined && !(maxPast >= 0)) throw new UsageError(`--max-past: "${o.maxPast}" is not a non-negative number of days`);
  const where = storeChoice(c, ctx);
  const issues = new IssueReporter(ctx, o.rejects ?? join(where.dataDir, "rejects", `publish-${new Date(ctx.now()).toISOString().replace(/[:.]/g, "-")}.csv`), o.rejects !== undefined, 20);
  let inventory: DetectInventory | undefined;
  if (o.inventory || o.models) inventory = await readInventoryFiles(o.inventory, o.models, issues.add);
  else {
    const store = await openCliStore(ctx, where.url, { mustExist: true });
    if (store) {
      try {
        inventory = await readInventoryStore(store);
      } finally {
        await store.close();
      }
    }
  }
  const nc = await connectNats(url, "longwatch publish");
  try {
    const jsm = await manager(nc);
    const existing = await readStream(jsm, o.stream, o.subjectPrefix);
    const P = partitions ?? existing?.partitions ?? DEFAULT_PARTITIONS;
    const layout = await ensureStream(jsm, { stream: o.stream, prefix: o.subjectPrefix, partitions: P, window: existing?.window ?? P * batch });
    const stats = await publishFiles({
      files,
      nc,
      layout,
      batch,
      ...(o.id ? { id: o.id } : {}),
      ...(inventory ? { inventory } : {}),
      ...(o.localNet ? { localNets: o.localNet } : {}),
      clock: () => ctx.now(),
      ...(Number.isFinite(maxFuture) && maxFuture >= 0 ? { maxFutureMs: maxFuture * 3_600_000 } : {}),
      ...(maxPast !== undefined ? { maxPastMs: maxPast * 86_400_000 } : {}),
      ...(o.kind ? { kind: KIND[o.kind as keyof typeof KIND] } : {}),
      ...(o.encoding ? { encoding: o.encoding } : {}),
      onWarning: (message) => ctx.err(`longwatch: warning: ${message}`),
      onReject: (file, line, reason) => issues.add({ file, line, reason, level: "error" }),
    });
    const where2 = issues.close();
    if (o.format === "json") ctx.out(JSON.stringify({ nats: safeUrl(url), stream: o.stream, ...stats }, null, 2));
    else {
      const rate = stats.seconds > 0 ? Math.round(stats.published / stats.seconds) : 0;
      ctx.out(`published ${stats.published} records in ${stats.messages} messages to ${o.stream} (${P} partitions) on ${safeUrl(url)} in ${stats.seconds.toFixed(1)} s (${rate} records/s)`);
      if (stats.duplicates > 0) ctx.out(`${stats.duplicates} messages were already in the stream (same message id): not stored again`);
      if (stats.rejected > 0) ctx.err(`${stats.rejected} records rejected${where2 ? `; ${where2}` : ""}`);
    }
    if (stats.rejected > 0) ctx.exit(EXIT.rejected);
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}
