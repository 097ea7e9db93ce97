/**
 * The service's big lists page in the store (keyset pages, store/lists.ts) and export whole: devices, findings,
 * alerts and the audit log, on SQLite and on PostgreSQL. A walk through every page gives each row once, in order,
 * with the filters applied in the store (not to a capped page in memory); `format=csv|ndjson` (or the Accept header)
 * streams the whole filtered list — more rows than one export page — with formula cells neutralised like the CLI's
 * exports; and a token from another list or filter is refused.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { Finding } from "../../src/core/finding.ts";
import { CsvParser } from "../../src/formats/csv.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { startTestService, type TestService } from "../helpers/serve.ts";
import { importRows } from "../helpers/store.ts";

/** Cells of every record of a CSV text (the product's own RFC 4180 parser). */
function parseCsv(text: string): string[][] {
  const p = new CsvParser({ delimiter: "," });
  return [...p.push(text), ...p.end()].map((r) => {
    if ("error" in r) throw new Error(`CSV line ${r.line}: ${r.error}`);
    return r.cells;
  });
}

const DEVICES = 2300;
const ALERTS = 1200;
type Page<T> = { items: T[]; next_page_token: string | null; total: { count: number; type: string } };

const finding = (rule: string, device: string, severity: Finding["severity"]): Finding => ({ rule, severity, device_id: device, title: `${rule} on ${device}`, evidence: { n: 1 }, standards: [], fingerprint: createHash("md5").update(`${rule}/${device}`).digest("hex"), status: "new" });

async function seed(svc: TestService): Promise<void> {
  const s = svc.store;
  await s.fleet.upsertModels([{ model_id: "m1" }, { model_id: "m2" }]);
  const id = (i: number) => `dev-${String(i).padStart(5, "0")}`;
  await importRows(
    s,
    Array.from({ length: DEVICES }, (_, i) => serializeDevice({ device_id: id(i), model_id: i % 3 ? "m1" : "m2", country: i % 2 ? "DE" : "FR", groups: i % 10 === 0 ? ["pilot", "north"] : [], ...(i === 7 ? { name: "=HYPERLINK(\"http://evil\",\"x\")" } : {}) })),
  );
  await s.transaction(async (tx) => {
    const scan = await tx.findings.beginScan(new Date().toISOString(), ["default-password", "no-ota"]);
    const fs: Finding[] = [];
    for (let i = 0; i < DEVICES; i++) fs.push(finding(i % 4 ? "no-ota" : "default-password", id(i), i % 4 ? "medium" : "critical"));
    await tx.findings.record(scan, fs);
    await tx.findings.finishScan(scan, new Date().toISOString(), { critical: DEVICES / 4, medium: (DEVICES * 3) / 4 });
  });
  const alerts = Array.from({ length: ALERTS }, (_, i) => sampleAlert({ id: `al-${String(i).padStart(5, "0")}`, device_id: id(i % 50), detector: i % 2 ? "new-destination" : "beaconing", severity: i % 3 ? "medium" : "high", last_seen: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(), ...(i === 3 ? { summary: "@SUM(A1:A9) sent" } : {}) }));
  for (let i = 0; i < alerts.length; i += 500) await s.alerts.upsert(alerts.slice(i, i + 500), "2026-11-02T00:00:00Z");
}

async function walk<T>(svc: TestService, path: string, size: number): Promise<{ items: T[]; pages: number; total: Page<T>["total"] }> {
  const items: T[] = [];
  let token: string | null = null;
  let pages = 0;
  let total: Page<T>["total"] | undefined;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const r = await svc.fetch(`${path}${sep}page_size=${size}${token ? `&page_token=${encodeURIComponent(token)}` : ""}`, { token: svc.tokens.admin });
    assert.equal(r.status, 200, await r.clone().text());
    const p = (await r.json()) as Page<T>;
    total ??= p.total;
    items.push(...p.items);
    token = p.next_page_token;
    pages++;
  } while (token);
  return { items, pages, total: total! };
}

async function exported(svc: TestService, path: string, how: { format?: "csv" | "ndjson"; accept?: string }): Promise<{ text: string; type: string; headers: Headers }> {
  const sep = path.includes("?") ? "&" : "?";
  const r = await svc.fetch(`${path}${how.format ? `${sep}format=${how.format}` : ""}`, { token: svc.tokens.admin, ...(how.accept ? { headers: { accept: how.accept } } : {}) });
  assert.equal(r.status, 200, await r.clone().text());
  return { text: await r.text(), type: r.headers.get("content-type") ?? "", headers: r.headers };
}

