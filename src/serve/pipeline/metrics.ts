/**
 * The pipeline's counters as one plain object (the API serves it as JSON and /metrics renders it with
 * `renderPrometheus`). Reject reasons are grouped by their text with quoted values and numbers taken out, and
 * capped, so a flood of distinct bad values cannot grow the metrics without bound.
 */
import type { SinkStats } from "../../transport/sinks/sink.ts";
import type { SourcesStats } from "./sources.ts";
import type { AuditStats } from "./reaudit.ts";
import type { RespondStats } from "./auto-respond.ts";

export interface PipelineMetrics {
  pipeline: string;
  /** Records accepted per source (http, mqtt, zeek:<path>…). */
  records_in: Record<string, number>;
  /** Records rejected per reason. */
  records_rejected: Record<string, number>;
  records_late: number;
  /**
   * Records detection has taken since the pipeline's first start: processed, late, or held in the reorder buffer.
   * Kept in the checkpoint and rebuilt by the journal replay, so unlike `records_in` it survives restarts: after a
   * crash it still equals every record ever accepted, once each.
   */
  detection_records: number;
  mqtt_duplicates_dropped: number;
  alerts: { open: number; update: number; resolve: number };
  /** Wall clock minus detection's event time (seconds); null before the first record. */
  event_time_lag_seconds: number | null;
  reorder_buffer: { held: number; forced: number };
  journal: { pending: number; bytes: number; errors: number; replayed_on_start: number };
  /** last_ms: the store work of the last checkpoint (its pieces and commit; the event loop is free between them); snapshot_ms: encoding and copying its state, the one part that holds the event loop. */
  checkpoint: { count: number; errors: number; age_seconds: number | null; bytes: number; alerts: number; last_ms: number; snapshot_ms: number };
  sinks: SinkStats[];
  dead_letter_errors: number;
  sources: SourcesStats | undefined;
  audit: AuditStats | undefined;
  /** The playbooks run on live alerts (absent when the config has none and automatic response is off). */
  respond?: RespondStats | undefined;
}

const MAX_REASONS = 50;

export class Counters {
  recordsIn: Record<string, number> = {};
  rejected: Record<string, number> = {};
  late = 0;
  mqttDuplicates = 0;
  alerts = { open: 0, update: 0, resolve: 0 };
  journalPending = 0;
  journalBytes = 0;
  journalErrors = 0;
  replayed = 0;
  checkpoints = 0;
  checkpointErrors = 0;
  private lastCheckpoint: number | undefined;
  private checkpointBytes = 0;
  private checkpointAlerts = 0;
  private checkpointMs = 0;
  private snapshotMs = 0;

  records(source: string, accepted: number, late: number, rejects: readonly { reason: string }[]): void {
    this.recordsIn[source] = (this.recordsIn[source] ?? 0) + accepted;
    this.late += late;
    for (const r of rejects) {
      let k = reasonClass(r.reason);
      if (this.rejected[k] === undefined && Object.keys(this.rejected).length >= MAX_REASONS) k = "other";
      this.rejected[k] = (this.rejected[k] ?? 0) + 1;
    }
  }

  alert(change: "open" | "update" | "resolve"): void {
    this.alerts[change]++;
  }

  restoredFrom(savedAt: string, _now: number): void {
    this.lastCheckpoint = Date.parse(savedAt);
  }

  checkpointed(now: number, bytes: number, alerts: number, ms: number, snapshotMs = 0): void {
    this.snapshotMs = Math.round(snapshotMs);
    this.checkpoints++;
    this.lastCheckpoint = now;
    this.checkpointBytes = bytes;
    this.checkpointAlerts += alerts;
    this.checkpointMs = Math.round(ms);
  }

  /** Nothing changed since the last checkpoint: it still covers everything, so its age starts again. */
  checkpointSkipped(now: number): void {
    this.lastCheckpoint = now;
  }

  snapshot(x: { pipeline: string; wall: number; eventTime: number | undefined; detectionRecords: number; held: number; forced: number; sinks: SinkStats[]; deadLetterErrors: number; sources: SourcesStats | undefined; audit: AuditStats | undefined; respond?: RespondStats | undefined }): PipelineMetrics {
    const lag = x.eventTime !== undefined && Number.isFinite(x.eventTime) && x.eventTime > 0 ? Math.max(0, (x.wall - x.eventTime) / 1000) : null;
    return {
      pipeline: x.pipeline,
      records_in: { ...this.recordsIn },
      records_rejected: { ...this.rejected },
      records_late: this.late,
      detection_records: x.detectionRecords,
      mqtt_duplicates_dropped: this.mqttDuplicates,
      alerts: { ...this.alerts },
      event_time_lag_seconds: lag,
      reorder_buffer: { held: x.held, forced: x.forced },
      journal: { pending: this.journalPending, bytes: this.journalBytes, errors: this.journalErrors, replayed_on_start: this.replayed },
      checkpoint: { count: this.checkpoints, errors: this.checkpointErrors, age_seconds: this.lastCheckpoint === undefined ? null : Math.max(0, (x.wall - this.lastCheckpoint) / 1000), bytes: this.checkpointBytes, alerts: this.checkpointAlerts, last_ms: this.checkpointMs, snapshot_ms: this.snapshotMs },
      sinks: x.sinks,
      dead_letter_errors: x.deadLetterErrors,
      sources: x.sources,
      audit: x.audit,
      ...(x.respond ? { respond: x.respond } : {}),
    };
  }
}

