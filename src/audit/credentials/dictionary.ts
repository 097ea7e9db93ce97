/**
 * The default-credential dictionary: known factory passwords with the vendor, product, service and user name they are
 * listed for, and the public list(s) that list them (data/default-credentials.csv; sources and licences in
 * data/README.md). Loaded once per process and indexed for the credential rules: which lists name a password, which
 * passwords go with a user name, and the order in which to guess.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EMPTY_PASSWORD_TOKENS } from "../../core/fleet.ts";
import { CsvParser } from "../../formats/csv.ts";

export const DICTIONARY_COLUMNS = ["vendor", "product", "service", "username", "password", "source"] as const;
/** How the dictionary writes "no password" (the same token the credentials import accepts). */
export const EMPTY_MARKER = EMPTY_PASSWORD_TOKENS[0];

/** The shipped file: data/ at the package root, three levels up from src/audit/credentials (and dist/audit/credentials). */
export const SHIPPED_DICTIONARY = fileURLToPath(new URL("../../../data/default-credentials.csv", import.meta.url));

export interface DictionaryEntry {
  vendor: string;
  product: string;
  /** A credential service (ssh, telnet, http …) or "" when the list does not say. */
  service: string;
  username: string;
  /** "" for an account without a password. */
  password: string;
  /** Where the row comes from, e.g. `mirai:scanner.c#L124`, `routersploit:routers/zte/telnet`, `seclists`. */
  sources: string[];
}

export interface Dictionary {
  entries: DictionaryEntry[];
  /** Distinct non-empty passwords, most likely first: the Mirai botnet's in table order, then by how often lists name them. */
  passwords: string[];
  /** Rows listing each password ("" included). */
  byPassword: Map<string, DictionaryEntry[]>;
  /** Non-empty passwords listed together with each user name (lower-cased), in `passwords` order. */
  byUsername: Map<string, string[]>;
}

/** The list a source reference belongs to: the text before its first colon (`mirai`, `routersploit`, `seclists` …). */
export function listOf(source: string): string {
  const i = source.indexOf(":");
  return i < 0 ? source : source.slice(0, i);
}

export function parseDictionary(text: string, origin = "dictionary"): Dictionary {
  const parser = new CsvParser({ delimiter: "," });
  const records = [...parser.push(text), ...parser.end()];
  const [header, ...rows] = records;
  if (!header || "error" in header) throw new Error(`${origin}: empty or unreadable`);
  const col = DICTIONARY_COLUMNS.map((c) => header.cells.indexOf(c));
  const missing = DICTIONARY_COLUMNS.filter((_, i) => col[i]! < 0);
  if (missing.length > 0) throw new Error(`${origin}: missing column(s) ${missing.join(", ")}`);
  const entries: DictionaryEntry[] = [];
  for (const r of rows) {
    if ("error" in r) throw new Error(`${origin}:${r.line}: ${r.error}`);
    const cell = (i: number) => r.cells[col[i]!] ?? "";
    const password = cell(4);
    entries.push({
      vendor: cell(0),
      product: cell(1),
      service: cell(2),
      username: cell(3),
      password: (EMPTY_PASSWORD_TOKENS as readonly string[]).includes(password.toLowerCase()) ? "" : password,
      sources: cell(5).split(";").filter((s) => s !== ""),
    });
  }
  return indexDictionary(entries);
}

/** Indexes rows; `preferred` passwords (the user's own lists) are guessed before everything else. */
export function indexDictionary(entries: DictionaryEntry[], preferred: readonly string[] = []): Dictionary {
  const byPassword = new Map<string, DictionaryEntry[]>();
  const weight = new Map<string, number>();
  const mirai: string[] = [];
  for (const e of entries) {
    const list = byPassword.get(e.password);
    if (list) list.push(e);
    else byPassword.set(e.password, [e]);
    weight.set(e.password, (weight.get(e.password) ?? 0) + e.sources.length);
    if (e.password !== "" && e.sources.some((s) => listOf(s) === "mirai") && !mirai.includes(e.password)) mirai.push(e.password);
  }
  const first = [...new Set([...preferred.filter((p) => p !== ""), ...mirai])];
  const firstSet = new Set(first);
  const others = [...byPassword.keys()].filter((p) => p !== "" && !firstSet.has(p));
  others.sort((a, b) => weight.get(b)! - weight.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  const passwords = [...first, ...others];

  const rank = new Map(passwords.map((p, i) => [p, i]));
  const byUsername = new Map<string, string[]>();
  for (const e of entries) {
    if (e.password === "") continue;
    const u = e.username.toLowerCase();
    const list = byUsername.get(u);
    if (!list) byUsername.set(u, [e.password]);
    else if (!list.includes(e.password)) list.push(e.password);
  }
  for (const list of byUsername.values()) list.sort((a, b) => rank.get(a)! - rank.get(b)!);
  return { entries, passwords, byPassword, byUsername };
}

const loaded = new Map<string, Dictionary>();

/** The dictionary in `file` (the shipped one by default), read once per process. */
export function loadDictionary(file: string = SHIPPED_DICTIONARY): Dictionary {
  let d = loaded.get(file);
  if (!d) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`cannot read the credential dictionary ${file}: ${(e as Error).message}`);
    }
    d = parseDictionary(text, file);
    loaded.set(file, d);
  }
  return d;
}

/**
 * The shipped dictionary plus the user's own rows (same columns), e.g. their manufacturers' documented defaults. The
 * user's passwords are guessed first: they are the most specific knowledge about this fleet.
 */
export function loadDictionaries(extra: readonly string[]): Dictionary {
  if (extra.length === 0) return loadDictionary();
  const own = extra.map((f) => loadDictionary(f));
  return indexDictionary([...own, loadDictionary()].flatMap((d) => d.entries), own.flatMap((d) => d.passwords));
}

/**
 * What the lists say about one password, for a finding's evidence. It never contains the password itself: only which
 * lists have it, whether they pair it with this user name, and for which vendors.
 */
export function describeMatch(dict: Dictionary, password: string, username: string): { lists: string[]; mirai: boolean; listed_for_username: boolean; vendors: string[]; vendor_count: number } {
  const rows = dict.byPassword.get(password) ?? [];
  const forUser = rows.filter((e) => e.username.toLowerCase() === username.toLowerCase());
  const relevant = forUser.length > 0 ? forUser : rows;
  const lists = [...new Set(relevant.flatMap((e) => e.sources.map(listOf)))].sort();
  const vendors = [...new Set(relevant.map((e) => e.vendor).filter((v) => v !== ""))].sort((a, b) => a.localeCompare(b));
  return { lists, mirai: lists.includes("mirai"), listed_for_username: forUser.length > 0, vendors: vendors.slice(0, 5), vendor_count: vendors.length };
}

/** Every list the dictionary draws on (sorted): what a default-password finding says it checked. */
export function dictionaryLists(dict: Dictionary): string[] {
  const lists = new Set<string>();
  for (const e of dict.entries) for (const s of e.sources) lists.add(listOf(s));
  return [...lists].sort();
}
