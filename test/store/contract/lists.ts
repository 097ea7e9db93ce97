import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Advisory } from "../../../src/core/advisory.ts";
import { isLongwatchError } from "../../../src/core/errors.ts";
import type { Page } from "../../../src/store/lists.ts";
import { exportPages } from "../../../src/store/page.ts";
import { type StoredDevice, serializeDevice, type Store } from "../../../src/store/store.ts";
import { sampleAlert } from "../../helpers/alert.ts";
import { importRows } from "../../helpers/store.ts";
import type { ContractContext } from "./context.ts";
import { finding, scan } from "./findings.ts";

const refusedToken = (e: unknown) => isLongwatchError(e, "usage") && (e.detail as { field?: string }).field === "page_token";

/** Every item of a list, walking its pages with `size` per page; checks each page's total. */
async function walk<T>(list: (q: never) => Promise<Page<T>>, q: object, size: number): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  let first: Page<T>["total"];
  for (let pages = 0; pages < 1000; pages++) {
    const page = await list({ ...q, page_size: size, ...(token ? { page_token: token } : {}) } as never);
    first ??= page.total;
    assert.ok(page.items.length <= size);
    out.push(...page.items);
    if (page.next_page_token === null) break;
    assert.equal(page.items.length, size, "only the last page is short");
    token = page.next_page_token;
  }
  if (first && first.type === "exact") assert.equal(first.count, out.length, "an exact total counts what the pages hold");
  return out;
}

const FLEET: StoredDevice[] = [
  { device_id: "m-001", model_id: "meter", firmware_version: "1.0", country: "DE", groups: ["berlin", "pilot"], sim_provider: "1NCE", cert_fingerprint: "fp-1" },
  { device_id: "m-002", model_id: "meter", firmware_version: "1.1", country: "DE", groups: ["berlin"], sim_provider: "emnify" },
  { device_id: "m-003", model_id: "meter", firmware_version: "1.0", country: "FR", groups: ["pilot-2"], sim_provider: "1NCE" },
  { device_id: "c-001", model_id: "cam", firmware_version: "7", country: "FR" },
  { device_id: "c-002", model_id: "cam", firmware_version: "7", country: "DE", groups: ["pilot"], cert_fingerprint: "fp-2" },
  { device_id: "x-ünï-😀", country: "AT" },
  { device_id: "x-plain" },
];

async function fleet(store: Store): Promise<void> {
  await importRows(store, FLEET.map((d, i) => serializeDevice(d, i + 2)));
}

const ids = (p: { device_id: string }[]) => p.map((d) => d.device_id);