/** "ts: "2026-13-01" is not a time" → "ts: … is not a time". */
export function reasonClass(reason: string): string {
  return reason
    .replace(/"[^"]*"/g, "…")
    .replace(/\d+(\.\d+)?/g, "N")
    .slice(0, 120);
}

/** A Prometheus label value escaped (backslash, newline, double quote). */
export const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** Adds one metric family: its HELP and TYPE lines and its samples (a null sample is left out). */
export type Family = (name: string, type: "counter" | "gauge", help: string, samples: [string, number | null][]) => void;

/** A Prometheus text (exposition format 0.0.4) whose every sample carries the pipeline's (or worker's) name. */
export function promWriter(pipeline: string): { family: Family; text(): string } {
  const out: string[] = [];
  const p = `pipeline="${esc(pipeline)}"`;
  return {
    family(name, type, help, samples) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) if (v !== null) out.push(`${name}{${[p, labels].filter(Boolean).join(",")}} ${v}`);
    },
    text: () => `${out.join("\n")}\n`,
  };
}

/** The alert sinks' counters (the webhooks, syslog, the playbooks' queue named respond). */
export function sinkFamilies(family: Family, sinks: readonly SinkStats[]): void {
  const sink = (f: (s: SinkStats) => number) => sinks.map((s): [string, number] => [`sink="${esc(s.name)}",type="${s.type}"`, f(s)]);
  family("longwatch_sink_sent_total", "counter", "Alerts a sink's peer accepted.", sink((s) => s.sent));
  family("longwatch_sink_failures_total", "counter", "Alerts a sink gave up on (dead-lettered).", sink((s) => s.failed));
  family("longwatch_sink_retries_total", "counter", "Delivery attempts after the first.", sink((s) => s.retried));
  family("longwatch_sink_dropped_total", "counter", "Alerts dropped because a sink's queue was full (dead-lettered).", sink((s) => s.dropped));
  family("longwatch_sink_dead_lettered_total", "counter", "Alerts written to the dead-letter list.", sink((s) => s.dead_lettered));
  family("longwatch_sink_queue_depth", "gauge", "Alerts waiting in a sink's queue.", sink((s) => s.queue_depth));
}

/**
 * The playbooks' counters, the same wherever responses happen: plain `serve`, `serve --nats` (rule playbooks after
 * re-audits and scan jobs) and `longwatch worker` (detector playbooks, and the time-to-live sweep in one of them).
 */
export function respondFamilies(family: Family, r: RespondStats): void {
  family("longwatch_respond_alerts_total", "counter", "Alerts the playbooks ran on (their queue is the sink named respond).", [["", r.alerts]]);
  family("longwatch_respond_findings_total", "counter", "New findings of fleet re-audits the playbooks ran on.", [["", r.findings]]);
  family("longwatch_respond_responses_total", "counter", "Responses the playbooks proposed; of them applied automatically (the action called); of those verified, and failed (the action threw or its verify failed).", [["outcome=\"proposed\"", r.proposed], ["outcome=\"applied\"", r.applied], ["outcome=\"verified\"", r.verified], ["outcome=\"failed\"", r.failed]]);
  family("longwatch_respond_waiting_total", "counter", "Proposed responses left for a person, by why (budget: the automatic budget refused them; paused: the switch held them).", Object.entries(r.waiting).map(([k, v]) => [`why="${k}"`, v]));
  family("longwatch_respond_errors_total", "counter", "Targets whose proposal or automatic apply failed.", [["", r.errors]]);
  family("longwatch_respond_ttl_reversed_total", "counter", "Automatic responses reversed at the end of their time-to-live.", [["", r.reversed]]);
  family("longwatch_respond_sweeps_total", "counter", "Time-to-live sweeps this process ran.", [["", r.sweeps]]);
  family("longwatch_respond_sweep_errors_total", "counter", "Time-to-live reversals (or whole sweeps) that failed.", [["", r.sweep_errors]]);
  family("longwatch_respond_paused", "gauge", "1 while automatic response is paused (respond pause), as this process last read the switch.", [["", r.paused === undefined ? null : r.paused ? 1 : 0]]);
}

