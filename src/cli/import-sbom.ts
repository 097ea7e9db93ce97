/** `longwatch import sbom FILE --model M --firmware V`: the component inventory of one firmware image. */
import { join } from "node:path";
import { Option } from "commander";
import { SBOM_FORMATS, type SbomFormat } from "../core/component.ts";
import { EXIT } from "../core/exit-codes.ts";
import { importSbomFile, SbomInputError } from "../vulns/import-sbom.ts";
import type { Command } from "commander";
import { globalOpts, type ImportKind } from "./command.ts";
import type { CliContext } from "./context.ts";
import { IssueReporter } from "./issues.ts";
import { withStore } from "./store.ts";

interface Opts {
  model: string;
  firmware: string;
  format?: SbomFormat;
  distro?: string;
  cpeForDistroPackages?: boolean;
  json?: boolean;
  rejects?: string;
}

/** Issues go to stderr, and all of them to a rejects CSV when there are many (or when --rejects names one). */
export function rejectsReporter(ctx: CliContext, cmd: Command, rejects: string | undefined): IssueReporter {
  const file = rejects ?? join(globalOpts(cmd).data, "rejects", `${new Date().toISOString().replace(/[:.]/g, "-")}.csv`);
  return new IssueReporter(ctx, file, rejects !== undefined);
}

export const sbomImport: ImportKind = {
  register(group: Command, ctx: CliContext): void {
    group
      .command("sbom")
      .description("load the components of one firmware image: CycloneDX 1.4–1.6 or SPDX 2.3 JSON, dpkg or opkg status, Buildroot manifest.csv or show-info JSON")
      .argument("<file>", "SBOM or package list (may be gzipped)")
      .requiredOption("--model <model_id>", "device model the firmware belongs to")
      .requiredOption("--firmware <version>", "firmware version the inventory describes")
      .addOption(new Option("--format <format>", "skip format detection").choices([...SBOM_FORMATS]))
      .option("--distro <release>", "distribution release of dpkg packages, e.g. debian-12 or ubuntu-22.04")
      .option("--cpe-for-distro-packages", "also match distribution packages against NVD's upstream version ranges")
      .option("--json", "print the import summary as JSON")
      .option("--rejects <file>", "write every input issue to this CSV")
      .action(async (file: string, o: Opts, cmd: Command) => {
        const now = ctx.now();
        await withStore(cmd, ctx, async (store) => {
          try {
            const r = await importSbomFile(store, file, {
              model: o.model,
              firmware: o.firmware,
              now,
              ...(o.format ? { format: o.format } : {}),
              ...(o.distro ? { distro: o.distro } : {}),
              ...(o.cpeForDistroPackages ? { cpeForDistroPackages: true } : {}),
            });
            const issues = rejectsReporter(ctx, cmd, o.rejects);
            for (const i of r.issues) issues.add(i);
            const rejectsLine = issues.close();
            if (o.json) ctx.out(JSON.stringify(r, null, 2));
            else {
              const c = ctx.colors();
              ctx.out(`${c.bold(`${o.model} ${o.firmware}`)}: ${r.components} components from ${r.format}${r.replaced ? " (replaced the previous inventory)" : ""}`);
              ctx.out(`  ${r.matchable} can be matched against advisories${r.via_alias ? `, ${r.via_alias} of them through the package-name table` : ""}`);
              if (r.unversioned.length) ctx.out(`  ${r.unversioned.length} have no usable version and only match exact advisories: ${r.unversioned.slice(0, 5).join(", ")}${r.unversioned.length > 5 ? " …" : ""}`);
              if (r.vex) ctx.out(`  ${r.vex} VEX statements`);
              if (r.rejected) ctx.out(c.yellow(`  ${r.rejected} records rejected (see above)`));
            }
            if (rejectsLine) ctx.out(rejectsLine);
            if (r.rejected) ctx.exit(EXIT.rejected);
          } catch (e) {
            if (!(e instanceof SbomInputError)) throw e;
            ctx.err(`longwatch: ${e.message}`);
            ctx.exit(EXIT.error);
          }
        });
      });
  },
};
