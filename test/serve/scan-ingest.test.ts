/**
 * A scan job over 50,000 devices on SQLite while records stream into the same real `longwatch serve` over HTTP: the
 * scan runs on its worker thread and writes in short transactions, so the service's event loop stays free (/healthz,
 * probed every 20 ms, answers as fast as in the same time before the job) and alerts keep reaching the webhook at once
 * (a probe device's SIM shows a new IMEI every 100 ms: one sim-swap alert each, timed from its POST to the receipt).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { allRules } from "../../src/audit/rules/index.ts";
import { runScan } from "../../src/audit/scan.ts";
import { keyedDigester, loadSecretKey } from "../../src/inventory/secrets.ts";
import { openStore } from "../../src/store/open.ts";
import { httpPeer } from "../helpers/http-peer.ts";
import { writeFleet } from "../helpers/scan-fleet.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { startServe, until } from "./support/serve-child.ts";

const DEVICES = 50_000;
const NOW = Date.parse("2026-11-25T12:00:00Z");

const pct = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const fmt = (xs: readonly number[]) => `p50 ${pct(xs, 50).toFixed(1)}, p99 ${pct(xs, 99).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} ms (${xs.length})`;

describe("a scan job beside live ingest", () => {
  it("does not stall the event loop or alert delivery", async (t) => {
    const tmp = tmpDir();
    const url = `sqlite:${join(tmp.dir, "longwatch.db")}`;
    {
      const store = await openStore(url);
      await runScan({ store, rules: allRules, now: NOW, keyedDigest: keyedDigester(loadSecretKey(tmp.dir)), onIssue: () => undefined, ...writeFleet(tmp.dir, DEVICES) });
      await store.close();
    }
    const arrived = new Map<string, number>();
    const hook = await httpPeer((r, res) => {
      const a = (JSON.parse(r.body) as { alert: { detector: string; evidence: { seen_imei?: string } } }).alert;
      if (a.detector === "sim-swap" && a.evidence.seen_imei) arrived.set(a.evidence.seen_imei, performance.now());
      res.end();
    });
    after(() => hook.close());
    const config = join(tmp.dir, "longwatch.yaml");
    writeFileSync(config, JSON.stringify({ metrics_public: true, detection: { hold_ms: 0 }, checkpoint: { interval_s: 1 }, audit: { every_minutes: 0, on_inventory_change: false }, sinks: [{ type: "webhook", name: "hook", url: hook.url, filter: { detectors: ["sim-swap"] } }] }));
    const svc = await startServe(tmp.dir, url, ["--config", config]);
    after(() => svc.kill9());
    const token = svc.adminToken!;
    const post = (body: string) => fetch(`${svc.url}/api/v1/records`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" }, body });
    const probe = (imei: string) => `{"ts":"${new Date().toISOString()}","kind":"connectivity","device_id":"probe","event":"session_start","imei":"${imei}"}\n`;
    assert.equal((await post(probe("350000000000000"))).status, 200);

    // The stream: 200 metric records every 100 ms (2,000 a second) and a probe every 100 ms; /healthz every 20 ms.
    type Phase = "before" | "job" | "after";
    // Set from the test's steps, read by the loops: widened so the compiler does not narrow it to its first value.
    let phase = "before" as Phase;
    const health: Record<Phase, number[]> = { before: [], job: [], after: [] };
    const sent = new Map<string, { at: number; phase: Phase }>();
    let stop = false;
    const stream = (async () => {
      for (let k = 1; !stop; k++) {
        const ts = new Date().toISOString();
        const lines = Array.from({ length: 200 }, (_, j) => `{"ts":"${ts}","kind":"metric","device_id":"d-${(k * 200 + j) % DEVICES}","metric":"bytes_out","value":${j}}`).join("\n");
        const imei = `35${String(1e12 + k)}`;
        sent.set(imei, { at: performance.now(), phase });
        const [a, b] = await Promise.all([post(probe(imei)), post(`${lines}\n`), sleep(100)]);
        assert.equal(a.status, 200);
        assert.equal(b.status, 200);
      }
    })();
    const probing = (async () => {
      while (!stop) {
        const p = phase;
        const t0 = performance.now();
        const r = await fetch(`${svc.url}/healthz`);
        await r.arrayBuffer();
        health[p].push(performance.now() - t0);
        await sleep(20);
      }
    })();

    // This process's own loop, as a control: what the machine's load does to a loop that does little.
    const own: Record<string, IntervalHistogram> = { before: monitorEventLoopDelay({ resolution: 10 }), job: monitorEventLoopDelay({ resolution: 10 }) };
    own.before!.enable();
    await sleep(4000);
    own.before!.disable();
    own.job!.enable();
    phase = "job";
    const res = await fetch(`${svc.url}/api/v1/scans`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
    assert.equal(res.status, 202, await res.clone().text());
    const id = ((await res.json()) as { id: string }).id;
    const j0 = performance.now();
    let job: { state: string; error?: unknown } = { state: "running" };
    await until(async () => {
      job = (await (await fetch(`${svc.url}/api/v1/scan-jobs/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof job;
      return job.state !== "running";
    }, 180_000, "the scan job finished");
    const jobMs = performance.now() - j0;
    own.job!.disable();
    phase = "after";
    await sleep(1000);
    stop = true;
    await Promise.all([stream, probing]);
    await sleep(1000);
    assert.equal(job.state, "succeeded", JSON.stringify(job.error));

    const latency = (p: Phase) => [...sent].filter(([, s]) => s.phase === p).map(([imei, s]) => (arrived.get(imei) ?? Infinity) - s.at);
    const during = latency("job");
    t.diagnostic(`job ${jobMs.toFixed(0)} ms; /healthz before ${fmt(health.before)}, during ${fmt(health.job)}; alerts before ${fmt(latency("before"))}, during ${fmt(during)}; this process's loop delay p99 before ${(own.before!.percentile(99) / 1e6).toFixed(1)}, during ${(own.job!.percentile(99) / 1e6).toFixed(1)}, max ${(own.job!.max / 1e6).toFixed(1)} ms; service ${(await svc.metrics()).split("\n").filter((l) => l.startsWith("longwatch_event_loop_delay")).join(" ")}`);
    assert.ok(during.length >= 10, `probes during the job: ${during.length}`);
    assert.ok(during.every(Number.isFinite), "every probe's alert arrived");
    // The loop's stalls during the job: this machine is shared (loads of 7 on 2 cores), so /healthz is judged against
    // the same probes in the seconds before the job: its median under the 50 ms bound, its p99 at most twice as late.
    assert.ok(pct(health.job, 50) < 50, `/healthz p50 ${pct(health.job, 50).toFixed(1)} ms during the job`);
    assert.ok(pct(health.job, 99) < 2 * pct(health.before, 99) + 50, `/healthz p99 ${pct(health.job, 99).toFixed(1)} ms during the job, ${pct(health.before, 99).toFixed(1)} ms before`);
    // An alert waits at most for one of the scan's short transactions (and a checkpoint), not for the scan (12-30 s here).
    assert.ok(pct(during, 99) < 2000, `alerts during the job: ${fmt(during)}`);
    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
  });
});
