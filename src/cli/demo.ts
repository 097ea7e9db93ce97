/**
 * `longwatch demo` (also `npm start`): builds the synthetic demo fleet, imports and scans it into a fresh store in the
 * demo folder, and says where the report is. Deterministic: the same seed and date give the same fleet and report.
 */
import { rmSync } from "node:fs";
import { join, relative } from "node:path";
import { formatIsoDate } from "../core/dates.ts";
import { writeDemoFirmware } from "../demo/firmware.ts";
import { generateDemoFleet } from "../demo/fleet.ts";
import { openStore } from "../store/open.ts";
import { importAdvisoryFiles } from "../vulns/import-advisories.ts";
import { importSbomFile } from "../vulns/import-sbom.ts";
import type { CommandModule } from "./command.ts";
import { UsageError } from "./context.ts";
import { runScan } from "./scan.ts";
import { serveUntilStopped } from "./serve.ts";
import { serveConfig } from "../serve/config.ts";
import { pipelineConfig } from "../serve/pipeline/index.ts";
import { replayDemoTraffic } from "../demo/traffic.ts";
import { assessModels } from "../certify/run.ts";
import { rankAndStore } from "../whatif/stored.ts";
import { answersLocation, certifyEnv, resolveCatalogue } from "./certify-shared.ts";

/** The standards the demo self-assesses every model against (saved), so the dashboard's Certification page has them. */
const DEMO_STANDARDS = ["etsi-en-303-645", "uk-psti", "eu-cra"];

