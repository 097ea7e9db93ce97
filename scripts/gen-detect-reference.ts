/**
 * Builds the reference tables detection ships in data/ from the public cellular data in ../shared/data/cellular:
 *
 * - data/mcc-countries.csv: MCC → ISO 3166-1 alpha-2 country (the country most networks of that MCC are in), from
 *   pbakondy/mcc-mnc-list (code MIT; data from Wikipedia's "Mobile country code", CC BY-SA).
 * - data/tac-classes.csv: TAC → module | handset, from the Osmocom TAC database (CC BY-SA 3.0, Harald Welte 2016):
 *   `module` for brands that make cellular modules for IoT, `handset` for entries with a GSMArena page (a phone
 *   catalogue) of any other brand. Other TACs are left out (unknown).
 *
 * Run: npx tsx scripts/gen-detect-reference.ts [path to shared/data/cellular]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CsvParser } from "../src/formats/csv.ts";

const dir = process.argv[2] ?? join(import.meta.dirname, "../../shared/data/cellular");
const root = join(import.meta.dirname, "..");

const MODULE_MAKERS = ["telit", "wavecom", "sierra wireless", "quectel", "simcom", "u-blox", "ublox", "cinterion", "gemalto", "fibocom", "sequans", "novatel", "option", "huawei module", "neoway", "longsung", "meig", "lierda", "thales"];

interface MccEntry {
  mcc: string;
  countryCode: string;
}

const mcc = JSON.parse(readFileSync(join(dir, "mcc-mnc-list.json"), "utf8")) as MccEntry[];
const votes = new Map<string, Map<string, number>>();
for (const e of mcc) {
  const cc = e.countryCode?.slice(0, 2).toUpperCase();
  if (!/^\d{3}$/.test(e.mcc) || !/^[A-Z]{2}$/.test(cc ?? "")) continue;
  const m = votes.get(e.mcc) ?? new Map<string, number>();
  m.set(cc!, (m.get(cc!) ?? 0) + 1);
  votes.set(e.mcc, m);
}
const mccRows = [...votes].sort(([a], [b]) => a.localeCompare(b)).map(([code, m]) => `${code},${[...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0]}`);
writeFileSync(join(root, "data/mcc-countries.csv"), `mcc,country\n${mccRows.join("\n")}\n`);

const text = readFileSync(join(dir, "osmocom_tacdb.csv"), "utf8").split("\n").slice(1).join("\n");
const parser = new CsvParser({ delimiter: "," });
const rows = [...parser.push(text), ...parser.end()];
const classes = new Map<string, string>();
for (const r of rows.slice(1)) {
  if (!("cells" in r)) continue;
  const [tac, brand = "", , , , phone = "", brandPage = ""] = r.cells;
  if (!tac || !/^\d{8}$/.test(tac)) continue;
  const b = brand.trim().toLowerCase();
  if (MODULE_MAKERS.some((m) => b.startsWith(m))) classes.set(tac, "module");
  else if (/gsmarena\.com/.test(phone + brandPage)) classes.set(tac, "handset");
}
const tacRows = [...classes].sort(([a], [b]) => a.localeCompare(b)).map(([t, c]) => `${t},${c}`);
writeFileSync(join(root, "data/tac-classes.csv"), `tac,class\n${tacRows.join("\n")}\n`);
console.log(`mcc-countries: ${mccRows.length} MCCs; tac-classes: ${tacRows.length} TACs (${tacRows.filter((r) => r.endsWith("module")).length} modules)`);
