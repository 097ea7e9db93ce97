/**
 * Names for addresses from a DNS log: a Zeek dns.log (tab-separated with its #fields header, or Zeek's JSON lines)
 * or NDJSON `{query, answers}`. Flows that carry no name get the name last resolved to their address. Memory is capped:
 * beyond `max` addresses the oldest are not replaced, and the count says so.
 */
import { readFileSync } from "node:fs";
import { LongwatchError } from "../core/errors.ts";
import { decodeText } from "../formats/text-decode.ts";

export interface DnsNames {
  names: Map<string, string>;
  answers: number;
  skipped: number;
}

export function readDnsLog(file: string, max = 1_000_000, warn?: (message: string) => void): DnsNames {
  const out: DnsNames = { names: new Map(), answers: 0, skipped: 0 };
  // Decoded, never with a silent U+FFFD: UTF-8 (BOM or not), UTF-16 by its BOM, Windows-1252 from a byte that is not UTF-8.
  const text = decodeText(readFileSync(file), (m) => warn?.(`${file}: ${m}`), "convert the file to UTF-8");
  let fields: string[] | undefined;
  let sep = "\t";
  const add = (query: unknown, answers: unknown) => {
    if (typeof query !== "string" || query === "" || query === "-") return;
    const list = Array.isArray(answers) ? answers : typeof answers === "string" ? answers.split(",") : [];
    for (const a of list) {
      if (typeof a !== "string" || !/^[0-9a-f:.]+$/i.test(a) || !/[.:]/.test(a)) continue;
      out.answers++;
      if (out.names.size >= max && !out.names.has(a)) {
        out.skipped++;
        continue;
      }
      out.names.set(a, query.toLowerCase().replace(/\.$/, ""));
    }
  };
  let lineNo = 0;
  for (const line of text.split(/\r?\n/)) {
    lineNo++;
    if (line === "") continue;
    if (line.startsWith("#separator")) {
      sep = line.slice(11).replace(/\\x([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
      continue;
    }
    if (line.startsWith("#fields")) {
      fields = line.split(sep).slice(1);
      continue;
    }
    if (line.startsWith("#")) continue;
    if (line.startsWith("{")) {
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        add(o.query, o.answers);
      } catch {
        throw new LongwatchError("invalid_input", `${file}:${lineNo}: not valid JSON`);
      }
      continue;
    }
    if (!fields) throw new LongwatchError("invalid_input", `${file}:${lineNo}: a Zeek dns.log needs its #fields header line before the records`);
    const cells = line.split(sep);
    add(cells[fields.indexOf("query")], cells[fields.indexOf("answers")]);
  }
  return out;
}