export const demoCommand: CommandModule = {
  register(program, ctx) {
    program
      .command("demo")
      .description("generate a synthetic fleet with realistic defects, replay simulated attacks through detection, scan it, write an HTML report and start the service with its dashboard (--no-serve: the report only)")
      .option("--dir <dir>", "folder for the demo fleet, its store and the report", "longwatch-demo")
      .option("--devices <n>", "number of devices", "6000")
      .option("--seed <n>", "random seed (same seed and date, same fleet)", "2026")
      .option("--now <date>", "the demo's date (ISO 8601); today by default")
      .option("--no-serve", "only write the static report: no traffic replay, no service")
      .option("--listen <host:port>", "where the demo's service listens", "127.0.0.1:8080")
      .action(async (o: { dir: string; devices: string; seed: string; now?: string; serve: boolean; listen: string }) => {
        const devices = Number(o.devices);
        if (!Number.isInteger(devices) || devices < 100 || devices > 2_000_000) throw new UsageError("--devices: a whole number from 100 to 2000000");
        const seed = Number(o.seed);
        if (!Number.isInteger(seed)) throw new UsageError("--seed: a whole number");
        // The demo's clock is a day, not an instant, so a whole day's runs give identical output.
        const now = ctx.now(o.now ?? formatIsoDate(Date.now()).slice(0, 10));
        const started = Date.now();
        ctx.err(`Generating a fleet of ${devices.toLocaleString("en-US")} devices in ${o.dir}/ …`);
        const files = generateDemoFleet({ dir: o.dir, devices, seed, now });
        const firmware = writeDemoFirmware(o.dir);
        const data = join(o.dir, ".longwatch");
        rmSync(data, { recursive: true, force: true });
        // Firmware inventories and advisory feeds first, so the scan reports vulnerable components too.
        const storeUrl = `sqlite:${join(data, "longwatch.db")}`;
        const store = await openStore(storeUrl);
        let traffic: string | undefined;
        try {
          for (const s of firmware.sboms) await importSbomFile(store, s.file, { model: s.model, firmware: s.firmware, now });
          await importAdvisoryFiles(store, firmware.advisories);
          if (o.serve) {
            // Traffic first, so the scan audits the simulated devices too and the dashboard has alerts to triage.
            ctx.err("Replaying 36 hours of simulated traffic with attacks through detection …");
            const t = await replayDemoTraffic(store, { dir: o.dir, devices: Math.min(200, Math.max(20, Math.round(devices / 30))), seed, now, onIssue: (i) => ctx.err(`${i.file}${i.line ? `:${i.line}` : ""}: ${i.reason}`) });
            traffic = `${t.records.toLocaleString("en-US")} records from ${t.devices} devices with ${t.scenarios.length} attacks (${t.scenarios.join(", ")}) gave ${t.alerts} alerts.`;
          }
        } finally {
          await store.close();
        }
        const report = join(o.dir, "report.html");
        await runScan(ctx, {
          data,
          store: storeUrl,
          inventory: files.devices,
          models: files.models,
          credentials: files.credentials,
          config: files.config,
          format: "html",
          out: report,
          now: formatIsoDate(now),
          title: "Longwatch demo fleet — security report",
        });
        const assessed = await prepareDashboard(ctx, storeUrl, join(o.dir, "certify"), now);
        const rel = (p: string) => relative(ctx.io.cwd, p) || p;
        const lines = [
          "",
          `Self-assessed ${assessed.models} models against ${assessed.standards.join(", ")} from the fleet's evidence (saved; no answers given, so questions stay "not assessed"), and ranked the largest blast radius (whatif --all, saved).`,
          `Demo done in ${((Date.now() - started) / 1000).toFixed(1)} s. Open the report: ${rel(report)}`,
          `The fleet's files are in ${rel(o.dir)}/ (devices.csv, models.yaml, credentials.csv, certs/, sboms/, advisories/, longwatch.yaml). Try:`,
          `  npx longwatch --data ${rel(data)} findings --min-severity high`,
          `  npx longwatch --data ${rel(data)} scan --format sarif --out ${rel(join(o.dir, "report.sarif"))}`,
          `  npx longwatch --data ${rel(data)} forecast`,
          `  npx longwatch --data ${rel(data)} vulns diff --model nw-gw-100 --from 4.8.2 --to 5.2.0`,
          `  npx longwatch --data ${rel(data)} certify --standard etsi-en-303-645 --model acme-sm-g3`,
          "  npx longwatch explain insecure-service",
          `Scan your own inventory: npx longwatch scan devices.csv --models models.yaml --credentials credentials.csv`,
        ];
        if (!o.serve) {
          ctx.out(lines.join("\n"));
          return;
        }
        ctx.out([...lines, "", `Traffic: ${traffic ?? "none"}`, "Starting the service; open the dashboard and sign in with the admin token below (Ctrl-C stops it) …"].join("\n"));
        const reopened = await openStore(storeUrl);
        try {
          const config = serveConfig({ listen: o.listen });
          await serveUntilStopped(ctx, reopened, storeUrl, config, pipelineConfig(config.pipeline), data);
        } finally {
          await reopened.close();
        }
      });
  },
};

/**
 * What the dashboard reads from the store rather than computing while a page waits: every model self-assessed
 * against each of DEMO_STANDARDS, saved as `longwatch certify` saves it (no answers are written for the demo, so what
 * only a person can answer stays not assessed rather than guessed), and the `whatif --all` ranking.
 */
async function prepareDashboard(ctx: Parameters<CommandModule["register"]>[1], storeUrl: string, answers: string, now: number): Promise<{ models: number; standards: string[] }> {
  const store = await openStore(storeUrl);
  try {
    const env = certifyEnv(store, ctx, answersLocation(ctx, answers), now);
    let models = 0;
    for (const standard of DEMO_STANDARDS) {
      const run = await assessModels(env, resolveCatalogue(standard, undefined));
      for (const a of run.assessments) await store.assessments.save({ model_id: a.subject.model_id, standard: a.standard.key, created_at: a.generated_at, doc: a });
      models = Math.max(models, run.assessments.length);
    }
    // The wall clock, not the demo's day: the ranking is "stale" when an import started after it, and the demo's
    // imports are stamped with the wall clock.
    await rankAndStore(store, { now: Date.now, source: "whatif" });
    return { models, standards: DEMO_STANDARDS };
  } finally {
    await store.close();
  }
}
