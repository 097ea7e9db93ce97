/** `longwatch forecast [--until 2045]`: for each year, how much of the fleet can still be kept secure. */
import { writeOutputFile } from "./output.ts";
import { type Command, Option } from "commander";
import { csvLine } from "../formats/csv.ts";
import { computeForecast, type ForecastRow } from "../lifecycle/forecast.ts";
import { loadCryptoPolicy, PolicyError } from "../lifecycle/policy.ts";
import { forecastHeadline, renderForecastPage } from "../report/forecast-html.ts";
import { renderTable } from "../report/table.ts";
import type { CommandModule } from "./command.ts";
import { UsageError } from "./context.ts";
import { withStore } from "./store.ts";

const COLUMNS: (keyof ForecastRow)[] = ["year", "date", "devices", "retired", "in_field", "in_support", "support_unknown", "valid_identity", "identity_unknown", "crypto_allowed", "crypto_migratable", "crypto_unknown", "securable", "at_risk"];

interface Opts {
  until?: string;
  format: "table" | "json" | "csv" | "html";
  out?: string;
  cryptoPolicy?: string;
  now?: string;
}

export const forecastCommand: CommandModule = {
  register(program, ctx) {
    program
      .command("forecast")
      .description("year by year: devices in support, with a valid identity, with allowed (or migratable) cryptography, securable, and retired")
      .option("--until <year>", "last year to forecast (default 2045, at least 10 years ahead)")
      .addOption(new Option("--format <format>", "output format").choices(["table", "json", "csv", "html"]).default("table"))
      .option("--out <file>", "write the output to a file")
      .option("--crypto-policy <file>", "YAML file overriding the shipped crypto policy")
      .option("--now <date>", "forecast as of this date (ISO 8601)")
      .action(async (o: Opts, cmd: Command) => {
        const now = ctx.now(o.now);
        const year = new Date(now).getUTCFullYear();
        const until = o.until !== undefined ? Number(o.until) : Math.max(2045, year + 10);
        if (!Number.isInteger(until) || until < year || until > year + 100) throw new UsageError(`--until: "${o.until}" is not a year between ${year} and ${year + 100}`);
        let policy;
        try {
          policy = loadCryptoPolicy(o.cryptoPolicy);
        } catch (e) {
          if (e instanceof PolicyError) throw new UsageError(e.message);
          throw e;
        }
        await withStore(cmd, ctx, async (store) => {
          const f = await computeForecast(store, { now, until, policy });
          let text: string;
          if (o.format === "json") text = JSON.stringify(f, null, 2);
          else if (o.format === "csv") text = [csvLine(COLUMNS), ...f.rows.map((r) => csvLine(COLUMNS.map((c) => String(r[c]))))].join("\n");
          else if (o.format === "html") text = renderForecastPage(f);
          else {
            const right = COLUMNS.slice(2).map(() => "right" as const);
            // A criterion nobody gave data for reads "unknown", not 0 (which would look like a fleet-wide failure).
            const known = (v: number, unknown: number, inField: number) => (inField > 0 && unknown === inField ? "unknown" : v.toLocaleString("en-US"));
            text = [
              renderTable(["YEAR", "IN FIELD", "SECURABLE", "NOT SECURABLE", "RETIRED", "IN SUPPORT", "VALID IDENTITY", "CRYPTO OK", "CRYPTO MIGRATABLE"], f.rows.map((r) => [
                  String(r.year),
                  ...[r.in_field, r.securable, r.at_risk, r.retired].map((v) => v.toLocaleString("en-US")),
                  known(r.in_support, r.support_unknown, r.in_field),
                  known(r.valid_identity, r.identity_unknown, r.in_field),
                  known(r.crypto_allowed, r.crypto_unknown, r.in_field),
                  known(r.crypto_migratable, r.crypto_unknown, r.in_field),
                ]),
                { align: ["left", ...right] },
              ),
              "",
              forecastHeadline(f),
              `Counted on 1 January of each year (the first row: ${f.rows[0]?.date}). Unknown support, identity or crypto does not count as failing; --format json gives the unknown counts. Crypto policy ${f.policy_version}.`,
            ].join("\n");
          }
          if (o.out) {
            writeOutputFile(o.out, text.endsWith("\n") ? text : `${text}\n`);
            ctx.err(`Forecast written to ${o.out}`);
          } else ctx.out(text);
        });
      });
  },
};
