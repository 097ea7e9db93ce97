/** `longwatch import advisories FILE…`: OSV, NVD 2.0, CSAF 2.0 / VEX, CISA KEV and EPSS, format detected per file. */
import { EXIT } from "../core/exit-codes.ts";
import { renderTable } from "../report/table.ts";
import { importAdvisoryFiles } from "../vulns/import-advisories.ts";
import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import { printIssues } from "./issues.ts";
import { withStore } from "./store.ts";

export const advisoriesImport = {
  // Registered by import.ts (its ImportKind shape; not imported here to keep the module graph acyclic).
  register(group: Command, ctx: CliContext): void {
    group
      .command("advisories")
      .description("load advisory feeds you downloaded: OSV (file, directory or .zip), NVD CVE 2.0 JSON, CSAF 2.0 and VEX, CISA KEV, EPSS CSV (.gz accepted); Longwatch goes online for none of them")
      .argument("<files...>", "feed files or directories")
      .option("--max-issues <n>", "issues to print", (v) => Number(v), 20)
      .option("--json", "print the import summary as JSON")
      .action(async (files: string[], o: { maxIssues: number; json?: boolean }, cmd: Command) => {
        await withStore(cmd, async (store) => {
          const r = await importAdvisoryFiles(store, files);
          printIssues(ctx, r.issues, r.issueCount, o.maxIssues);
          if (o.json) ctx.out(JSON.stringify(r, null, 2));
          else {
            ctx.out(renderTable(["FILE", "FORMAT", "RECORDS", "REJECTED"], r.files.map((f) => [f.file, f.format, String(f.records), String(f.rejected)]), { align: ["left", "left", "right", "right"] }));
            const c = r.counts;
            ctx.out(`\nadvisories: ${c.added} new, ${c.updated} updated, ${c.unchanged} unchanged${c.older ? `, ${c.older} older than stored (kept the stored ones)` : ""}; KEV entries: ${c.kev}; EPSS scores: ${c.epss}; VEX statements: ${c.vex}`);
          }
          if (r.rejected) ctx.exit(EXIT.rejected);
        });
      });
  },
};
