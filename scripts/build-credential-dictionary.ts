/**
 * Builds data/default-credentials.csv, the default-credential dictionary Longwatch ships, from the public lists kept in
 * ../shared/data/default-credentials (see its SOURCE.txt; credits and licences in data/README.md):
 *
 *   mirai          the 62 pairs of the Mirai botnet's scanner (decoded table), each with its scanner.c line
 *   routersploit   the per-vendor/per-protocol creds modules, plus the defaults.txt and snmp.txt wordlists
 *   seclists       SecLists Passwords/Default-Credentials/default-passwords.csv
 *   defaultcreds   the DefaultCreds cheat sheet
 *
 * Run again whenever the sources change: `npm run build:dictionary [-- <source dir> [<output file>]]`. The output is committed, so the
 * product never needs the sources. Rows are normalised (blank markers → <empty>, placeholders such as "(serial number)"
 * dropped, soft hyphens and outer spaces removed) and de-duplicated by vendor, product, service, username and password,
 * keeping every source that listed the row.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DICTIONARY_COLUMNS, EMPTY_MARKER, parseDictionary } from "../src/audit/credentials/dictionary.ts";
import { CsvParser, csvDataLine as csvLine } from "../src/formats/csv.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sourceDir = resolve(process.argv[2] ?? join(repo, "..", "shared", "data", "default-credentials"));
const outFile = resolve(process.argv[3] ?? join(repo, "data", "default-credentials.csv"));

interface Row {
  vendor: string;
  product: string;
  service: string;
  username: string;
  password: string;
  source: string;
}

const dropped = new Map<string, number>();
const drop = (reason: string) => dropped.set(reason, (dropped.get(reason) ?? 0) + 1);

function readCsv(file: string): Record<string, string>[] {
  const parser = new CsvParser({ delimiter: "," });
  const records = [...parser.push(readFileSync(file, "utf8")), ...parser.end()];
  const [header, ...rest] = records;
  if (!header || "error" in header) throw new Error(`${file}: no header`);
  return rest.flatMap((r) => {
    if ("error" in r) throw new Error(`${file}:${r.line}: ${r.error}`);
    return [Object.fromEntries(header.cells.map((h, i) => [h.trim().toLowerCase(), r.cells[i] ?? ""]))];
  });
}

function readLines(file: string): string[] {
  return readFileSync(file, "utf8").split(/\r?\n/).filter((l) => l !== "");
}

/** Soft hyphens (U+00AD) crept into some rows copied from web pages; they are invisible and never typed. */
const clean = (s: string) => s.replace(/\u00ad/g, "").trim();

/** Markers the lists use for "no password" / "no user name". */
const BLANK = /^(<blank>|<empty>|\(none\)|)$/i;
/** Descriptions that stand where a value is unknown or per-device, e.g. "(serial number)", "<SEE COMMENT>". */
const PLACEHOLDER = /^\(.*\)$|^<[^<>]*>$/;

function normalisePassword(raw: string): string | undefined {
  const p = clean(raw);
  if (BLANK.test(p)) return EMPTY_MARKER;
  if (PLACEHOLDER.test(p)) {
    drop(`password is a placeholder such as "(serial number)" or "<SEE COMMENT>"`);
    return undefined;
  }
  return p;
}

/** A user name that is blank or a description ("(any)", "(created)") means: no particular user name. */
function normaliseUsername(raw: string): string {
  const u = clean(raw);
  return BLANK.test(u) || PLACEHOLDER.test(u) ? "" : u;
}

/** routersploit protocols → Longwatch credential services (core/fleet.ts SERVICES). */
function serviceOf(protocol: string): string {
  if (protocol.startsWith("webinterface_http")) return "http";
  if (["ftp", "ssh", "telnet", "http", "https", "snmp", "mqtt"].includes(protocol)) return protocol;
  return "other";
}

function mirai(dir: string): Row[] {
  const rows = readCsv(join(dir, "mirai", "mirai_scanner_credentials.csv"));
  if (rows.length !== 62) throw new Error(`expected the 62 Mirai entries, found ${rows.length}`);
  // Mirai's scanner tries these over telnet (ports 23 and 2323) on any vendor's device.
  return rows.map((r) => ({ vendor: "", product: "", service: "telnet", username: normaliseUsername(r.username!), password: normalisePassword(r.password!)!, source: `mirai:scanner.c#L${r.source_line}` }));
}

