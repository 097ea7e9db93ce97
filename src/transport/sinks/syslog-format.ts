/**
 * RFC 5424 syslog messages for alerts: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ELEMENT] MSG`, with the
 * alert's fields as structured data and, as MSG, either the alert's own words (summary and what to do) or a CEF
 * record for SIEMs. Header fields are printable US-ASCII without spaces (RFC 5424 §6.2); SD-PARAM values escape
 * `"`, `\` and `]` (§6.3.3); MSG is UTF-8 with a BOM (§6.4).
 */
import type { Severity } from "../../core/severity.ts";
import { formatCef, type CefProduct } from "./cef.ts";
import type { AlertNotice } from "./sink.ts";

export const FACILITIES = { kern: 0, user: 1, daemon: 3, auth: 4, syslog: 5, authpriv: 10, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23 } as const;
export type Facility = keyof typeof FACILITIES;

/** Alert severity → syslog severity: critical → 2 crit, high → 3 err, medium → 4 warning, low → 5 notice, info → 6 info. */
const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };

export interface SyslogFormat {
  facility: Facility;
  hostname: string;
  appName: string;
  procId: string;
  /** SD-ID of the structured-data element: name@<private enterprise number>. */
  sdId: string;
  /** MSG is a CEF record instead of plain text. */
  cef?: CefProduct | undefined;
}

const BOM = "\uFEFF";

/** A header field: printable ASCII (33–126) only, at most `max` characters, "-" when empty. */
export function headerField(s: string, max: number): string {
  const clean = s.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
  return clean.length === 0 ? "-" : clean;
}

export function sdValue(s: string): string {
  return s.replace(/["\\\]]/g, (c) => `\\${c}`);
}

export function formatSyslog(n: AlertNotice, f: SyslogFormat, now: Date): string {
  const a = n.alert;
  const pri = FACILITIES[f.facility] * 8 + SYSLOG_SEVERITY[a.severity];
  const params: [string, string | number | undefined][] = [
    ["id", a.id],
    ["detector", a.detector],
    ["device_id", a.device_id],
    ["model_id", a.model_id],
    ["severity", a.severity],
    ["confidence", a.confidence],
    ["first_seen", a.first_seen],
    ["last_seen", a.last_seen],
    ["count", a.count],
    ["state", a.state],
    ["change", n.change],
  ];
  const sd = `[${headerField(f.sdId, 32).replace(/[= \]"]/g, "_")}${params
    .filter((p): p is [string, string | number] => p[1] !== undefined)
    .map(([k, v]) => ` ${k}="${sdValue(String(v))}"`)
    .join("")}]`;
  const msg = f.cef ? formatCef(n, f.cef) : `${BOM}${a.severity.toUpperCase()} ${a.detector} on ${a.device_id}: ${oneLine(a.summary)} What to do: ${oneLine(a.action)}`;
  return `<${pri}>1 ${now.toISOString()} ${headerField(f.hostname, 255)} ${headerField(f.appName, 48)} ${headerField(f.procId, 128)} ${headerField(`alert.${n.change}`, 32)} ${sd} ${msg}`;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, " ");
}

/** Cuts a UTF-8 message to at most `max` bytes without splitting a character. */
export function truncateUtf8(s: string, max: number): Buffer {
  const b = Buffer.from(s, "utf8");
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}
