/**
 * The lists (lists.ts) in SQL both adapters run: the tables and columns are the same on SQLite and PostgreSQL, so
 * the queries are written once, with `?` placeholders, and the adapter supplies its few dialect differences
 * (`ListDialect`) and a way to run a statement. Each list is a keyset page over an index: `WHERE <filters> AND
 * (sort key) > (last key) ORDER BY sort key LIMIT n+1`, and its total a `COUNT(*)` over at most cap+1 rows.
 */
import { LongwatchError } from "../core/errors.ts";
import type { Finding } from "../core/finding.ts";
import type { Severity } from "../core/severity.ts";
import { SEVERITIES } from "../core/severity.ts";
import { normalizeVulnId } from "./vulns.ts";
import type { AlertDay, AlertEventQuery, AdvisoryListItem, AdvisoryQuery, AlertQuery, AlertSuppressionQuery, Coverage, CoverageGap, DeviceQuery, FindingGroup, FindingGroupQuery, FindingQuery, ListRepository, Overview, OverviewOptions, Page, ScanQuery, SuppressionQuery, TimeRange } from "./lists.ts";
import { UNSECURABLE_RULES } from "./lists.ts";
import { decodePageToken, encodePageToken, type KeyKind, type KeyValue, pageSize, sortOf, totalCap } from "./page.ts";
import { type AlertRow, alertOf, type FindingRow, findingOf, SEVERITY_NUMBER, SEVERITY_ORDER } from "./rows.ts";
import type { AlertEvent, AlertSuppression } from "./alerts.ts";
import { type EventRow, eventOf } from "./alert-events.ts";
import type { StoredDevice } from "./fleet.ts";
import type { ScanCounts, ScanInfo, ScanRun, Suppression } from "./findings.ts";
import { cellKeys } from "./derived.ts";

export interface ListDialect {
  /** Appended to text columns people sort by: ` COLLATE "C"` on PostgreSQL (byte order, like SQLite), '' on SQLite. */
  readonly collate: string;
  /** A FROM item giving the strings of a JSON array column as rows `j(value)`. */
  jsonElements(column: string): string;
  /** Whether a text column contains the one `?` parameter. */
  contains(column: string): string;
}

