import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Finding } from "../../../src/core/finding.ts";
import type { ScanRun, Store, StoreTx } from "../../../src/store/store.ts";
import type { ContractContext } from "./context.ts";

export const finding = (rule: string, subject: string, extra: Partial<Finding> = {}): Finding => ({
  rule,
  severity: "high",
  title: `${rule} on ${subject}`,
  evidence: { subject },
  standards: ["ETSI-EN-303-645:5.1-1"],
  fingerprint: `${rule}-${subject}`.padEnd(32, "0").slice(0, 32),
  status: "new",
  device_id: subject,
  ...extra,
});

/** A whole scan in one transaction, as the audit engine runs it: begin, record in batches, finish. */
export async function scan(store: StoreTx, rules: string[], findings: Finding[], batch = 3) {
  return store.transaction(async (tx) => {
    const run: ScanRun = await tx.findings.beginScan("2026-11-25T00:00:00.000Z", rules);
    const statuses = [];
    for (let i = 0; i < findings.length; i += batch) statuses.push(...(await tx.findings.record(run, findings.slice(i, i + batch))));
    const fixed = await tx.findings.finishScan(run, "2026-11-25T00:01:00.000Z", { high: findings.length });
    return { run, statuses, fixed };
  });
}

async function current(store: StoreTx, pageSize?: number): Promise<Finding[]> {
  const out: Finding[] = [];
  for await (const page of store.findings.current(pageSize)) out.push(...page);
  return out;
}

