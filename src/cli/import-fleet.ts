/** `longwatch import devices|models|credentials FILE`: load fleet inputs without scanning. */
import { join } from "node:path";
import type { Command } from "commander";
import { DeviceFieldsSchema, DeviceSchema } from "../core/fleet.ts";
import { EXIT } from "../core/exit-codes.ts";
import { importCredentials } from "../inventory/credentials.ts";
import { importDevices } from "../inventory/devices.ts";
import { loadMapping } from "../inventory/mapping.ts";
import { importModels } from "../inventory/models.ts";
import { keyedDigester, loadSecretKey } from "../inventory/secrets.ts";
import type { Store } from "../store/store.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";
import type { ImportKind } from "./command.ts";
import { encodingOption } from "./encoding-flag.ts";
import type { CliContext } from "./context.ts";
import { IssueReporter } from "./issues.ts";
import { Progress } from "./progress.ts";
import { withStore as withOpenStore } from "./store.ts";

async function withStore(ctx: CliContext, cmd: Command, rejects: string | undefined, fn: (store: Store, issues: IssueReporter, data: string) => Promise<string>): Promise<void> {
  await withOpenStore(cmd, ctx, async (store, { dataDir: data }) => {
    const issues = new IssueReporter(ctx, rejects ?? join(data, "rejects", `${new Date().toISOString().replace(/[:.]/g, "-")}.csv`), rejects !== undefined);
    try {
      const line = await fn(store, issues, data);
      const extra = issues.close();
      ctx.out(line);
      if (extra) ctx.out(extra);
      if (issues.errors + issues.fieldsDropped > 0) ctx.exit(EXIT.rejected);
    } finally {
      issues.close();
    }
  });
}

export const fleetImports: ImportKind = {
  register(group, ctx) {
    group
      .command("devices")
      .description("import a device inventory (CSV, JSON or NDJSON)")
      .argument("<file>")
      .option("--mapping <file>", "YAML mapping from your columns and values to Longwatch's")
      .option("--strict", "stop at the first rejected record and change nothing")
      .option("--prune", "delete stored devices this inventory no longer contains")
      .option("--rejects <file>", "write every rejected record to this CSV")
      .option("--allow-outside-certs", "let cert_file paths point outside the inventory's folder")
      .addOption(encodingOption("the inventory"))
      .action(async (file: string, o: { mapping?: string; strict?: boolean; prune?: boolean; rejects?: string; allowOutsideCerts?: boolean; encoding?: TextEncodingName }, cmd: Command) => {
        await withStore(ctx, cmd, o.rejects, async (store, issues) => {
          const progress = new Progress(ctx, `Importing ${file}`);
          const r = await importDevices({
            store,
            file,
            certificates: { allowOutside: o.allowOutsideCerts === true },
            onIssue: issues.add,
            onProgress: (d, t) => progress.update(d, t, "bytes"),
            ...(o.mapping ? { mapping: loadMapping(o.mapping, Object.keys(DeviceSchema.shape), DeviceFieldsSchema) } : {}),
            ...(o.strict ? { strict: true } : {}),
            ...(o.prune ? { prune: true } : {}),
            ...(o.encoding ? { encoding: o.encoding } : {}),
          });
          progress.done();
          if (r.stopped) return "--strict: stopped at the first rejected record; the store is unchanged.";
          const missing = r.missing && r.missing.missingCount > 0 ? `; ${r.missing.missingCount} stored devices not in this file ${o.prune ? "were deleted" : "were kept (--prune deletes them)"}` : "";
          return `${file}: ${r.imported.toLocaleString("en-US")} devices imported, ${r.rejected} rejected${missing}`;
        });
      });
    group
      .command("models")
      .description("import device models (YAML or JSON)")
      .argument("<file>")
      .action(async (file: string, _o: unknown, cmd: Command) => {
        await withStore(ctx, cmd, undefined, async (store, issues) => {
          const r = await importModels(store, file, issues.add);
          return `${file}: ${r.imported} models imported, ${r.rejected} rejected`;
        });
      });
    group
      .command("credentials")
      .description("import credentials (CSV, JSON or NDJSON); plaintext passwords are hashed at once and never stored")
      .argument("<file>")
      .option("--rejects <file>", "write every rejected record to this CSV")
      .addOption(encodingOption("the credentials file"))
      .action(async (file: string, o: { rejects?: string; encoding?: TextEncodingName }, cmd: Command) => {
        await withStore(ctx, cmd, o.rejects, async (store, issues, data) => {
          const r = await importCredentials({ store, file, keyedDigest: keyedDigester(loadSecretKey(data)), onIssue: issues.add, ...(o.encoding ? { encoding: o.encoding } : {}) });
          return `${file}: ${r.imported} credentials imported, ${r.rejected} rejected`;
        });
      });
  },
};