export type RunSql = (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** A WHERE being built: fragments ANDed, parameters in the order their `?` appear. */
class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string, ...params: unknown[]): this {
    this.parts.push(sql);
    this.params.push(...params);
    return this;
  }
  get sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(" AND ")}` : "";
  }
}

interface Key {
  expr: string;
  kind: KeyKind;
}

interface PageSpec<T> {
  list: string;
  /** The query as the token digests it (filters, plus anything else that must not change between pages). */
  q: object;
  sort: string;
  order: "asc" | "desc";
  size: number;
  cap: number;
  token: string | undefined;
  select: string;
  from: string;
  where: Where;
  keys: Key[];
  item(row: Record<string, unknown>): T;
}

function severityAtLeast(s: Severity): number {
  if (!SEVERITIES.includes(s)) throw usage("severity", `severity must be one of ${SEVERITIES.join(", ")}`);
  return SEVERITY_NUMBER[s];
}

/** The upper end of the byte-order range of strings that start with `prefix`. */
const PREFIX_END = "\u{10FFFF}";

export class SqlLists implements ListRepository {
  constructor(
    private readonly d: ListDialect,
    private readonly run: RunSql,
  ) {}

  private text(column: string): string {
    return `${column}${this.d.collate}`;
  }

  private async page<T>(s: PageSpec<T>): Promise<Page<T>> {
    const after = decodePageToken(s.token, s.list, s.q, s.sort, s.order, s.keys.map((k) => k.kind));
    const cmp = s.order === "asc" ? ">" : "<";
    const dir = s.order === "asc" ? "ASC" : "DESC";
    const paged = new Where();
    paged.parts.push(...s.where.parts);
    paged.params.push(...s.where.params);
    if (after) paged.add(`(${s.keys.map((k) => k.expr).join(", ")}) ${cmp} (${s.keys.map(() => "?").join(", ")})`, ...after);
    const keyCols = s.keys.map((k, i) => `${k.expr} AS k${i}`).join(", ");
    const rows = await this.run(`SELECT ${s.select}, ${keyCols} FROM ${s.from} ${paged.sql} ORDER BY ${s.keys.map((k) => `${k.expr} ${dir}`).join(", ")} LIMIT ${s.size + 1}`, paged.params);
    const more = rows.length > s.size;
    if (more) rows.length = s.size;
    const last = rows[rows.length - 1];
    const page: Page<T> = {
      items: rows.map((r) => s.item(r)),
      next_page_token: more && last ? encodePageToken(s.list, s.q, s.sort, s.order, s.keys.map((k, i) => (k.kind === "number" ? Number(last[`k${i}`]) : ((last[`k${i}`] as KeyValue | undefined) ?? null)))) : null,
    };
    if (s.cap > 0) {
      const [c] = await this.run(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${s.from} ${s.where.sql} LIMIT ${s.cap + 1}) x`, s.where.params);
      const n = Number(c!.n);
      page.total = n > s.cap ? { count: s.cap, type: "at_least" } : { count: n, type: "exact" };
    }
    return page;
  }

  // ---- devices -------------------------------------------------------------------------------------------

  private gap(gap: CoverageGap): string {
    switch (gap) {
      case "firmware_inventory":
        return "NOT EXISTS (SELECT 1 FROM vuln_sboms s WHERE s.model_id = d.model_id AND s.firmware_version = d.firmware_version)";
      case "certificate":
        return "d.cert_fingerprint IS NULL";
      case "credentials":
        return `NOT EXISTS (SELECT 1 FROM credentials c WHERE c.device_id = d.device_id) AND NOT EXISTS (${MODEL_CREDENTIAL})`;
      case "traffic":
        return "NOT EXISTS (SELECT 1 FROM traffic_devices t WHERE t.device_id = d.device_id)";
    }
  }

  private deviceWhere(q: { [K in keyof DeviceQuery]?: DeviceQuery[K] | undefined }, w = new Where()): Where {
    if (q.device_id_prefix !== undefined) w.add("d.device_id >= ? AND d.device_id < ?", q.device_id_prefix, q.device_id_prefix + PREFIX_END);
    if (q.model_id !== undefined) w.add("d.model_id = ?", q.model_id);
    if (q.firmware_version !== undefined) w.add("d.firmware_version = ?", q.firmware_version);
    if (q.country !== undefined) w.add("d.country = ?", q.country.toUpperCase());
    if (q.provider !== undefined) w.add("d.provider = ?", q.provider);
    if (q.group !== undefined) w.add("d.device_id IN (SELECT g.device_id FROM device_groups g WHERE g.grp = ?)", q.group);
    if (q.missing !== undefined) {
      if (!GAPS.includes(q.missing)) throw usage("missing", `missing must be one of ${GAPS.join(", ")}`);
      w.add(this.gap(q.missing));
    }
    return w;
  }

  async devices(q: DeviceQuery = {}): Promise<Page<StoredDevice>> {
    const { sort, order } = sortOf(q, { device_id: "asc", country: "asc", provider: "asc" }, "device_id");
    // In the primary key's collation (PostgreSQL: the database's), so the keys' indexes serve the order.
    const keys: Key[] = sort === "device_id" ? [] : [{ expr: `d.${sort}`, kind: "string" }];
    keys.push({ expr: "d.device_id", kind: "string" });
    return this.page({
      list: "devices", q, sort, order, size: pageSize(q), cap: totalCap(q), token: q.page_token,
      select: "d.doc", from: "devices d", where: this.deviceWhere(q), keys,
      item: (r) => JSON.parse(r.doc as string) as StoredDevice,
    });
  }

  // ---- findings ------------------------------------------------------------------------------------------

  private async latestScanId(): Promise<number | undefined> {
    const [r] = await this.run("SELECT id FROM scans WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1", []);
    return r === undefined ? undefined : Number(r.id);
  }

  private findingWhere(scanId: number, q: FindingQuery): Where {
    const w = new Where().add("f.scan_id = ?", scanId);
    if (q.status !== undefined) w.add("f.status = ?", q.status);
    else w.add("f.status <> 'fixed'");
    if (q.rule !== undefined) w.add(`${this.text("f.rule")} = ?`, q.rule);
    if (q.severity !== undefined) w.add(`${SEVERITY_ORDER} <= ?`, severityAtLeast(q.severity));
    if (q.model_id !== undefined) w.add("f.model_id = ?", q.model_id);
    if (q.device_id !== undefined) {
      // The device's own findings (by index), and the group findings that list it: few rows, whose device list (a
      // JSON array of strings, written by JSON.stringify) contains the id as JSON.stringify writes it — exact, since
      // a quote inside an id is escaped. One IN over both, so the page and its count stay on the scan's rows.
      w.add(
        `f.id IN (SELECT x.id FROM findings x WHERE x.scan_id = ? AND x.device_id = ?
           UNION ALL SELECT x.id FROM findings x WHERE x.scan_id = ? AND x.device_id IS NULL AND x.devices IS NOT NULL AND ${this.d.contains("x.devices")})`,
        scanId, q.device_id, scanId, JSON.stringify(q.device_id),
      );
    }
    const byDevice = { firmware_version: q.firmware_version, group: q.group, country: q.country, provider: q.provider };
    if (Object.values(byDevice).some((v) => v !== undefined)) {
      const dw = this.deviceWhere(byDevice, new Where().add("d.device_id = f.device_id"));
      w.add(`EXISTS (SELECT 1 FROM devices d ${dw.sql})`, ...dw.params);
    }
    return w;
  }

  async findings(q: FindingQuery = {}): Promise<Page<Finding>> {
    const { sort, order } = sortOf(q, { severity: "asc", rule: "asc", id: "asc" }, "severity");
    const scanId = await this.latestScanId();
    const size = pageSize(q);
    const cap = totalCap(q);
    if (scanId === undefined) {
      decodePageToken(q.page_token, "findings", { ...q, scan: null }, sort, order, []);
      return { items: [], next_page_token: null, ...(cap > 0 ? { total: { count: 0, type: "exact" as const } } : {}) };
    }
    // By rule means by rule, then severity: one index (scan, rule, severity, id) serves that order, one rule's
    // findings in severity order, and their count.
    const keys: Key[] = sort === "severity" ? [{ expr: SEVERITY_ORDER, kind: "number" }] : sort === "rule" ? [{ expr: this.text("f.rule"), kind: "string" }, { expr: SEVERITY_ORDER, kind: "number" }] : [];
    keys.push({ expr: "f.id", kind: "number" });
    return this.page({
      // The scan is part of the query: when a newer scan finishes, the old scan's tokens are refused, not mixed.
      list: "findings", q: { ...q, scan: scanId }, sort, order, size, cap, token: q.page_token,
      select: "f.fingerprint, f.rule, f.severity, f.device_id, f.model_id, f.title, f.evidence, f.standards, f.devices, f.reach, f.suppression, f.status",
      from: "findings f", where: this.findingWhere(scanId, q), keys,
      item: (r) => findingOf(r as unknown as FindingRow),
    });
  }

  async findingGroups(q: FindingGroupQuery = {}): Promise<FindingGroup[]> {
    const scanId = await this.latestScanId();
    if (scanId === undefined) return [];
    let rows: Record<string, unknown>[];
    const counted =
      q.model_id === undefined && q.status === undefined
        ? await this.run("SELECT rule, severity AS sev, findings, devices, reach, new, suppressed FROM scan_rules WHERE scan_id = ?", [scanId])
        : await this.run("SELECT rule, severity AS sev, findings, devices, reach, new, suppressed FROM scan_rule_counts WHERE scan_id = ? AND model_id = ? AND status = ?", [scanId, q.model_id ?? "", q.status ?? ""]);
    // A scan counted when it finished has a scan_totals row, even when no cell matches the filter.
    if (counted.length || (q.model_id !== undefined || q.status !== undefined ? (await this.run("SELECT 1 AS x FROM scan_totals WHERE scan_id = ?", [scanId])).length > 0 : false)) rows = counted;
    else {
      // Filtered by what the scan's counts do not split by (or a scan from before they were kept): counted now.
      const w = new Where().add("f.scan_id = ?", scanId);
      if (q.status !== undefined) w.add("f.status = ?", q.status);
      else w.add("f.status <> 'fixed'");
      if (q.model_id !== undefined) w.add("f.model_id = ?", q.model_id);
      const { sql, params } = ruleCounts(this.d, w);
      rows = await this.run(sql, params);
    }
    const at = q.severity !== undefined ? severityAtLeast(q.severity) : 4;
    return rows
      .map((r) => groupOf(r))
      .filter((g) => (q.rule === undefined || g.rule === q.rule) && SEVERITY_NUMBER[g.severity] <= at)
      .sort((a, b) => b.devices - a.devices || b.findings - a.findings || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  }

  // ---- alerts --------------------------------------------------------------------------------------------

  async alerts(q: AlertQuery = {}): Promise<Page<ReturnType<typeof alertOf>>> {
    const { sort, order } = sortOf(q, { last_seen: "desc", first_seen: "desc", severity: "asc" }, "last_seen");
    const w = new Where();
    if (q.detector !== undefined) w.add("a.detector = ?", q.detector);
    if (q.device_id !== undefined) w.add("a.device_id = ?", q.device_id);
    if (q.model_id !== undefined) w.add("a.model_id = ?", q.model_id);
    if (q.severity !== undefined) w.add(`${SEVERITY_ORDER} <= ?`, severityAtLeast(q.severity));
    if (q.state !== undefined) w.add("a.state = ?", q.state);
    if (q.verification !== undefined) w.add("a.verification = ?", q.verification);
    if (q.assignee !== undefined) w.add("a.assignee = ?", q.assignee);
    const time = q.time ?? "last_seen";
    if (time !== "last_seen" && time !== "first_seen") throw usage("time", "time must be last_seen or first_seen");
    if (q.since !== undefined) w.add(`${this.text(`a.${time}`)} >= ?`, q.since);
    if (q.until !== undefined) w.add(`${this.text(`a.${time}`)} < ?`, q.until);
    const keys: Key[] = sort === "severity" ? [{ expr: SEVERITY_ORDER, kind: "number" }] : [{ expr: this.text(`a.${sort}`), kind: "string" }];
    keys.push({ expr: this.text("a.id"), kind: "string" });
    return this.page({
      list: "alerts", q, sort, order, size: pageSize(q), cap: totalCap(q), token: q.page_token,
      select: "a.*", from: "alerts a", where: w, keys,
      item: (r) => alertOf(r as unknown as AlertRow),
    });
  }

  async alertEvents(q: AlertEventQuery = {}): Promise<Page<AlertEvent>> {
    const { sort, order } = sortOf(q, { at: "desc" }, "at");
    const w = new Where();
    if (q.alert_id !== undefined) w.add("e.alert_id = ?", q.alert_id);
    if (q.actor !== undefined) w.add("e.actor = ?", q.actor);
    if (q.action !== undefined) w.add("e.action = ?", q.action);
    if (q.since !== undefined) w.add(`${this.text("e.at")} >= ?`, q.since);
    if (q.until !== undefined) w.add(`${this.text("e.at")} < ?`, q.until);
    return this.page({
      list: "alert_events", q, sort, order, size: pageSize(q), cap: totalCap(q), token: q.page_token,
      select: "e.*", from: "alert_events e", where: w, keys: [{ expr: this.text("e.at"), kind: "string" }, { expr: "e.id", kind: "number" }],
      item: (r) => eventOf({ ...(r as unknown as EventRow), id: Number(r.id) }),
    });
  }

  // ---- small lists ---------------------------------------------------------------------------------------

  async scans(q: ScanQuery = {}): Promise<Page<ScanInfo>> {
    const { sort, order } = sortOf(q, { id: "desc" }, "id");
    const w = new Where().add("finished_at IS NOT NULL");
    if (q.since !== undefined) w.add(`${this.text("started_at")} >= ?`, q.since);
    if (q.until !== undefined) w.add(`${this.text("started_at")} < ?`, q.until);
    return this.page({
      list: "scans", q, sort, order, size: pageSize(q), cap: totalCap(q), token: q.page_token,
      select: "id, started_at, finished_at, rules, counts", from: "scans", where: w, keys: [{ expr: "id", kind: "number" }],
      item: (r) => ({ id: Number(r.id), started_at: String(r.started_at), finished_at: String(r.finished_at), rules: JSON.parse(r.rules as string) as string[], counts: r.counts ? (JSON.parse(r.counts as string) as ScanInfo["counts"]) : {} }),
    });
  }

  async suppressions(q: SuppressionQuery = {}): Promise<Page<Suppression>> {
    const { sort, order } = sortOf(q, { id: "asc" }, "id");
    const w = new Where();
    if (q.rule !== undefined) w.add("rule = ?", q.rule);
    if (q.device_id !== undefined) w.add("device_id = ?", q.device_id);
    return this.page({
      list: "suppressions", q, sort, order, size: pageSize(q), cap: totalCap(q), token: q.page_token,
      select: "*", from: "suppressions", where: w, keys: [{ expr: "id", kind: "number" }],
      item: (r) => withoutNulls({ id: Number(r.id), rule: r.rule, fingerprint: r.fingerprint, device_id: r.device_id, reason: r.reason, expires: r.expires, created_at: r.created_at }) as unknown as Suppression,
    });
  }

  async alertSuppressions(q: AlertSuppressionQuery = {}): Promise<Page<AlertSuppression>> {
    const { sort, order } = sortOf(q, { id: "asc" }, "id");
    const w = new Where();
    if (q.detector !== undefined) w.add("detector = ?", q.detector);
    if (q.device_id !== undefined) w.add("device_id = ?", q.device_id);
    return this.page({
      list: "alert_suppressions", q, sort, order, size: pageSize(q), cap: totalCap(q), token: q.page_token,
      select: "*", from: "alert_suppressions", where: w, keys: [{ expr: "id", kind: "number" }],
      item: (r) => withoutNulls({ id: Number(r.id), detector: r.detector, device_id: r.device_id, key: r.key, reason: r.reason, expires: r.expires, created_at: r.created_at }) as unknown as AlertSuppression,
    });
  }

  async advisories(q: AdvisoryQuery = {}): Promise<Page<AdvisoryListItem>> {
    const { sort, order } = sortOf(q, { id: "asc" }, "id");
    const w = new Where();
    if (q.source !== undefined) w.add("v.source = ?", q.source);
    if (q.vuln_id !== undefined) w.add("(v.id = ? OR EXISTS (SELECT 1 FROM vuln_ids i WHERE i.advisory_id = v.id AND i.alias = ?))", q.vuln_id, normalizeVulnId(q.vuln_id));
    if (q.known_exploited === true) w.add("EXISTS (SELECT 1 FROM vuln_ids i JOIN vuln_kev k ON k.cve_id = i.alias WHERE i.advisory_id = v.id)");
    if (q.known_exploited === false) w.add("NOT EXISTS (SELECT 1 FROM vuln_ids i JOIN vuln_kev k ON k.cve_id = i.alias WHERE i.advisory_id = v.id)");
    return this.page({
      list: "advisories", q, sort, order, size: pageSize(q), cap: totalCap(q), token: q.page_token,
      select: "v.doc", from: "vuln_advisories v", where: w, keys: [{ expr: this.text("v.id"), kind: "string" }],
      item: (r) => JSON.parse(r.doc as string) as AdvisoryListItem,
    });
  }

  // ---- counts --------------------------------------------------------------------------------------------

  private async count(sql: string, params: unknown[] = []): Promise<number> {
    const [r] = await this.run(sql, params);
    return Number(r?.n ?? 0);
  }

  async alertsPerDay(range: Required<TimeRange>): Promise<AlertDay[]> {
    // Each day one count over its stretch of the (first_seen, severity) index (overview migration 1): a GROUP BY on
    // the day over the whole range sorted every row into a temporary tree, 4× slower on SQLite.
    const DAY = 86_400_000;
    const out: AlertDay[] = [];
    const since = Date.parse(range.since);
    const until = Date.parse(range.until);
    if (Number.isNaN(since)) throw usage("since", `since is not an ISO 8601 time: ${JSON.stringify(range.since).slice(0, 40)}`);
    if (Number.isNaN(until)) throw usage("until", `until is not an ISO 8601 time: ${JSON.stringify(range.until).slice(0, 40)}`);
    if (until - since > MAX_DAYS * DAY) throw usage("until", `alerts are counted per day for at most ${MAX_DAYS} days at once`);
    for (let t = since; t < until; t = Math.floor(t / DAY) * DAY + DAY) {
      const end = Math.min(Math.floor(t / DAY) * DAY + DAY, until);
      const [r] = await this.run(
        `SELECT COUNT(*) AS raised, SUM(CASE WHEN a.severity IN ('critical', 'high') THEN 1 ELSE 0 END) AS high FROM alerts a WHERE ${this.text("a.first_seen")} >= ? AND ${this.text("a.first_seen")} < ?`,
        [new Date(t).toISOString(), new Date(end).toISOString()],
      );
      if (Number(r?.raised ?? 0) > 0) out.push({ day: new Date(t).toISOString().slice(0, 10), raised: Number(r!.raised), high: Number(r!.high) });
    }
    return out;
  }

  async overview(opts: OverviewOptions = {}): Promise<Overview> {
    // The devices per (model, firmware) every import keeps in step (derived.ts), not a count over the devices.
    const devices = await this.count("SELECT COALESCE(SUM(devices), 0) AS n FROM device_images");
    const scanId = await this.latestScanId();
    const out: Overview = { devices, securable_today: devices, open_findings: {}, open_alerts: {}, top_problems: [] };
    // On the index of the alerts not resolved (overview migration 1): it holds only those.
    for (const r of await this.run("SELECT severity, COUNT(*) AS n FROM alerts WHERE state <> 'resolved' GROUP BY severity", [])) out.open_alerts[r.severity as Severity] = Number(r.n);
    if (scanId === undefined) return out;
    const [scan] = (await this.scans({ page_size: 1, total_cap: 0 })).items;
    if (scan) out.latest_scan = scan;
    out.top_problems = (await this.findingGroups()).slice(0, opts.top ?? 10);
    const rules = [...(opts.unsecurable_rules ?? UNSECURABLE_RULES)];
    // Counted when the scan finished (countScanRules), for the default rules; other rules, or a scan from before
    // those counts were kept, are counted now.
    const [totals] = await this.run("SELECT open_findings, unsecurable_rules, unsecurable FROM scan_totals WHERE scan_id = ?", [scanId]);
    if (totals) Object.assign(out.open_findings, JSON.parse(totals.open_findings as string) as Overview["open_findings"]);
    else for (const r of await this.run("SELECT severity, COUNT(*) AS n FROM findings f WHERE f.scan_id = ? AND f.status NOT IN ('fixed', 'suppressed') GROUP BY severity", [scanId])) out.open_findings[r.severity as Severity] = Number(r.n);
    const stored = totals !== undefined && JSON.stringify(rules) === totals.unsecurable_rules;
    out.securable_today = Math.max(0, devices - (stored ? Number(totals.unsecurable) : await unsecurableDevices(this.d, this.run, scanId, rules)));
    return out;
  }

  async coverage(): Promise<Coverage> {
    // Devices per (model, firmware), counted at the end of each import; compared with the inventories and model credentials.
    const images = await this.run("SELECT model_id, firmware_version, devices AS n, with_cert FROM device_images", []);
    const devices = images.reduce((n, r) => n + Number(r.n), 0);
    const sboms = new Set((await this.run("SELECT model_id, firmware_version FROM vuln_sboms", [])).map((r) => `${String(r.model_id)}\0${String(r.firmware_version)}`));
    const modelCreds = await this.run("SELECT model_id, firmware_version FROM credentials c WHERE c.device_id IS NULL AND c.model_id IS NOT NULL", []);
    let withInventory = 0;
    let coveredByModel = 0;
    for (const r of images) {
      const n = Number(r.n);
      if (r.model_id !== null && sboms.has(`${String(r.model_id)}\0${String(r.firmware_version)}`)) withInventory += n;
      if (r.model_id !== null && modelCreds.some((c) => c.model_id === r.model_id && (c.firmware_version === null || c.firmware_version === r.firmware_version))) coveredByModel += n;
    }
    const withCert = images.reduce((n, r) => n + Number(r.with_cert), 0);
    // Devices with credentials of their own whose model has none: counted from the credentials' side.
    const ownOnly = await this.count(`SELECT COUNT(*) AS n FROM (SELECT DISTINCT device_id FROM credentials WHERE device_id IS NOT NULL) c JOIN devices d ON d.device_id = c.device_id WHERE NOT EXISTS (${MODEL_CREDENTIAL})`);
    // Kept as alerts and flows are written and by every import (markTrafficSql, derived.ts).
    const seen = await this.count("SELECT COUNT(*) AS n FROM traffic_devices");
    return {
      devices,
      no_firmware_inventory: devices - withInventory,
      no_certificate: devices - withCert,
      no_credentials: devices - coveredByModel - ownOnly,
      no_traffic: devices - seen,
    };
  }
}