/** The metrics in the Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(m: PipelineMetrics): string {
  const w = promWriter(m.pipeline);
  const family = w.family;
  family("longwatch_records_in_total", "counter", "Records accepted, by source.", Object.entries(m.records_in).map(([s, v]) => [`source="${esc(s)}"`, v]));
  family("longwatch_records_rejected_total", "counter", "Records rejected, by reason.", Object.entries(m.records_rejected).map(([r, v]) => [`reason="${esc(r)}"`, v]));
  family("longwatch_records_late_total", "counter", "Accepted records older than what detection had processed.", [["", m.records_late]]);
  family("longwatch_detection_records_total", "counter", "Records detection has taken since the pipeline's first start (kept across restarts by the checkpoint).", [["", m.detection_records]]);
  family("longwatch_mqtt_duplicates_dropped_total", "counter", "MQTT redeliveries of messages already taken in.", [["", m.mqtt_duplicates_dropped]]);
  family("longwatch_alerts_total", "counter", "Alert changes raised by detection.", Object.entries(m.alerts).map(([c, v]) => [`change="${c}"`, v]));
  family("longwatch_event_time_lag_seconds", "gauge", "Wall clock minus detection's event time.", [["", m.event_time_lag_seconds]]);
  family("longwatch_reorder_buffer_records", "gauge", "Records held for stragglers.", [["", m.reorder_buffer.held]]);
  family("longwatch_journal_pending", "gauge", "Bodies waiting to be journaled.", [["", m.journal.pending]]);
  family("longwatch_journal_replayed_on_start", "gauge", "Journal bodies after the last checkpoint replayed at start (after a crash).", [["", m.journal.replayed_on_start]]);
  family("longwatch_journal_errors_total", "counter", "Journal writes that failed (the sender was told to retry).", [["", m.journal.errors]]);
  family("longwatch_checkpoint_age_seconds", "gauge", "Time since the last committed checkpoint.", [["", m.checkpoint.age_seconds]]);
  family("longwatch_checkpoints_total", "counter", "Checkpoints committed.", [["", m.checkpoint.count]]);
  family("longwatch_checkpoint_errors_total", "counter", "Checkpoints that failed.", [["", m.checkpoint.errors]]);
  family("longwatch_checkpoint_bytes", "gauge", "Size of the last checkpoint's detection state.", [["", m.checkpoint.bytes]]);
  family("longwatch_checkpoint_duration_seconds", "gauge", "Store time of the last checkpoint: its state pieces and its commit, each a write of its own with journal appends between them.", [["", m.checkpoint.last_ms / 1000]]);
  family("longwatch_checkpoint_snapshot_seconds", "gauge", "How long the last checkpoint held the event loop to encode and copy the detection state.", [["", m.checkpoint.snapshot_ms / 1000]]);
  sinkFamilies(family, m.sinks);
  family("longwatch_dead_letter_errors_total", "counter", "Dead letters that could not be written (lost alerts).", [["", m.dead_letter_errors]]);
  if (m.sources?.mqtt) {
    const q = m.sources.mqtt;
    family("longwatch_mqtt_messages_total", "counter", "MQTT messages received.", [["", q.messages]]);
    family("longwatch_mqtt_acked_total", "counter", "MQTT QoS 1 messages acknowledged after they were journaled.", [["", q.acked]]);
    family("longwatch_mqtt_redelivered_total", "counter", "MQTT messages the broker marked as redeliveries.", [["", q.redelivered]]);
    family("longwatch_mqtt_in_flight", "gauge", "MQTT messages received and not yet acknowledged.", [["", q.in_flight]]);
    family("longwatch_mqtt_connected", "gauge", "1 while connected to the broker.", [["", q.connected ? 1 : 0]]);
  }
  if (m.sources?.zeek.length) {
    family("longwatch_zeek_lines_total", "counter", "Lines read from followed Zeek logs.", m.sources.zeek.map((z) => [`path="${esc(z.path)}"`, z.lines]));
    family("longwatch_zeek_lost_total", "counter", "Truncations whose unread rest was not found (lines lost).", m.sources.zeek.map((z) => [`path="${esc(z.path)}"`, z.truncations_unrecovered]));
  }
  if (m.audit) {
    family("longwatch_audits_total", "counter", "Fleet re-audits run.", [["", m.audit.runs]]);
    family("longwatch_audit_errors_total", "counter", "Fleet re-audits that failed.", [["", m.audit.errors]]);
  }
  if (m.respond) respondFamilies(family, m.respond);
  return w.text();
}