function routersploit(dir: string): Row[] {
  const base = join(dir, "routersploit");
  const out: Row[] = [];
  for (const r of readCsv(join(base, "routersploit_module_default_creds.csv"))) {
    const password = normalisePassword(r.password!);
    if (password === undefined) continue;
    // routersploit/modules/creds/routers/zte/telnet_default_creds.py → routersploit:routers/zte/telnet
    const module = r.module!.replace(/^routersploit\/modules\/creds\//, "").replace(/_default_creds\.py$/, "");
    out.push({ vendor: clean(r.vendor!), product: clean(r.devices!), service: serviceOf(clean(r.protocol!)), username: normaliseUsername(r.username!), password, source: `routersploit:${module}` });
  }
  for (const line of readLines(join(base, "defaults.txt"))) {
    const i = line.indexOf(":");
    if (i < 0) {
      drop("routersploit defaults.txt line without user:password");
      continue;
    }
    const password = normalisePassword(line.slice(i + 1));
    if (password === undefined) continue;
    out.push({ vendor: "", product: "", service: "", username: normaliseUsername(line.slice(0, i)), password, source: "routersploit:defaults.txt" });
  }
  for (const line of readLines(join(base, "snmp.txt"))) {
    const password = normalisePassword(line);
    if (password === undefined) continue;
    out.push({ vendor: "", product: "", service: "snmp", username: "", password, source: "routersploit:snmp.txt" });
  }
  return out;
}

function vendorList(file: string, vendorColumn: string, source: string): Row[] {
  return readCsv(file).flatMap((r) => {
    const password = normalisePassword(r.password!);
    if (password === undefined) return [];
    return [{ vendor: clean(r[vendorColumn]!), product: "", service: "", username: normaliseUsername(r.username!), password, source }];
  });
}

function merge(rows: Row[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const r of rows) {
    const key = [r.vendor.toLowerCase(), r.product.toLowerCase(), r.service, r.username, r.password].join("\0");
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { ...r });
    else if (!seen.source.split(";").includes(r.source)) seen.source += `;${r.source}`;
    else drop("duplicate row within one source (merged into one)");
  }
  return [...byKey.values()];
}

function main(): void {
  if (!existsSync(join(sourceDir, "SOURCE.txt"))) {
    console.log(`build-credential-dictionary: ${sourceDir} is not here (it holds the public lists the dictionary is built from); ${outFile} is left as it is.`);
    return;
  }
  const perSource: [string, Row[]][] = [
    ["mirai", mirai(sourceDir)],
    ["routersploit", routersploit(sourceDir)],
    ["seclists", vendorList(join(sourceDir, "seclists_copy", "default-passwords.csv"), "vendor", "seclists")],
    ["defaultcreds", vendorList(join(sourceDir, "defaultcreds_cheatsheet", "DefaultCreds-Cheat-Sheet.csv"), "productvendor", "defaultcreds")],
  ];
  const merged = merge(perSource.flatMap(([, rows]) => rows));
  // Mirai first, in the order of its table (roughly most-tried first); the rest sorted so the file diffs well.
  const isMirai = (r: Row) => r.source.startsWith("mirai:");
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const rest = merged.filter((r) => !isMirai(r)).sort((a, b) => cmp(a.vendor.toLowerCase(), b.vendor.toLowerCase()) || cmp(a.product, b.product) || cmp(a.service, b.service) || cmp(a.username, b.username) || cmp(a.password, b.password) || cmp(a.vendor, b.vendor));
  const ordered = [...merged.filter(isMirai), ...rest];

  const text = [DICTIONARY_COLUMNS.join(","), ...ordered.map((r) => csvLine(DICTIONARY_COLUMNS.map((c) => r[c])))].join("\n") + "\n";
  // Read the result back with the product's own parser: what we ship must load, and every Mirai line must be in it.
  const dict = parseDictionary(text);
  const miraiLines = new Set(dict.entries.flatMap((e) => e.sources.filter((s) => s.startsWith("mirai:"))));
  if (miraiLines.size !== 62) throw new Error(`only ${miraiLines.size} of the 62 Mirai entries made it into the dictionary`);
  writeFileSync(outFile, text);

  for (const [name, rows] of perSource) console.log(`${name.padEnd(13)} ${String(rows.length).padStart(5)} rows read`);
  for (const [reason, n] of dropped) console.log(`dropped ${String(n).padStart(5)}: ${reason}`);
  console.log(`wrote ${outFile}: ${ordered.length} rows, ${dict.passwords.length} distinct non-empty passwords, ${Buffer.byteLength(text)} bytes`);
}

main();