export function findingsContract(c: ContractContext): void {
  describe(`findings and scans (${c.target.name})`, () => {
    it("keeps the newest scan's forecast, stale once devices are imported after it", async () => {
      const store = await c.fresh();
      assert.equal(await store.findings.latestForecast(), undefined);
      const doc = { as_of: "2026-11-25", rows: [{ year: 2026, securable: 3 }] };
      const one = await store.transaction(async (tx) => {
        const run = await tx.findings.beginScan("2026-11-25T00:00:00.000Z", ["r1"]);
        await tx.findings.finishScan(run, "2026-11-25T00:01:00.000Z", {});
        await tx.findings.saveForecast(run.id, "2026-11-25T00:01:00.000Z", doc);
        return run.id;
      });
      assert.deepEqual(await store.findings.latestForecast(), { scan_id: one, computed_at: "2026-11-25T00:01:00.000Z", stale: false, doc });
      await store.transaction(async (tx) => {
        const run = await tx.fleet.startImport("later.csv");
        await tx.fleet.finishImport(run);
      });
      assert.equal((await store.findings.latestForecast())?.stale, true);
      await store.transaction(async (tx) => {
        const run = await tx.findings.beginScan("2026-11-26T00:00:00.000Z", ["r1"]);
        await tx.findings.finishScan(run, "2026-11-26T00:01:00.000Z", {});
        await tx.findings.saveForecast(run.id, "2026-11-26T00:01:00.000Z", { ...doc, as_of: "2026-11-26" });
      });
      const next = (await store.findings.latestForecast())!;
      assert.deepEqual([next.stale, (next.doc as { as_of: string }).as_of], [false, "2026-11-26"]);
      assert.equal((await store.tables.list()).find((t) => t.name === "scan_forecasts")?.rows, 1, "older scans' forecasts are not kept");
    });

    it("keeps the settings each rule ran with, as of the newest finished scan that ran it", async () => {
      const store = await c.fresh();
      const run = async (rules: string[], settings?: Parameters<StoreTx["findings"]["beginScan"]>[2], finish = true) => {
        try {
          return await store.transaction(async (tx) => {
            const r = await tx.findings.beginScan("2026-11-25T00:00:00.000Z", rules, settings);
            if (!finish) throw new Error("the scan fails");
            await tx.findings.finishScan(r, "2026-11-25T00:01:00.000Z", {});
            return r.id;
          });
        } catch (e) {
          if (finish) throw e;
          return undefined;
        }
      };
      assert.equal(await store.findings.ruleSettings("r1"), undefined, "no scan yet");
      const one = await run(["r1", "r2"], { r1: { severity: "low", params: { days: 60 } }, r2: { params: {} }, r3: { params: { x: 1 } } });
      assert.deepEqual(await store.findings.ruleSettings("r1"), { scan_id: one, severity: "low", params: { days: 60 } });
      assert.deepEqual(await store.findings.ruleSettings("r2"), { scan_id: one, params: {} });
      assert.equal(await store.findings.ruleSettings("r3"), undefined, "a rule the scan did not run has no settings of it");
      await run(["r1"], { r1: { params: { days: 7 } } }, false);
      assert.deepEqual((await store.findings.ruleSettings("r1"))?.params, { days: 60 }, "a scan that failed left nothing");
      const two = await run(["r1"], { r1: { params: { days: 30 } } });
      assert.deepEqual(await store.findings.ruleSettings("r1"), { scan_id: two, params: { days: 30 } });
      assert.deepEqual(await store.findings.ruleSettings("r2"), { scan_id: one, params: {} }, "r2 did not run again: the scan that ran it last");
      await run(["r1"]);
      assert.equal(await store.findings.ruleSettings("r1"), undefined, "the newest scan that ran r1 was given no settings for it");
      assert.equal((await store.tables.list()).find((t) => t.name === "scan_rule_settings")?.rows, 2, "older scans' rows of a rule that ran again go");
    });

    it("tells new, unchanged, suppressed and fixed apart across scans; rules that did not run carry forward", async () => {
      const store = await c.fresh();
      assert.equal(await store.findings.latestScan(), undefined);
      const one = await scan(store, ["r1", "r2"], [finding("r1", "a"), finding("r1", "b"), finding("r2", "a"), finding("r2", "s", { suppression: { reason: "accepted" } })]);
      assert.deepEqual(one.statuses, ["new", "new", "new", "suppressed"]);
      assert.deepEqual(one.fixed, []);
      const two = await scan(store, ["r1"], [finding("r1", "a"), finding("r1", "c")]);
      assert.deepEqual(two.statuses, ["unchanged", "new"]);
      assert.deepEqual(two.fixed.map((f) => [f.fingerprint, f.status]), [[finding("r1", "b").fingerprint, "fixed"]]);
      const latest = (await store.findings.latestScan())!;
      assert.equal(latest.id, two.run.id);
      assert.deepEqual(latest.rules, ["r1"]);
      assert.deepEqual(latest.counts, { high: 2 });
      const now = await current(store);
      assert.deepEqual(
        now.map((f) => `${f.rule}:${f.device_id}:${f.status}`).sort(),
        ["r1:a:unchanged", "r1:c:new", "r2:a:unchanged", "r2:s:suppressed"],
        "r2 did not run: its open findings are carried forward, no longer new",
      );
      assert.deepEqual((await store.lists.overview()).open_findings, { high: 3 }, "open: r1's two and r2's carried one, not the suppressed");
      assert.deepEqual((await store.lists.findingGroups({ status: "unchanged" })).map((g) => [g.rule, g.findings]), [["r1", 1], ["r2", 1]]);
      const back = await scan(store, ["r1", "r2"], [finding("r1", "a"), finding("r1", "b"), finding("r1", "c")]);
      assert.deepEqual(back.statuses, ["unchanged", "new", "unchanged"], "a fixed finding that comes back is new");
      assert.deepEqual(back.fixed.map((f) => f.device_id).sort(), ["a", "s"]);
    });

    it("keeps a finding's fields exactly, and pages the latest scan in recorded order", async () => {
      const store = await c.fresh();
      const big = "é☃".repeat(200_000);
      const list = [
        finding("grp", "m1", { device_id: undefined as never, model_id: "m1", devices: Array.from({ length: 5000 }, (_, i) => `dev-${i}`), evidence: { huge: big, nested: { a: [1, 2, { b: null }] } } }),
        ...Array.from({ length: 29 }, (_, i) => finding("r", `d${i}`, { severity: i % 2 ? "low" : "critical" })),
      ];
      delete (list[0] as Partial<Finding>).device_id;
      await scan(store, ["grp", "r"], list, 7);
      const pages: number[] = [];
      const out: Finding[] = [];
      for await (const page of store.findings.current(4)) {
        pages.push(page.length);
        out.push(...page);
      }
      assert.ok(pages.every((n) => n <= 4));
      assert.deepEqual(out, list.map((f) => ({ ...f, status: "new" })));
    });

    it("a scan that fails is rolled back: the latest scan and its findings are as before", async () => {
      const store = await c.fresh();
      const first = await scan(store, ["r"], [finding("r", "a")]);
      await assert.rejects(
        store.transaction(async (tx) => {
          const run = await tx.findings.beginScan("2026-11-26T00:00:00.000Z", ["r"]);
          await tx.findings.record(run, [finding("r", "b")]);
          throw new Error("rule crashed");
        }),
        /rule crashed/,
      );
      assert.equal((await store.findings.latestScan())!.id, first.run.id);
      assert.deepEqual((await current(store)).map((f) => f.device_id), ["a"]);
      const next = await scan(store, ["r"], [finding("r", "a")]);
      assert.deepEqual(next.statuses, ["unchanged"]);
    });

    it("a scan written in short transactions is seen only once finished; the next scan removes one that never finished", async () => {
      const store = await c.fresh();
      await scan(store, ["r"], [finding("r", "a"), finding("r", "b")]);
      const first = (await store.findings.latestScan())!;
      const rowsOf = async () => {
        const ids: unknown[] = [];
        for await (const page of store.tables.read("findings", ["scan_id"])) ids.push(...page.map((r) => Number(r.scan_id)));
        return ids;
      };
      const seenAsBefore = async () => {
        assert.equal((await store.findings.latestScan())!.id, first.id);
        assert.deepEqual((await store.lists.scans()).items.map((x) => x.id), [first.id]);
        assert.deepEqual((await current(store)).map((f) => f.device_id), ["a", "b"]);
      };
      // As audit/scan-chunked.ts writes: begin, each batch and the finish in transactions of their own.
      const crashed = await store.transaction((tx) => tx.findings.beginScan("2026-11-25T01:00:00.000Z", ["r"]));
      await store.transaction((tx) => tx.findings.record(crashed, [finding("r", "a"), finding("r", "c")]).then(async (s) => (await crashed.pending, s)));
      assert.ok((await rowsOf()).includes(crashed.id), "the batch is committed");
      await seenAsBefore();
      // The process died there. The next scan starts afresh, compared with the last finished one.
      const next = await store.transaction((tx) => tx.findings.beginScan("2026-11-25T02:00:00.000Z", ["r"]));
      assert.ok(!(await rowsOf()).includes(crashed.id), "the unfinished scan's rows are gone");
      assert.equal(next.previousId, first.id);
      const statuses = await store.transaction(async (tx) => {
        const out = await tx.findings.record(next, [finding("r", "b"), finding("r", "c")]);
        await next.pending;
        return out;
      });
      assert.deepEqual(statuses, ["unchanged", "new"]);
      await seenAsBefore();
      const fixed = await store.transaction((tx) => tx.findings.finishScan(next, "2026-11-25T02:01:00.000Z", { high: 2 }));
      assert.deepEqual(fixed.map((f) => f.device_id), ["a"]);
      assert.equal((await store.findings.latestScan())!.id, next.id);
      assert.deepEqual((await current(store)).map((f) => [f.device_id, f.status]), [["b", "unchanged"], ["c", "new"]]);
    });

    it("a finish done ahead in short transactions, its counts read outside any, ends as a finish in one transaction", async () => {
      // Three scans: the second runs r1 only (r1's b is fixed, r2's findings carried forward), the third both again
      // (the first scan's rows removed). Once in one transaction each; once as audit/scan-chunked.ts writes them.
      const s1 = [
        finding("r1", "a", { model_id: "meter" }),
        finding("r1", "b", { model_id: "gw" }),
        finding("r2", "a", { severity: "low" }),
        finding("r2", "s", { suppression: { reason: "accepted" } }),
        { ...finding("grp", "m", { model_id: "meter", devices: ["a", "b", "c"] }), device_id: undefined as never },
      ];
      const s2 = [finding("r1", "a", { model_id: "meter" }), finding("r1", "c", { model_id: "meter" })];
      const s3 = [finding("r1", "c", { model_id: "meter" }), finding("r2", "a", { severity: "low" }), finding("r2", "d", { severity: "critical" })];
      const plan: [string[], Finding[]][] = [[["r1", "r2", "grp"], s1], [["r1"], s2], [["r1", "r2", "grp"], s3]];
      const chunked = async (store: StoreTx, rules: string[], findings: Finding[]) => {
        const known = await store.findings.openFindings();
        const run = await store.transaction((tx) => tx.findings.beginScan("2026-11-25T00:00:00.000Z", rules, {}, known));
        const statuses = [];
        for (const f of findings) statuses.push(...(await store.transaction(async (tx) => tx.findings.record(run, [f]).then(async (s) => (await run.pending, s)))));
        let steps = 0;
        while (await store.transaction((tx) => tx.findings.finishAhead(run, 1))) steps++;
        await store.findings.countAhead(run);
        const fixed = await store.transaction((tx) => tx.findings.finishScan(run, "2026-11-25T00:01:00.000Z", { high: findings.length }));
        return { run, statuses, fixed, steps };
      };
      const seen = async (store: Store) => {
        const scanIds = new Set<number>();
        for await (const page of store.tables.read("findings", ["scan_id"])) for (const r of page) scanIds.add(Number(r.scan_id));
        const latest = (await store.findings.latestScan())!;
        return {
          latest: { rules: latest.rules, counts: latest.counts },
          scans: scanIds.size,
          current: (await current(store)).map((f) => ({ ...f })),
          overview: await store.lists.overview(),
          groups: await Promise.all([{}, { status: "new" as const }, { status: "fixed" as const }, { model_id: "meter" }, { model_id: "meter", status: "unchanged" as const }].map((q) => store.lists.findingGroups(q))),
          findings: (await store.lists.findings({ page_size: 100 })).items,
        };
      };
      const one = await c.fresh();
      const ahead = await c.fresh();
      let steps = 0;
      for (const [rules, findings] of plan) {
        const a = await scan(one, rules, findings, 1);
        const b = await chunked(ahead, rules, findings);
        steps += b.steps;
        assert.deepEqual(b.statuses, a.statuses);
        assert.deepEqual(b.fixed, a.fixed);
        assert.deepEqual(await seen(ahead), await seen(one));
      }
      if (c.target.name === "sqlite") assert.ok(steps > 3, `the finishes went in steps of a row (${steps})`);
      assert.equal((await seen(one)).scans, 2, "the first scan's rows are gone");
    });

    it("a scan only runs inside a transaction", async () => {
      const store = await c.fresh();
      await assert.rejects(() => store.findings.beginScan("2026-11-25T00:00:00.000Z", ["r"]), { code: "internal" });
    });

    it("a scan started while another is in progress waits for it and compares with it", async () => {
      const store = await c.fresh();
      const base = await scan(store, ["r"], [finding("r", "a"), finding("r", "b")]);
      let begun!: () => void;
      const firstBegun = new Promise<void>((r) => (begun = r));
      const first = store.transaction(async (tx) => {
        const run = await tx.findings.beginScan("2026-11-26T00:00:00.000Z", ["r"]);
        begun();
        // Give the second scan every chance to start (and, were nothing holding it back, to read the old state).
        await new Promise((r) => setTimeout(r, 300));
        await tx.findings.record(run, [finding("r", "a")]);
        return { run, fixed: await tx.findings.finishScan(run, "2026-11-26T00:01:00.000Z", {}) };
      });
      await firstBegun;
      const second = await scan(store, ["r"], [finding("r", "a")]);
      const one = await first;
      assert.equal(one.run.previousId, base.run.id);
      assert.deepEqual(one.fixed.map((f) => f.device_id), ["b"]);
      assert.equal(second.run.previousId, one.run.id, "the second scan waited for the first and compared with it");
      assert.deepEqual(second.fixed, [], "b was already fixed by the first");
      assert.deepEqual(second.statuses, ["unchanged"]);
      assert.equal((await store.findings.latestScan())!.id, second.run.id);
    });

    it("keeps suppressions in order, and removes them by id", async () => {
      const store = await c.fresh();
      const a = await store.findings.addSuppression({ rule: "r", reason: "lab devices — Prüfstand", device_id: "d1", expires: "2027-01-01" }, "2026-11-25");
      const b = await store.findings.addSuppression({ rule: "r2", fingerprint: "f".repeat(32), reason: "accepted" }, "2026-11-25");
      const all = await store.findings.suppressions();
      assert.deepEqual(all, [a, b]);
      assert.ok(a.id < b.id);
      assert.equal(await store.findings.removeSuppression(a.id), true);
      assert.equal(await store.findings.removeSuppression(a.id), false);
      assert.deepEqual(await store.findings.suppressions(), [b]);
    });
  });
}
