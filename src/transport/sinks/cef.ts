/**
 * ArcSight Common Event Format (CEF) for SIEMs: `CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|Extension`.
 * Escaping follows the CEF specification: in header fields `\` and `|` are escaped and line breaks are not allowed;
 * in extension values `\` and `=` are escaped and line breaks become `\n` / `\r`. Alert text is attacker-influenced
 * (device ids, hostnames), so everything goes through these escapes.
 */
import type { Alert } from "../../core/record.ts";
import type { Severity } from "../../core/severity.ts";
import type { AlertNotice } from "./sink.ts";

const CEF_SEVERITY: Record<Severity, number> = { critical: 10, high: 8, medium: 5, low: 3, info: 1 };

export function cefHeaderEscape(s: string): string {
  return s.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|[\r\n]/g, " ");
}

export function cefValueEscape(s: string): string {
  return s.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r\n|\n/g, "\\n").replace(/\r/g, "\\r");
}

export interface CefProduct {
  vendor: string;
  product: string;
  version: string;
}

export function formatCef(n: AlertNotice, p: CefProduct): string {
  const a: Alert = n.alert;
  const header = ["CEF:0", p.vendor, p.product, p.version, a.detector, `${a.detector} on ${a.device_id}`, String(CEF_SEVERITY[a.severity])].map((f, i) => (i === 0 ? f : cefHeaderEscape(f)));
  const ext: [string, string | number | undefined][] = [
    ["rt", Date.parse(a.last_seen)],
    ["start", Date.parse(a.first_seen)],
    ["end", Date.parse(a.last_seen)],
    ["cnt", a.count],
    ["externalId", a.id],
    ["cat", a.detector],
    ["act", `alert.${n.change}`],
    ["msg", a.summary],
    ["cs1Label", "deviceId"],
    ["cs1", a.device_id],
    ["cs2Label", "modelId"],
    ["cs2", a.model_id],
    ["cs3Label", "whatToDo"],
    ["cs3", a.action],
    ["cs4Label", "alertKey"],
    ["cs4", a.key],
    ["cs5Label", "state"],
    ["cs5", a.state],
    ["cfp1Label", "confidence"],
    ["cfp1", a.confidence],
  ];
  const extension = ext
    .filter((e): e is [string, string | number] => e[1] !== undefined && !(typeof e[1] === "number" && Number.isNaN(e[1])))
    .map(([k, v]) => `${k}=${cefValueEscape(String(v))}`)
    .join(" ");
  return `${header.join("|")}|${extension}`;
}

/** Splits a CEF line back into header fields and extension pairs, undoing the escapes (for tests and receivers). */
export function parseCef(line: string): { header: string[]; ext: Record<string, string> } | undefined {
  const header: string[] = [];
  let cur = "";
  let i = 0;
  for (; i < line.length && header.length < 7; i++) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length && (line[i + 1] === "\\" || line[i + 1] === "|")) cur += line[++i];
    else if (c === "|") {
      header.push(cur);
      cur = "";
    } else cur += c;
  }
  if (header.length < 7) return undefined;
  const rest = line.slice(i);
  const ext: Record<string, string> = {};
  // A key is a run of word characters after a space and before '='; an '=' inside a value is always escaped, so
  // every unescaped "word=" starts the next pair.
  const keyAt = /(?:^| )([A-Za-z0-9_]+)=/g;
  const keys: { key: string; start: number; valueStart: number }[] = [];
  for (let m = keyAt.exec(rest); m; m = keyAt.exec(rest)) keys.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
  keys.forEach((k, j) => {
    const raw = rest.slice(k.valueStart, j + 1 < keys.length ? keys[j + 1]!.start : rest.length);
    ext[k.key] = raw.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c === "r" ? "\r" : c));
  });
  return { header, ext };
}