function suite(name: string, storeUrl: () => Promise<string | undefined>, skip: () => Promise<string | undefined>) {
  describe(`lists on ${name}`, async () => {
    const why = await skip();
    if (why) return void it("skipped", { skip: why }, () => undefined);
    const url = await storeUrl();
    const svc = await startTestService({ ...(url ? { storeUrl: url } : {}) });
    await seed(svc);

    it("devices page in the store: every filtered row once, in order, past the old in-memory cap's way of counting", async () => {
      const all = await walk<{ device_id: string }>(svc, "/api/v1/devices", 700);
      assert.equal(all.items.length, DEVICES);
      assert.deepEqual(all.total, { count: DEVICES, type: "exact" });
      assert.equal(all.pages, Math.ceil(DEVICES / 700));
      const ids = all.items.map((d) => d.device_id);
      assert.deepEqual(ids, [...ids].sort());
      const fr = await walk<{ device_id: string; country: string; model_id: string; groups: string[] }>(svc, "/api/v1/devices?country=fr&model_id=m1&group=pilot", 50);
      assert.ok(fr.items.length > 0 && fr.items.every((d) => d.country === "FR" && d.model_id === "m1" && d.groups.includes("pilot")));
      assert.equal(fr.items.length, Array.from({ length: DEVICES }, (_, i) => i).filter((i) => i % 2 === 0 && i % 3 && i % 10 === 0).length);
      const desc = (await (await svc.fetch("/api/v1/devices?sort=device_id&order=desc&page_size=1")).json()) as Page<{ device_id: string }>;
      assert.equal(desc.items[0]!.device_id, `dev-${String(DEVICES - 1).padStart(5, "0")}`);
    });

    it("findings and alerts page in the store with their filters; the audit log pages by sequence", async () => {
      const crit = await walk<{ severity: string; rule: string }>(svc, "/api/v1/findings?severity=critical", 200);
      assert.equal(crit.items.length, DEVICES / 4);
      assert.ok(crit.items.every((f) => f.rule === "default-password"));
      const byRule = await walk<{ rule: string }>(svc, "/api/v1/findings?sort=rule", 1000);
      assert.equal(byRule.items.length, DEVICES);
      assert.deepEqual(byRule.items.map((f) => f.rule), [...byRule.items.map((f) => f.rule)].sort());
      const high = await walk<{ id: string; last_seen: string; severity: string }>(svc, "/api/v1/alerts?severity=high&detector=beaconing", 90);
      const want = Array.from({ length: ALERTS }, (_, i) => i).filter((i) => i % 3 === 0 && i % 2 === 0);
      assert.equal(high.items.length, want.length);
      assert.deepEqual(high.total, { count: want.length, type: "exact" });
      assert.deepEqual(high.items.map((a) => a.id), want.reverse().map((i) => `al-${String(i).padStart(5, "0")}`), "newest first, each once");
      const since = await walk<{ last_seen: string }>(svc, "/api/v1/alerts?since=2026-11-01T10:00:00.000Z&until=2026-11-01T11:00:00.000Z", 1000);
      assert.equal(since.items.length, 60);
      for (let i = 0; i < 30; i++) await svc.fetch("/api/v1/tokens", { method: "POST", json: { name: `t${i}`, role: "viewer" } });
      const audit = await walk<{ seq: number; action: string; target_id?: string }>(svc, "/api/v1/audit-log?action=tokens.create", 7);
      const made = audit.items.map((a) => a.target_id).filter((t) => t && /^t\d+$/.test(t));
      assert.equal(new Set(made).size, 30, JSON.stringify(audit.items.slice(0, 3)));
      assert.equal(made.length, 30, "each entry once");
      const seqs = audit.items.map((a) => a.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a));
    });

    it("exports the whole filtered list as CSV or NDJSON, streamed, with formula cells neutralised", async () => {
      const csv = await exported(svc, "/api/v1/devices", { format: "csv" });
      assert.match(csv.type, /^text\/csv/);
      assert.equal(csv.headers.get("x-total-count"), String(DEVICES));
      assert.match(csv.headers.get("content-disposition") ?? "", /attachment; filename="devices\.csv"/);
      const rows = parseCsv(csv.text);
      assert.equal(rows.length, DEVICES + 1, "a header and every device, beyond one export page (1000)");
      assert.equal(rows[0]![0], "device_id");
      const evil = rows.find((r) => r[0] === "dev-00007")!;
      assert.equal(evil[1], "'=HYPERLINK(\"http://evil\",\"x\")", "a formula cell starts with a quote");
      assert.equal(rows.find((r) => r[0] === "dev-00000")![5], "pilot;north", "lists are ;-separated");
      const nd = await exported(svc, "/api/v1/findings?rule=no-ota", { accept: "application/x-ndjson" });
      assert.match(nd.type, /^application\/x-ndjson/);
      const lines = nd.text.trimEnd().split("\n").map((l) => JSON.parse(l) as { rule: string; severity: string });
      assert.equal(lines.length, (DEVICES * 3) / 4);
      assert.ok(lines.every((f) => f.rule === "no-ota"));
      const alerts = await exported(svc, "/api/v1/alerts", { accept: "text/csv" });
      const ar = parseCsv(alerts.text);
      assert.equal(ar.length, ALERTS + 1);
      assert.ok(ar.some((r) => r.includes("'@SUM(A1:A9) sent")));
      const audit = await exported(svc, "/api/v1/audit-log", { format: "ndjson" });
      assert.ok(audit.text.trimEnd().split("\n").length >= 30);
      // From a page token on: the rest of the list.
      const first = (await (await svc.fetch("/api/v1/devices?page_size=1000")).json()) as Page<unknown>;
      const rest = parseCsv((await exported(svc, `/api/v1/devices?page_token=${encodeURIComponent(first.next_page_token!)}`, { format: "csv" })).text);
      assert.equal(rest.length, DEVICES - 1000 + 1);
    });

    it("refuses a page token of another list or filter, and a damaged one, naming the parameter", async () => {
      const a = (await (await svc.fetch("/api/v1/alerts?page_size=1")).json()) as Page<unknown>;
      for (const path of [`/api/v1/devices?page_token=${a.next_page_token}`, `/api/v1/alerts?severity=high&page_token=${a.next_page_token}`, `/api/v1/alerts?page_token=${a.next_page_token!.slice(0, -2)}xx`, "/api/v1/audit-log?page_token=nope"]) {
        const r = await svc.fetch(path);
        assert.equal(r.status, 400, path);
        const p = (await r.json()) as { code: string; detail: string };
        assert.equal(p.code, "usage", path);
        assert.match(p.detail, /page_token/, path);
      }
    });
  });
}

suite("SQLite", async () => undefined, async () => undefined);
suite("PostgreSQL", async () => `${await throwawayDatabase()}`, postgresAvailable);
