/**
 * Turns detector drafts into alerts: renders their text, deduplicates by key within a window, applies suppressions,
 * gives each alert a stable id, and tells the sink when an alert opens, changes or resolves. Only alerts still inside
 * their dedup window are held, and at most `maxOpen` of them (beyond that drafts are counted as dropped), so memory
 * stays bounded however long the engine runs.
 */
import type { Alert, DetectorId } from "../core/record.ts";
import { severityRank } from "../core/severity.ts";
import type { AlertDraft, DetectorMeta } from "./detector.ts";
import type { Rec } from "./read/rec.ts";

export type AlertChange = "open" | "update" | "resolve";
export type AlertSink = (alert: Alert, change: AlertChange) => void;

export interface Suppression {
  detector: string;
  device_id?: string;
  key?: string;
  /** ISO time after which it no longer applies (compared with the engine's event time). */
  expires?: string;
}

export interface AlertBookOptions {
  dedupWindowMs: number;
  maxOpen: number;
  sourceName(source: number): string;
}

export class AlertBook {
  private readonly open = new Map<string, Alert>();
  /** Keys of alerts that stay open until resolved (a condition, like silence, rather than an event). */
  private readonly sticky = new Set<string>();
  readonly counts = { raised: 0, merged: 0, suppressed: 0, dropped: 0, resolved: 0 };
  private suppressions: { s: Suppression; expires: number }[] = [];
  private nextExpiry = -Infinity;

  constructor(
    private readonly opts: AlertBookOptions,
    private readonly sink: AlertSink,
  ) {}

  setSuppressions(list: readonly Suppression[]): void {
    this.suppressions = list.map((s) => ({ s, expires: s.expires ? Date.parse(s.expires) : Infinity }));
  }

  raise(meta: DetectorMeta, draft: AlertDraft, deviceName: string, modelId: string | undefined): void {
    if (this.isSuppressed(meta.id, deviceName, draft.key, draft.ts)) {
      this.counts.suppressed++;
      return;
    }
    const mapKey = `${meta.id}\u0000${deviceName}\u0000${draft.key}`;
    const when = iso(draft.ts);
    const existing = this.open.get(mapKey);
    const evidence = draft.rec ? { ...draft.evidence, record: this.recordEvidence(draft.rec) } : draft.evidence;
    const vars = { device: deviceName, ...draft.vars };
    if (existing && existing.state !== "resolved" && (this.sticky.has(mapKey) || draft.ts - Date.parse(existing.last_seen) <= this.opts.dedupWindowMs)) {
      existing.count++;
      existing.last_seen = when > existing.last_seen ? when : existing.last_seen;
      const severity = draft.severity ?? meta.severity;
      // Keep the strongest evidence: a later, more severe or more certain sighting replaces the first.
      if (severityRank(severity) > severityRank(existing.severity) || draft.confidence > existing.confidence + 0.05) {
        existing.severity = severityRank(severity) > severityRank(existing.severity) ? severity : existing.severity;
        existing.confidence = Math.max(existing.confidence, round(draft.confidence));
        existing.summary = render(meta.summary, vars);
        existing.evidence = evidence;
      }
      this.counts.merged++;
      this.sink(existing, "update");
      return;
    }
    if (this.open.size >= this.opts.maxOpen) {
      this.counts.dropped++;
      return;
    }
    const alert: Alert = {
      id: alertId(meta.id, deviceName, draft.key, when),
      detector: meta.id as DetectorId,
      device_id: deviceName,
      ...(modelId !== undefined ? { model_id: modelId } : {}),
      key: draft.key,
      severity: draft.severity ?? meta.severity,
      confidence: round(draft.confidence),
      first_seen: when,
      last_seen: when,
      count: 1,
      summary: render(meta.summary, vars),
      action: render(meta.action, vars),
      evidence,
      state: "open",
      verification: "unknown",
    };
    this.open.set(mapKey, alert);
    if (draft.sticky) this.sticky.add(mapKey);
    this.counts.raised++;
    this.sink(alert, "open");
  }

  resolve(detector: string, deviceName: string, key: string, ts: number): void {
    const mapKey = `${detector}\u0000${deviceName}\u0000${key}`;
    const a = this.open.get(mapKey);
    if (!a || a.state === "resolved") return;
    a.state = "resolved";
    a.evidence = { ...a.evidence, resolved_at: iso(ts) };
    this.open.delete(mapKey);
    this.sticky.delete(mapKey);
    this.counts.resolved++;
    this.sink(a, "resolve");
  }

  /**
   * Forgets alerts whose dedup window has passed (they stay with the sink); a later sighting opens a new one. Runs at
   * most every quarter window: an alert lingering a little longer only merges a late repeat.
   */
  expire(now: number): void {
    if (now < this.nextExpiry) return;
    this.nextExpiry = now + this.opts.dedupWindowMs / 4;
    for (const [k, a] of this.open) if (now - Date.parse(a.last_seen) > this.opts.dedupWindowMs && !this.sticky.has(k)) this.open.delete(k);
  }

  /** The dedup state (alerts still in their window), so a restored engine merges exactly as an uninterrupted one. */
  save(): unknown {
    return { open: [...this.open], sticky: [...this.sticky], counts: this.counts, nextExpiry: Number.isFinite(this.nextExpiry) ? this.nextExpiry : null };
  }

  load(state: unknown): void {
    const s = state as { open: [string, Alert][]; sticky: string[]; counts: AlertBook["counts"]; nextExpiry: number | null };
    this.nextExpiry = s.nextExpiry ?? -Infinity;
    for (const [k, a] of s.open) this.open.set(k, a);
    for (const k of s.sticky) this.sticky.add(k);
    Object.assign(this.counts, s.counts);
  }

  openCount(): number {
    return this.open.size;
  }

  private isSuppressed(detector: string, device: string, key: string, ts: number): boolean {
    for (const { s, expires } of this.suppressions) {
      if (s.detector !== detector && s.detector !== "*") continue;
      if (s.device_id !== undefined && s.device_id !== device) continue;
      if (s.key !== undefined && s.key !== key) continue;
      if (ts > expires) continue;
      return true;
    }
    return false;
  }

  private recordEvidence(rec: Rec): Record<string, unknown> {
    return { at: `${this.opts.sourceName(rec.source)}:${rec.line}`, ...rec.fields() };
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

function round(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 100) / 100;
}

/** Fills `{name}` placeholders; an unknown name stays visible so a broken template is noticed, not hidden. */
export function render(template: string, vars: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (m, name: string) => {
    const v = vars[name];
    return v === undefined ? m : String(v);
  });
}

/** A stable id: the same detector, device, key and first sighting always give the same id. */
export function alertId(detector: string, device: string, key: string, firstSeen: string): string {
  const text = `${detector}\u0000${device}\u0000${key}\u0000${firstSeen}`;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return `A${(h1 >>> 0).toString(16).padStart(8, "0")}${(h2 >>> 0).toString(16).padStart(8, "0")}`;
}