/** The longest range alertsPerDay counts (a count per day). */
const MAX_DAYS = 366;

/** A credential of the device's model (for all its firmware, or for the device's firmware). */
const MODEL_CREDENTIAL = "SELECT 1 FROM credentials m WHERE m.device_id IS NULL AND m.model_id = d.model_id AND (m.firmware_version IS NULL OR m.firmware_version = d.firmware_version)";

const GAPS: readonly CoverageGap[] = ["firmware_inventory", "certificate", "credentials", "traffic"];

function usage(field: string, message: string): LongwatchError {
  return new LongwatchError("usage", message, { field });
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

/**
 * A counted row as a group: `devices` the distinct devices its findings list, or at least the largest reach of those
 * that do not list them (Finding.reach: single-point-of-compromise), which may overlap — then `devices_at_least`.
 */
function groupOf(r: Record<string, unknown>): FindingGroup {
  const listed = Number(r.devices);
  const reach = Number(r.reach ?? 0);
  return { rule: String(r.rule), severity: SEVERITIES[Number(r.sev)] ?? "info", findings: Number(r.findings), devices: Math.max(listed, reach), ...(reach > 0 ? { devices_at_least: true as const, reach } : {}), new: Number(r.new), suppressed: Number(r.suppressed) };
}

/** Per rule: findings, new, suppressed, most severe, distinct devices (their own and those group findings list) and the largest reach of findings that list none. */
function ruleCounts(d: ListDialect, where: Where): { sql: string; params: unknown[] } {
  const pairs = `SELECT f.rule, f.device_id AS dev FROM findings f ${where.sql}${where.parts.length ? " AND" : " WHERE"} f.device_id IS NOT NULL
    UNION SELECT f.rule, j.value AS dev FROM findings f, ${d.jsonElements("f.devices")} ${where.sql}${where.parts.length ? " AND" : " WHERE"} f.device_id IS NULL AND f.devices IS NOT NULL`;
  return {
    sql: `SELECT s.rule, s.sev, s.findings, COALESCE(p.devices, 0) AS devices, s.reach, s.new, s.suppressed FROM
      (SELECT f.rule, MIN(${SEVERITY_ORDER}) AS sev, COUNT(*) AS findings, COALESCE(MAX(CASE WHEN f.device_id IS NULL AND f.devices IS NULL THEN f.reach END), 0) AS reach, SUM(CASE WHEN f.status = 'new' THEN 1 ELSE 0 END) AS new,
              SUM(CASE WHEN f.status = 'suppressed' THEN 1 ELSE 0 END) AS suppressed FROM findings f ${where.sql} GROUP BY f.rule) s
      LEFT JOIN (SELECT rule, COUNT(*) AS devices FROM (${pairs}) u GROUP BY rule) p ON p.rule = s.rule`,
    params: [...where.params, ...where.params, ...where.params],
  };
}


const CELL_KEYS = cellKeys();
/** The devices grouped as `device_cells` is, with how many have a certificate: what both counts are summed from. */
const CELL_COUNTS = (from: string) => `SELECT ${CELL_KEYS}, COUNT(*) AS devices, SUM(mqtt) AS mqtt, COUNT(cert_fingerprint) AS with_cert FROM ${from} GROUP BY ${CELL_KEYS}`;
const IMAGES_FROM_CELLS = (cells: string) => `INSERT INTO device_images (model_id, firmware_version, devices, with_cert) SELECT model_id, firmware_version, SUM(devices), SUM(with_cert) FROM ${cells} GROUP BY model_id, firmware_version`;

/**
 * Counts the devices per (model, firmware), and those with a certificate, into `device_images` for coverage, and per
 * what-if cell into `device_cells` (see COUNT_DEVICE_CELLS), and rebuilds `traffic_devices` (devices added since their
 * alerts were written are seen, pruned ones are not): the full recount. An import adds what it changed instead
 * (derived.ts); it recounts when it is the first, writes more than 1/32 of the fleet, prunes, or finds the tables
 * out of step — and so does store copy.
 *
 * The devices are read once: grouped by the cells' columns (with a certificate count), and `device_images` summed from
 * those few rows. Counting each table from the devices read them twice, through the (model, firmware) index and a
 * look-up of every row: at 100,000 devices 420–530 ms CPU for both on SQLite, against about 200 ms in one pass over
 * the table (NOT INDEXED: in stored order) into a temporary table; on PostgreSQL one statement feeds both inserts.
 */
export async function countDeviceImages(run: RunSql, engine: "sqlite" | "postgres"): Promise<void> {
  await run("DELETE FROM device_images", []);
  await run("DELETE FROM device_cells", []);
  const into = `INSERT INTO device_cells (${CELL_KEYS}, devices, mqtt)`;
  if (engine === "sqlite") {
    await run("DROP TABLE IF EXISTS temp.lw_device_cells", []);
    await run(`CREATE TEMP TABLE lw_device_cells AS ${CELL_COUNTS("devices NOT INDEXED")}`, []);
    await run(`${into} SELECT ${CELL_KEYS}, devices, mqtt FROM temp.lw_device_cells`, []);
    await run(IMAGES_FROM_CELLS("temp.lw_device_cells"), []);
    await run("DROP TABLE temp.lw_device_cells", []);
  } else {
    await run(`WITH c AS MATERIALIZED (${CELL_COUNTS("devices")}), cells AS (${into} SELECT ${CELL_KEYS}, devices, mqtt FROM c) ${IMAGES_FROM_CELLS("c")}`, []);
  }
  await run("DELETE FROM traffic_devices", []);
  await run("INSERT INTO traffic_devices (device_id) SELECT s.device_id FROM (SELECT device_id FROM flow_observations UNION SELECT device_id FROM alerts) s WHERE EXISTS (SELECT 1 FROM devices d WHERE d.device_id = s.device_id)", []);
}

/**
 * Adds the devices of alerts or flow observations being written (the one `?`: a JSON array of their ids) to
 * `traffic_devices`, those the store holds; in the write's transaction. Sorted, so two writers take the same keys in
 * the same order (no deadlock on PostgreSQL).
 */
export function markTrafficSql(d: ListDialect): string {
  return `INSERT INTO traffic_devices (device_id) SELECT DISTINCT x.device_id FROM ${d.jsonElements("?")}, devices x WHERE x.device_id = j.value ORDER BY x.device_id ON CONFLICT (device_id) DO NOTHING`;
}

/**
 * Counts the devices per combination of what whatif/ selects by (model, firmware, country, groups, APN, IMSI prefix,
 * issuer) and how many have an MQTT client id, into `device_cells` (fleet migration 4): a what-if count sums these
 * rows instead of reading the devices. Run with countDeviceImages (a certificate stored again moves its devices' cells
 * by a delta instead, and recounts with this only when the table was out of step).
 */
export const COUNT_DEVICE_CELLS = [
  "DELETE FROM device_cells",
  `INSERT INTO device_cells (${CELL_KEYS}, devices, mqtt) SELECT ${CELL_KEYS}, COUNT(*), SUM(mqtt) FROM devices GROUP BY ${CELL_KEYS}`,
] as const;

/** The groupings "findings by rule" is filtered by, counted at the end of each scan (model '' / status '': any). */
const CELLS: readonly { model: boolean; status: boolean }[] = [
  { model: false, status: true },
  { model: true, status: false },
  { model: true, status: true },
];

/** One grouping's counts per (rule, model, status): rows of (rule, m, st, sev, findings, devices, new, suppressed). */
function cellCounts(d: ListDialect, scanId: number, cell: (typeof CELLS)[number]): { sql: string; params: unknown[] } {
  const m = cell.model ? "f.model_id" : "''";
  const st = cell.status ? "f.status" : "''";
  const cw = new Where().add("f.scan_id = ?", scanId);
  if (cell.model) cw.add("f.model_id IS NOT NULL");
  if (!cell.status) cw.add("f.status <> 'fixed'");
  const and = ` AND ${cw.parts.join(" AND ")}`;
  // PostgreSQL refuses a constant in GROUP BY: group by the columns this cell splits by only.
  const by = (rule: string, mc: string, sc: string) => [rule, ...(cell.model ? [mc] : []), ...(cell.status ? [sc] : [])].join(", ");
  return {
    sql: `SELECT s.rule, s.m, s.st, s.sev, s.findings, COALESCE(p.devices, 0) AS devices, s.reach, s.new, s.suppressed FROM
        (SELECT f.rule, ${m} AS m, ${st} AS st, MIN(${SEVERITY_ORDER}) AS sev, COUNT(*) AS findings, COALESCE(MAX(CASE WHEN f.device_id IS NULL AND f.devices IS NULL THEN f.reach END), 0) AS reach, SUM(CASE WHEN f.status = 'new' THEN 1 ELSE 0 END) AS new,
                SUM(CASE WHEN f.status = 'suppressed' THEN 1 ELSE 0 END) AS suppressed FROM findings f ${cw.sql} GROUP BY ${by("f.rule", m, st)}) s
        LEFT JOIN (SELECT u.rule, ${cell.model ? "u.m" : "''"} AS m, ${cell.status ? "u.st" : "''"} AS st, COUNT(DISTINCT u.dev) AS devices FROM (
            SELECT f.rule, ${m} AS m, ${st} AS st, f.device_id AS dev FROM findings f WHERE f.device_id IS NOT NULL${and}
            UNION ALL SELECT f.rule, ${m} AS m, ${st} AS st, j.value AS dev FROM findings f, ${d.jsonElements("f.devices")} WHERE f.device_id IS NULL AND f.devices IS NOT NULL${and}
          ) u GROUP BY ${by("u.rule", "u.m", "u.st")}) p ON p.rule = s.rule AND p.m = s.m AND p.st = s.st`,
    params: [...cw.params, ...cw.params, ...cw.params],
  };
}

/** The open findings by severity: those `record` counted, and those carried forward from rules that did not run (of `counted`, the rules with open findings). */
async function openBySeverity(d: ListDialect, run: RunSql, scan: Pick<ScanRun, "id" | "rules" | "openBySeverity">, counted: readonly string[]): Promise<Partial<Record<Severity, number>>> {
  const bySeverity: Partial<Record<Severity, number>> = { ...scan.openBySeverity };
  const ran = new Set(scan.rules);
  const carried = counted.filter((r) => !ran.has(r));
  if (carried.length) {
    const rows = await run(`SELECT severity, COUNT(*) AS n FROM findings f WHERE f.scan_id = ? AND f.rule${d.collate} IN (${carried.map(() => "?").join(", ")}) AND f.status NOT IN ('fixed', 'suppressed') GROUP BY severity`, [scan.id, ...carried]);
    for (const r of rows) bySeverity[r.severity as Severity] = (bySeverity[r.severity as Severity] ?? 0) + Number(r.n);
  }
  return bySeverity;
}

/**
 * Counts a finished scan's findings per rule (findings, new, suppressed, most severe, distinct devices) into
 * `scan_rules` (open findings), into `scan_rule_counts` per model, per status and per both, and the open findings per
 * severity and the devices not securable today (UNSECURABLE_RULES) into `scan_totals` — so "findings by rule"
 * (filtered or not) and the overview read a few rows instead of the scan. Both adapters call it at the end of
 * `finishScan`, inside the scan's transaction, unless the counts were read ahead (readScanCounts).
 */
export async function countScanRules(d: ListDialect, run: RunSql, scan: Pick<ScanRun, "id" | "rules" | "openBySeverity">): Promise<void> {
  const scanId = scan.id;
  const { sql, params } = ruleCounts(d, new Where().add("f.scan_id = ?", scanId).add("f.status <> 'fixed'"));
  await run(`INSERT INTO scan_rules (scan_id, rule, severity, findings, devices, reach, new, suppressed) SELECT ?, c.rule, c.sev, c.findings, c.devices, c.reach, c.new, c.suppressed FROM (${sql}) c`, [scanId, ...params]);
  // Lists read the latest scan only: older scans' cells go (scan_rules and scan_totals keep a few rows per scan).
  await run("DELETE FROM scan_rule_counts WHERE scan_id < ?", [scanId]);
  for (const cell of CELLS) {
    const c = cellCounts(d, scanId, cell);
    await run(`INSERT INTO scan_rule_counts (scan_id, rule, model_id, status, severity, findings, devices, reach, new, suppressed) SELECT ?, c.rule, c.m, c.st, c.sev, c.findings, c.devices, c.reach, c.new, c.suppressed FROM (${c.sql}) c`, [scanId, ...c.params]);
  }
  const counted = (await run("SELECT rule FROM scan_rules WHERE scan_id = ?", [scanId])).map((r) => String(r.rule));
  const rules = [...UNSECURABLE_RULES];
  await run("INSERT INTO scan_totals (scan_id, open_findings, unsecurable_rules, unsecurable) VALUES (?, ?, ?, ?)", [scanId, JSON.stringify(await openBySeverity(d, run, scan, counted)), JSON.stringify(rules), await unsecurableDevices(d, run, scanId, rules)]);
}

/**
 * countScanRules's counts by reads only, for a scan whose rows are all written (fixed and carried-forward ones
 * included) but which has not finished: on SQLite, outside a transaction, so the counting holds no write lock and the
 * finish only writes the few rows (writeScanCounts). The devices are counted as they are now, as the finish would.
 */
export async function readScanCounts(d: ListDialect, run: RunSql, scan: Pick<ScanRun, "id" | "rules" | "openBySeverity">): Promise<ScanCounts> {
  const scanId = scan.id;
  const open = ruleCounts(d, new Where().add("f.scan_id = ?", scanId).add("f.status <> 'fixed'"));
  const rules = await run(open.sql, open.params);
  const cells: Record<string, unknown>[] = [];
  for (const cell of CELLS) {
    const c = cellCounts(d, scanId, cell);
    cells.push(...(await run(c.sql, c.params)));
  }
  const unsecurableRules = [...UNSECURABLE_RULES];
  return {
    rules,
    cells,
    openFindings: await openBySeverity(d, run, scan, rules.map((r) => String(r.rule))),
    unsecurableRules,
    unsecurable: await unsecurableDevices(d, run, scanId, unsecurableRules),
  };
}

/** Writes counts read ahead (readScanCounts), as countScanRules writes them, in the finish's transaction. */
export async function writeScanCounts(run: RunSql, scanId: number, c: ScanCounts): Promise<void> {
  await insertRows(run, "scan_rules (scan_id, rule, severity, findings, devices, reach, new, suppressed)", c.rules.map((r) => [scanId, r.rule, r.sev, r.findings, r.devices, r.reach, r.new, r.suppressed]));
  await run("DELETE FROM scan_rule_counts WHERE scan_id < ?", [scanId]);
  await insertRows(run, "scan_rule_counts (scan_id, rule, model_id, status, severity, findings, devices, reach, new, suppressed)", c.cells.map((r) => [scanId, r.rule, r.m, r.st, r.sev, r.findings, r.devices, r.reach, r.new, r.suppressed]));
  await run("INSERT INTO scan_totals (scan_id, open_findings, unsecurable_rules, unsecurable) VALUES (?, ?, ?, ?)", [scanId, JSON.stringify(c.openFindings), JSON.stringify(c.unsecurableRules), c.unsecurable]);
}

/** Multi-row inserts of up to 100 rows each (a statement per row would be prepared per row). */
async function insertRows(run: RunSql, into: string, rows: readonly unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 100) {
    const part = rows.slice(i, i + 100);
    await run(`INSERT INTO ${into} VALUES ${part.map((r) => `(${r.map(() => "?").join(", ")})`).join(", ")}`, part.flat());
  }
}

/** Devices the store holds that have an open finding (their own, or a group finding listing them) of these rules. */
async function unsecurableDevices(d: ListDialect, run: RunSql, scanId: number, rules: readonly string[]): Promise<number> {
  if (!rules.length) return 0;
  const w = new Where().add("f.scan_id = ?", scanId).add("f.status <> 'fixed'").add(`f.rule IN (${rules.map(() => "?").join(", ")})`, ...rules);
  const [r] = await run(
    `SELECT COUNT(*) AS n FROM (SELECT f.device_id AS dev FROM findings f ${w.sql} AND f.device_id IS NOT NULL
       UNION SELECT j.value AS dev FROM findings f, ${d.jsonElements("f.devices")} ${w.sql} AND f.device_id IS NULL AND f.devices IS NOT NULL) u
     WHERE EXISTS (SELECT 1 FROM devices d WHERE d.device_id = u.dev)`,
    [...w.params, ...w.params],
  );
  return Number(r?.n ?? 0);
}
