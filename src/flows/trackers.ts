/**
 * Known tracker and analytics domains (data/trackers.csv, see data/README.md), plus lists a user adds in the same CSV
 * shape, Disconnect's services.json or DuckDuckGo Tracker Radar's tds.json (those keep their own licences, so they are
 * not shipped). A name matches when it is a listed domain or under one.
 */
import { decodeText } from "../formats/text-decode.ts";
import { jsonProblem } from "../formats/json-path.ts";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LongwatchError } from "../core/errors.ts";

const SHIPPED = fileURLToPath(new URL("../../data/trackers.csv", import.meta.url));

export interface TrackerInfo {
  domain: string;
  owner: string;
  /** advertising, analytics, diagnostics, social … */
  category: string;
}

export class TrackerList {
  private readonly byDomain = new Map<string, TrackerInfo>();

  get size(): number {
    return this.byDomain.size;
  }

  add(t: TrackerInfo): void {
    this.byDomain.set(t.domain.toLowerCase(), t);
  }

  /** The tracker a DNS name belongs to: the longest listed domain it equals or ends with. */
  lookup(name: string): TrackerInfo | undefined {
    let label = name.toLowerCase();
    for (;;) {
      const t = this.byDomain.get(label);
      if (t) return t;
      const dot = label.indexOf(".");
      if (dot < 0) return undefined;
      label = label.slice(dot + 1);
    }
  }
}

export function loadTrackers(extra: readonly string[] = [], warn?: (message: string) => void): TrackerList {
  const list = new TrackerList();
  readCsv(SHIPPED, list);
  for (const file of extra) {
    const text = decodeText(readFileSync(file), (m) => warn?.(`${file}: ${m}`), "convert the file to UTF-8");
    if (/^\s*\{/.test(text)) readJsonList(text, file, list);
    else readCsv(file, list, text);
  }
  return list;
}

function readCsv(file: string, list: TrackerList, text = readFileSync(file, "utf8")): void {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.split(",").map((s) => s.trim());
  if (header?.[0] !== "domain") throw new LongwatchError("invalid_input", `${file}: a tracker CSV starts with the header domain,owner,category`);
  lines.slice(1).forEach((l, i) => {
    if (l.trim() === "") return;
    const [domain, owner, category] = l.split(",").map((s) => s.trim());
    if (!domain || !/^[a-z0-9.-]+$/i.test(domain)) throw new LongwatchError("invalid_input", `${file}:${i + 2}: "${domain ?? ""}" is not a domain`);
    list.add({ domain, owner: owner || domain, category: category || "tracking" });
  });
}

/** Disconnect services.json ({categories: {Advertising: [{Company: {url: [domains]}}]}}) or Tracker Radar tds.json ({trackers: {domain: {owner, categories}}}). */
function readJsonList(text: string, file: string, list: TrackerList): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new LongwatchError("invalid_input", `${file}: ${jsonProblem(text)}`);
  }
  const d = doc as { categories?: Record<string, unknown[]>; trackers?: Record<string, { owner?: { name?: string }; categories?: string[] }> };
  if (d.trackers && typeof d.trackers === "object") {
    for (const [domain, t] of Object.entries(d.trackers)) list.add({ domain, owner: t.owner?.name ?? domain, category: (t.categories?.[0] ?? "tracking").toLowerCase() });
    return;
  }
  if (d.categories && typeof d.categories === "object") {
    for (const [category, companies] of Object.entries(d.categories)) {
      for (const c of companies ?? []) {
        for (const [owner, urls] of Object.entries(c as Record<string, Record<string, unknown>>)) {
          for (const domains of Object.values(urls ?? {})) if (Array.isArray(domains)) for (const domain of domains) if (typeof domain === "string") list.add({ domain, owner, category: category.toLowerCase() });
        }
      }
    }
    return;
  }
  throw new LongwatchError("invalid_input", `${file}: neither a Tracker Radar tds.json ("trackers") nor a Disconnect services.json ("categories")`);
}