export function listsContract(c: ContractContext): void {
  describe(`lists (${c.target.name})`, () => {
    it("devices: each filter narrows, sorts are stable, pages walk everything once", async () => {
      const store = await c.fresh();
      await fleet(store);
      const all = await walk(store.lists.devices, {}, 2);
      assert.deepEqual(ids(all), ["c-001", "c-002", "m-001", "m-002", "m-003", "x-plain", "x-ünï-😀"], "byte order of the ids");
      assert.deepEqual(all[2], FLEET[0], "the stored document");
      assert.deepEqual(ids(await walk(store.lists.devices, { model_id: "meter" }, 1)), ["m-001", "m-002", "m-003"]);
      assert.deepEqual(ids(await walk(store.lists.devices, { model_id: "meter", firmware_version: "1.0" }, 5)), ["m-001", "m-003"]);
      assert.deepEqual(ids(await walk(store.lists.devices, { group: "pilot" }, 1)), ["c-002", "m-001"], "a group is matched whole, not as a prefix");
      assert.deepEqual(ids(await walk(store.lists.devices, { country: "fr" }, 1)), ["c-001", "m-003"]);
      assert.deepEqual(ids(await walk(store.lists.devices, { provider: "1NCE" }, 1)), ["m-001", "m-003"]);
      assert.deepEqual(ids(await walk(store.lists.devices, { device_id_prefix: "x-" }, 1)), ["x-plain", "x-ünï-😀"]);
      assert.deepEqual(ids(await walk(store.lists.devices, { group: "berlin", country: "DE", model_id: "meter" }, 1)), ["m-001", "m-002"]);
      assert.deepEqual(ids(await walk(store.lists.devices, { sort: "country" }, 3)), ["x-plain", "x-ünï-😀", "c-002", "m-001", "m-002", "c-001", "m-003"], "no country sorts first");
      assert.deepEqual(ids(await walk(store.lists.devices, { sort: "country", order: "desc" }, 3)), ["m-003", "c-001", "m-002", "m-001", "c-002", "x-ünï-😀", "x-plain"]);
      assert.deepEqual(ids(await walk(store.lists.devices, { order: "desc" }, 4)), ["x-ünï-😀", "x-plain", "m-003", "m-002", "m-001", "c-002", "c-001"]);
      assert.deepEqual(ids(await walk(store.lists.devices, { missing: "certificate", model_id: "meter" }, 1)), ["m-002", "m-003"]);
      assert.deepEqual((await store.lists.devices({ model_id: "nope" })).items, []);
    });

    it("devices: re-importing moves a device between filters; totals are bounded", async () => {
      const store = await c.fresh();
      await fleet(store);
      await importRows(store, [serializeDevice({ device_id: "m-001", model_id: "meter", firmware_version: "2.0", country: "PL" }, 2)]);
      assert.deepEqual(ids((await store.lists.devices({ firmware_version: "1.0" })).items), ["m-003"]);
      assert.deepEqual(ids((await store.lists.devices({ country: "PL" })).items), ["m-001"]);
      assert.deepEqual(ids((await store.lists.devices({ group: "berlin" })).items), ["m-002"], "its groups went with the old document");
      await importRows(store, [serializeDevice({ device_id: "m-001", model_id: "meter", groups: ["berlin", "east"] }, 2)]);
      assert.deepEqual(ids((await store.lists.devices({ group: "berlin" })).items), ["m-001", "m-002"], "and came back with a new one");
      assert.deepEqual(ids((await store.lists.devices({ group: "east" })).items), ["m-001"]);
      await importRows(store, [serializeDevice({ device_id: "m-001", model_id: "meter", groups: ["east"] }, 2)], { prune: true });
      assert.deepEqual(ids((await store.lists.devices({ group: "berlin" })).items), [], "pruned devices leave their groups");
      assert.deepEqual(ids((await store.lists.devices({ group: "east" })).items), ["m-001"]);
      await fleet(store);
      assert.deepEqual(ids((await store.lists.devices({ group: "berlin" })).items), ["m-001", "m-002"], "re-imported with them, in them again");
      assert.deepEqual((await store.lists.devices({ page_size: 2 })).total, { count: 7, type: "exact" });
      assert.deepEqual((await store.lists.devices({ page_size: 2, total_cap: 5 })).total, { count: 5, type: "at_least" });
      assert.deepEqual((await store.lists.devices({ page_size: 2, total_cap: 7 })).total, { count: 7, type: "exact" });
      assert.equal((await store.lists.devices({ total_cap: 0 })).total, undefined);
    });

    it("page tokens are refused for another filter or sort, or when changed", async () => {
      const store = await c.fresh();
      await fleet(store);
      const { next_page_token: token } = await store.lists.devices({ page_size: 2, model_id: "meter" });
      assert.ok(token);
      await assert.rejects(store.lists.devices({ page_size: 2, model_id: "cam", page_token: token }), refusedToken);
      await assert.rejects(store.lists.devices({ page_size: 2, model_id: "meter", sort: "country", page_token: token }), refusedToken);
      await assert.rejects(store.lists.alerts({ page_token: token }), refusedToken);
      await assert.rejects(store.lists.devices({ model_id: "meter", page_token: `${token}x` }), refusedToken);
      assert.deepEqual(ids((await store.lists.devices({ page_size: 2, model_id: "meter", page_token: token })).items), ["m-003"]);
      await assert.rejects(store.lists.devices({ page_size: 0 }), (e) => isLongwatchError(e, "usage"));
      await assert.rejects(store.lists.devices({ sort: "doc" as "country" }), (e) => isLongwatchError(e, "usage"));
    });

    it("findings: the latest scan, filtered, sorted by severity, a device's group findings included", async () => {
      const store = await c.fresh();
      await fleet(store);
      assert.deepEqual((await store.lists.findings()).items, []);
      assert.deepEqual(await store.lists.findingGroups(), []);
      await scan(store, ["a", "b"], [finding("a", "m-001", { severity: "low" }), finding("a", "m-009", { severity: "low" })]);
      const group = finding("b", "meter-1.0", { severity: "critical", model_id: "meter", devices: ["m-001", "m-003"] });
      delete (group as { device_id?: string }).device_id;
      const second = [
        finding("a", "m-001", { severity: "low", model_id: "meter" }),
        finding("a", "m-002", { severity: "medium", model_id: "meter" }),
        finding("a", "c-001", { severity: "medium", model_id: "cam", suppression: { reason: "lab unit" } }),
        group,
        finding("c", "m-003", { severity: "high", model_id: "meter" }),
        finding("c", "m-001", { severity: "info" }),
      ];
      const { next_page_token: old } = await store.lists.findings({ page_size: 1 });
      assert.ok(old);
      await scan(store, ["a", "b", "c"], second, 2);
      await assert.rejects(store.lists.findings({ page_size: 1, page_token: old }), refusedToken, "a token of the previous scan");
      const fp = (f: { rule: string; evidence: Record<string, unknown> }) => `${f.rule}:${String(f.evidence.subject)}`;
      const all = await walk(store.lists.findings, {}, 2);
      assert.deepEqual(all.map(fp), ["b:meter-1.0", "c:m-003", "a:m-002", "a:c-001", "a:m-001", "c:m-001"], "most severe first, then as recorded");
      assert.deepEqual(all[0]!.devices, ["m-001", "m-003"]);
      assert.deepEqual((await walk(store.lists.findings, { severity: "medium" }, 1)).map(fp), ["b:meter-1.0", "c:m-003", "a:m-002", "a:c-001"]);
      assert.deepEqual((await walk(store.lists.findings, { rule: "a" }, 1)).map((f) => f.status), ["new", "suppressed", "unchanged"]);
      assert.deepEqual((await walk(store.lists.findings, { status: "new" }, 1)).map(fp), ["b:meter-1.0", "c:m-003", "a:m-002", "c:m-001"]);
      assert.deepEqual((await walk(store.lists.findings, { device_id: "m-001" }, 1)).map(fp), ["b:meter-1.0", "a:m-001", "c:m-001"]);
      assert.deepEqual((await walk(store.lists.findings, { model_id: "cam" }, 1)).map(fp), ["a:c-001"]);
      assert.deepEqual((await walk(store.lists.findings, { firmware_version: "1.0" }, 1)).map(fp), ["c:m-003", "a:m-001", "c:m-001"]);
      assert.deepEqual((await walk(store.lists.findings, { group: "berlin", sort: "rule" }, 1)).map(fp), ["a:m-002", "a:m-001", "c:m-001"], "by rule, then most severe first");
      assert.deepEqual((await walk(store.lists.findings, { sort: "rule", order: "desc" }, 4)).map(fp), ["c:m-001", "c:m-003", "b:meter-1.0", "a:m-001", "a:c-001", "a:m-002"]);
      assert.deepEqual((await walk(store.lists.findings, { rule: "a", sort: "rule" }, 2)).map(fp), ["a:m-002", "a:c-001", "a:m-001"]);
      assert.deepEqual((await walk(store.lists.findings, { device_id: "m-003" }, 1)).map(fp), ["b:meter-1.0", "c:m-003"], "listed by a group finding, and its own");
      assert.deepEqual((await walk(store.lists.findings, { device_id: "m-00" }, 1)).map(fp), [], "an id is matched whole in a group's list, not as a prefix");
      assert.deepEqual((await store.lists.findings({ status: "fixed" })).items.map(fp), ["a:m-009"], "fixed ones only when asked for");
    });

    it("findings by rule count distinct devices, from the scan's counts and counted on the spot alike", async () => {
      const store = await c.fresh();
      await fleet(store);
      const group = finding("b", "meter-1.0", { severity: "critical", model_id: "meter", devices: ["m-001", "m-003"] });
      delete (group as { device_id?: string }).device_id;
      const group2 = finding("b", "meter-1.1", { severity: "high", model_id: "meter", devices: ["m-002", "m-003"] });
      delete (group2 as { device_id?: string }).device_id;
      await scan(store, ["a", "b"], [
        finding("a", "m-001", { severity: "low", model_id: "meter" }),
        finding("a", "m-001x", { severity: "medium", device_id: "m-001", model_id: "meter", suppression: { reason: "r" } }),
        finding("a", "c-001", { severity: "low", model_id: "cam" }),
        group,
        group2,
        finding("b", "m-003", { severity: "high", model_id: "meter" }),
      ]);
      const expected = [
        { rule: "b", severity: "critical", findings: 3, devices: 3, new: 3, suppressed: 0 },
        { rule: "a", severity: "medium", findings: 3, devices: 2, new: 2, suppressed: 1 },
      ];
      assert.deepEqual(await store.lists.findingGroups(), expected);
      assert.deepEqual(await store.lists.findingGroups({ severity: "high" }), expected.slice(0, 1));
      assert.deepEqual(await store.lists.findingGroups({ rule: "a" }), expected.slice(1));
      assert.deepEqual(await store.lists.findingGroups({ model_id: "meter" }), [expected[0], { rule: "a", severity: "medium", findings: 2, devices: 1, new: 1, suppressed: 1 }]);
      assert.deepEqual(await store.lists.findingGroups({ status: "new" }), [expected[0], { rule: "a", severity: "low", findings: 2, devices: 2, new: 2, suppressed: 0 }]);
      assert.deepEqual(await store.lists.findingGroups({ model_id: "meter", status: "new" }), [expected[0], { rule: "a", severity: "low", findings: 1, devices: 1, new: 1, suppressed: 0 }]);
      assert.deepEqual(await store.lists.findingGroups({ status: "suppressed" }), [{ rule: "a", severity: "medium", findings: 1, devices: 1, new: 0, suppressed: 1 }]);
      assert.deepEqual(await store.lists.findingGroups({ model_id: "cam" }), [{ rule: "a", severity: "low", findings: 1, devices: 1, new: 1, suppressed: 0 }]);
      assert.deepEqual(await store.lists.findingGroups({ model_id: "none", status: "fixed" }), []);
      assert.equal((await store.lists.overview()).securable_today, 7, "the default rules (counted at the scan's end) found nothing");
      const o = await store.lists.overview({ unsecurable_rules: ["b"], top: 1 });
      assert.equal(o.devices, 7);
      assert.equal(o.securable_today, 4, "m-001, m-002, m-003 have b open");
      assert.deepEqual(o.top_problems, expected.slice(0, 1));
      assert.deepEqual(o.open_findings, { critical: 1, high: 2, low: 2 }, "the suppressed one is not open");
      assert.equal(o.latest_scan?.rules.length, 2);
    });

    it("alerts: filters, time range, newest first, severity order, bounded total", async () => {
      const store = await c.fresh();
      const alerts = Array.from({ length: 9 }, (_, i) =>
        sampleAlert({ id: `al-${i}`, device_id: `m-00${i % 3}`, detector: i % 2 ? "beaconing" : "volume-anomaly", severity: (["critical", "high", "low"] as const)[i % 3]!, first_seen: `2026-11-0${i + 1}T00:00:00Z`, last_seen: `2026-11-2${i % 5}T00:00:00Z` }),
      );
      await store.alerts.upsert(alerts, "2026-11-25T00:00:00Z");
      await store.alerts.setState("al-4", "resolved", { actor: "ann", at: "2026-11-25T01:00:00Z", comment: "done" });
      await store.alerts.assign("al-5", "bob", { actor: "ann", at: "2026-11-25T02:00:00Z" });
      const all = await walk(store.lists.alerts, {}, 2);
      assert.deepEqual(all.map((a) => a.id), ["al-4", "al-8", "al-3", "al-7", "al-2", "al-6", "al-1", "al-5", "al-0"], "last_seen newest first, ties by id descending");
      assert.deepEqual((await walk(store.lists.alerts, { order: "asc" }, 4)).map((a) => a.id), [...all.map((a) => a.id)].reverse());
      assert.deepEqual((await walk(store.lists.alerts, { detector: "beaconing", device_id: "m-001" }, 1)).map((a) => a.id), ["al-7", "al-1"]);
      assert.deepEqual((await walk(store.lists.alerts, { state: "resolved" }, 1)).map((a) => a.id), ["al-4"]);
      assert.deepEqual((await walk(store.lists.alerts, { assignee: "bob" }, 1)).map((a) => a.id), ["al-5"]);
      assert.deepEqual((await walk(store.lists.alerts, { severity: "high", since: "2026-11-22T00:00:00Z", until: "2026-11-24T00:00:00Z" }, 1)).map((a) => a.id), ["al-3", "al-7"]);
      assert.deepEqual((await walk(store.lists.alerts, { time: "first_seen", since: "2026-11-08" }, 1)).map((a) => a.id), ["al-8", "al-7"]);
      assert.deepEqual((await walk(store.lists.alerts, { sort: "first_seen" }, 5)).map((a) => a.id), ["al-8", "al-7", "al-6", "al-5", "al-4", "al-3", "al-2", "al-1", "al-0"]);
      assert.deepEqual((await walk(store.lists.alerts, { sort: "severity" }, 2)).map((a) => a.severity), ["critical", "critical", "critical", "high", "high", "high", "low", "low", "low"]);
      assert.deepEqual((await store.lists.alerts({ total_cap: 3 })).total, { count: 3, type: "at_least" });
      const events = await walk(store.lists.alertEvents, {}, 1);
      assert.deepEqual(events.map((e) => [e.alert_id, e.action, e.actor]), [["al-5", "assignee", "ann"], ["al-4", "state", "ann"]]);
      assert.deepEqual((await walk(store.lists.alertEvents, { alert_id: "al-4" }, 1)).map((e) => e.to), ["resolved"]);
      const o = await store.lists.overview();
      assert.deepEqual(o.open_alerts, { critical: 3, high: 2, low: 3 });
      assert.equal(o.latest_scan, undefined);
    });

    it("alerts per day: all and high or critical by first_seen, cut at UTC midnights; the overview counts open ones and the imported devices", async () => {
      const store = await c.fresh();
      await fleet(store);
      const at = [["2026-11-02T23:59:59.999Z", "critical"], ["2026-11-03T00:00:00.000Z", "low"], ["2026-11-03T12:00:00Z", "high"], ["2026-11-03T23:00:00Z", "medium"], ["2026-11-05T01:00:00Z", "high"], ["2026-11-06T00:00:00Z", "critical"]] as const;
      await store.alerts.upsert(at.map(([first_seen, severity], i) => sampleAlert({ id: `d-${i}`, key: `k${i}`, severity, first_seen, last_seen: first_seen })), "2026-11-25T00:00:00Z");
      await store.alerts.setState("d-4", "resolved", { actor: "ann", at: "2026-11-25T01:00:00Z" });
      assert.deepEqual(await store.lists.alertsPerDay({ since: "2026-11-02T00:00:00.000Z", until: "2026-11-06T00:00:00.000Z" }), [
        { day: "2026-11-02", raised: 1, high: 1 },
        { day: "2026-11-03", raised: 3, high: 1 },
        { day: "2026-11-05", raised: 1, high: 1 },
      ], "until is excluded, days with none left out, a resolved alert still raised");
      assert.deepEqual(await store.lists.alertsPerDay({ since: "2026-11-03T12:00:00.000Z", until: "2026-11-05T00:30:00.000Z" }), [{ day: "2026-11-03", raised: 2, high: 1 }], "a range not at midnight is cut there");
      for (const [range, field] of [[{ since: "soon", until: "2026-11-06T00:00:00Z" }, "since"], [{ since: "2026-11-01T00:00:00Z", until: "2030-01-01T00:00:00Z" }, "until"]] as const) {
        await assert.rejects(() => store.lists.alertsPerDay(range), (e: unknown) => isLongwatchError(e, "usage") && (e.detail as { field?: string }).field === field);
      }
      const o = await store.lists.overview();
      assert.deepEqual(o.open_alerts, { critical: 2, high: 1, low: 1, medium: 1 });
      assert.equal(o.devices, FLEET.length);
    });

    it("scans, suppressions, alert suppressions and advisories page by id", async () => {
      const store = await c.fresh();
      for (let i = 0; i < 3; i++) await scan(store, ["a"], [finding("a", `d${i}`)]);
      assert.equal((await walk(store.lists.scans, {}, 2)).length, 3);
      const scans = await walk(store.lists.scans, {}, 1);
      assert.ok(scans[0]!.id > scans[1]!.id && scans[1]!.id > scans[2]!.id, "newest first");
      for (const [rule, dev] of [["a", "d1"], ["b", undefined], ["a", undefined]] as const) await store.findings.addSuppression({ rule, reason: "r", ...(dev ? { device_id: dev } : {}) }, "2026-11-25T00:00:00Z");
      assert.deepEqual((await walk(store.lists.suppressions, { rule: "a" }, 1)).map((s) => s.device_id ?? "-"), ["d1", "-"]);
      await store.alerts.addSuppression({ detector: "beaconing", reason: "ntp", device_id: "m-1" }, "2026-11-25T00:00:00Z");
      assert.deepEqual((await store.lists.alertSuppressions({ detector: "beaconing" })).items.map((s) => [s.device_id, s.reason]), [["m-1", "ntp"]]);
      const adv = (id: string, aliases: string[]): Advisory => ({ id, source: id.startsWith("NVD") ? "nvd" : "osv", aliases, references: [], affected: [] });
      await store.transaction(async (tx) => {
        await tx.vulns.putAdvisories([adv("OSV-2", ["CVE-2024-0002"]), adv("OSV-1", ["CVE-2024-0001"]), adv("NVD-CVE-2024-0003", ["CVE-2024-0003"])]);
        await tx.vulns.putKev([{ cve_id: "CVE-2024-0002" }]);
      });
      assert.deepEqual((await walk(store.lists.advisories, {}, 1)).map((a) => a.id), ["NVD-CVE-2024-0003", "OSV-1", "OSV-2"]);
      assert.deepEqual((await store.lists.advisories({ source: "osv" })).items.map((a) => a.id), ["OSV-1", "OSV-2"]);
      assert.deepEqual((await store.lists.advisories({ known_exploited: true })).items.map((a) => a.id), ["OSV-2"]);
      assert.deepEqual((await store.lists.advisories({ vuln_id: "cve-2024-0001" })).items.map((a) => a.id), ["OSV-1"]);
    });

    it("coverage: devices with no firmware inventory, certificate, credentials or traffic", async () => {
      const store = await c.fresh();
      await fleet(store);
      await store.vulns.replaceSbom({ model_id: "meter", firmware_version: "1.0", format: "cyclonedx", source: "s.json", imported_at: "2026-11-25T00:00:00Z", component_count: 0 }, [], []);
      await store.fleet.upsertCredentials([
        { model_id: "cam", service: "ssh", username: "root", secret: { kind: "locked" } },
        { model_id: "meter", firmware_version: "1.1", service: "ssh", username: "root", secret: { kind: "locked" } },
        { device_id: "m-001", service: "http", username: "admin", secret: { kind: "locked" } },
        { device_id: "c-001", service: "http", username: "admin", secret: { kind: "locked" } },
      ]);
      await store.alerts.upsert([sampleAlert({ id: "al-1", device_id: "m-003" }), sampleAlert({ id: "al-2", device_id: "not-in-fleet" })], "2026-11-25T00:00:00Z");
      const cov = await store.lists.coverage();
      assert.deepEqual(cov, { devices: 7, no_firmware_inventory: 5, no_certificate: 5, no_credentials: 3, no_traffic: 6 });
      for (const [gap, expected] of [["firmware_inventory", ["c-001", "c-002", "m-002", "x-plain", "x-ünï-😀"]], ["credentials", ["m-003", "x-plain", "x-ünï-😀"]], ["traffic", ["c-001", "c-002", "m-001", "m-002", "x-plain", "x-ünï-😀"]]] as const) {
        const listed = ids(await walk(store.lists.devices, { missing: gap }, 2));
        assert.deepEqual(listed, expected, gap);
      }
      // Seen after the import: counted at once; a device imported after its alert was written is seen too.
      await store.alerts.upsert([sampleAlert({ id: "al-3", device_id: "x-plain" })], "2026-11-25T00:00:00Z");
      await store.flows.record([{ device_id: "c-001", day: "2026-11-25", destination: "ota.example", address: "192.0.2.1", port: 443, protocol: "tcp", direction: "from-device", name_source: "record", local: false, party: "vendor", categories: [], declared: true, flows: 1, bytes_out: 1, bytes_in: 1, first_seen: "2026-11-25T00:00:00Z", last_seen: "2026-11-25T00:00:00Z" }]);
      assert.equal((await store.lists.coverage()).no_traffic, 4);
      assert.deepEqual(ids(await walk(store.lists.devices, { missing: "traffic" }, 2)), ["c-002", "m-001", "m-002", "x-ünï-😀"]);
      await importRows(store, [...FLEET, { device_id: "not-in-fleet" }].map((d, i) => serializeDevice(d, i + 2)));
      assert.deepEqual([(await store.lists.coverage()).devices, (await store.lists.coverage()).no_traffic], [8, 4]);
    });

    it("exportPages streams a whole filtered list", async () => {
      const store = await c.fresh();
      await importRows(store, Array.from({ length: 2500 }, (_, i) => serializeDevice({ device_id: `d-${String(i).padStart(5, "0")}`, model_id: i % 2 ? "odd" : "even" }, i + 2)));
      let n = 0;
      let last = "";
      for await (const page of exportPages(store.lists.devices, { model_id: "odd" })) {
        for (const d of page) {
          assert.ok(d.device_id > last);
          last = d.device_id;
          n++;
        }
      }
      assert.equal(n, 1250);
    });
  });
}
