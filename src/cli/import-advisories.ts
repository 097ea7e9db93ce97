/** `longwatch import advisories FILE…`: OSV, NVD 2.0, CSAF 2.0 / VEX, CISA KEV and EPSS, format detected per file. */
import { EXIT } from "../core/exit-codes.ts";
import { renderTable } from "../report/table.ts";
import { importAdvisoryFiles } from "../vulns/import-advisories.ts";
import type { Command } from "commander";
import type { ImportKind } from "./command.ts";
import type { CliContext } from "./context.ts";
import { rejectsReporter } from "./import-sbom.ts";
import { withStore } from "./store.ts";

export const advisoriesImport: ImportKind = {
  register(group: Command, ctx: CliContext): void {
    group
      .command("advisories")
      .description("load advisory feeds you downloaded: OSV (file, directory or .zip), NVD CVE 2.0 JSON, CSAF 2.0 and VEX, CISA KEV, EPSS CSV (.gz accepted); Longwatch goes online for none of them")
      .argument("<files...>", "feed files or directories")
      .option("--max-issues <n>", "input issues to keep (the rest are only counted)", (v) => Number(v), 10000)
      .option("--rejects <file>", "write every kept input issue to this CSV")
      .option("--json", "print the import summary as JSON")
      .action(async (files: string[], o: { maxIssues: number; json?: boolean; rejects?: string }, cmd: Command) => {
        await withStore(cmd, ctx, async (store) => {
          const r = await importAdvisoryFiles(store, files, { maxIssues: o.maxIssues });
          const issues = rejectsReporter(ctx, cmd, o.rejects);
          for (const i of r.issues) issues.add(i);
          const rejectsLine = issues.close();
          if (o.json) ctx.out(JSON.stringify(r, null, 2));
          else {
            ctx.out(renderTable(["FILE", "FORMAT", "RECORDS", "REJECTED"], r.files.map((f) => [f.file, f.format, String(f.records), String(f.rejected)]), { align: ["left", "left", "right", "right"] }));
            const c = r.counts;
            if (r.issueCount > r.issues.length) ctx.out(`(${r.issueCount} input issues in all; the first ${r.issues.length} are shown and written to the rejects file)`);
            ctx.out(`\nadvisories: ${c.added} new, ${c.updated} updated, ${c.unchanged} unchanged${c.older ? `, ${c.older} older than stored (kept the stored ones)` : ""}; KEV entries: ${c.kev}; EPSS scores: ${c.epss}; VEX statements: ${c.vex}`);
          }
          if (rejectsLine) ctx.out(rejectsLine);
          if (r.rejected) ctx.exit(EXIT.rejected);
        });
      });
  },
};
