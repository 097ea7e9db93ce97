/**
 * The service's playbook runner as a sink, in-process over a real SQLite store and a real configured command (a
 * slow one, so the queue fills): only alerts a playbook matches are queued, each alert once however often it is
 * updated, offering never waits, and an alert that finds the queue full is dead-lettered and counted — not lost.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { allRules } from "../../src/audit/rules/index.ts";
import { runScan } from "../../src/audit/scan.ts";
import { keyedDigester } from "../../src/inventory/secrets.ts";
import { RespondSettingsSchema } from "../../src/respond/settings.ts";
import { createPipeline, pipelineConfig } from "../../src/serve/pipeline/index.ts";
import { createAutoResponder } from "../../src/serve/pipeline/auto-respond.ts";
import { openStore } from "../../src/store/open.ts";
import { serializeDevice } from "../../src/store/store.ts";
import type { DeadLetter } from "../../src/transport/sinks/dead-letter.ts";
import { sampleAlert } from "../helpers/alert.ts";
import { startTestService } from "../helpers/serve.ts";
import { importRows } from "../helpers/store.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { until } from "./support/serve-child.ts";

describe("automatic response queue", () => {
  it("queues matching alerts once each, never waits, and dead-letters what does not fit", async () => {
    const tmp = tmpDir();
    const store = await openStore(`sqlite:${tmp.dir}/lw.db`);
    after(() => store.close());
    await importRows(store, ["d1", "d2", "d3", "d4"].map((id) => serializeDevice({ device_id: id, model_id: "m1" })));
    const settings = RespondSettingsSchema.parse({
      queue_size: 1,
      automatic: { enabled: true, budget: { devices: 10, per: "1h" }, ttl: "1h", sweep_every: "1h" },
      connectors: { commands: { slow: { path: "/bin/sleep", args: ["0.4"], reverse_args: ["0"] } } },
      playbooks: [{ name: "slow-fix", when: { detector: ["sim-swap"], severity: "high" }, action: "command-reversible", params: { command: "slow" }, mode: "automatic" }],
    });
    const letters: DeadLetter[] = [];
    const logs: string[] = [];
    const r = createAutoResponder({ store, settings, env: {}, now: Date.now, deadLetters: { add: async (l) => void letters.push(l) }, log: (_l, m) => void logs.push(m) });
    after(() => r.shutdown(0));

    const alert = (device: string, over: Parameters<typeof sampleAlert>[0] = {}) => ({ alert: sampleAlert({ id: `al-${device}`, detector: "sim-swap", device_id: device, ...over }), change: "open" as const });
    const t0 = performance.now();
    assert.equal(r.offer(alert("d1")), true, "taken: it starts at once");
    assert.equal(r.offer({ ...alert("d1"), change: "update" }), false, "the same alert again is not queued twice");
    assert.equal(r.offer(alert("d2")), true, "waits in the queue of one");
    assert.equal(r.offer(alert("d3")), false, "the queue is full");
    assert.equal(r.offer(alert("d4", { severity: "low" })), false, "no playbook for a low alert");
    assert.equal(r.offer(alert("d4", { detector: "volume-anomaly" })), false, "no playbook for this detector");
    assert.equal(r.offer({ ...alert("d4"), change: "resolve" }), false, "a resolved alert triggers nothing");
    assert.ok(performance.now() - t0 < 100, "offering never waits for the command");

    await until(() => r.respondStats().applied === 2, 20_000, "d1 and d2 applied");
    const s = r.stats();
    assert.deepEqual([s.sent, s.dropped, s.filtered], [2, 1, 4]);
    await until(() => letters.length === 1, 5000, "the dropped alert is dead-lettered");
    assert.deepEqual([letters[0]!.notice.alert.id, letters[0]!.reason, letters[0]!.sink], ["al-d3", "queue_full", "respond"]);
    const listed = await store.responses.list({ limit: 10 });
    assert.deepEqual(listed.map((x) => `${x.target.id} ${x.state} ${x.mode}`).sort(), ["d1 verified automatic", "d2 verified automatic"]);
    assert.ok(logs.some((m) => /automatic response .* command-reversible applied to device d1/.test(m)));
    // A person can still act on the dropped one: the same alert offered later (its next update) is taken.
    assert.equal(r.offer({ ...alert("d3"), change: "update" }), true);
    await until(() => r.respondStats().applied === 3, 20_000, "d3 applied on its next update");
  });

  it("automatic response turned off: the service still reverses what was applied automatically when its time-to-live runs out", async () => {
    const tmp = tmpDir();
    const store = await openStore(`sqlite:${tmp.dir}/lw.db`);
    after(() => store.close());
    await importRows(store, ["d1"].map((id) => serializeDevice({ device_id: id, model_id: "m1" })));
    const on = {
      automatic: { enabled: true, budget: { devices: 10, per: "1h" }, ttl: "1h", sweep_every: "1s" },
      connectors: { commands: { fix: { path: "/bin/true", args: ["{device_id}"], reverse_args: ["{device_id}"] } } },
      playbooks: [{ name: "fix", when: { detector: ["sim-swap"], severity: "high" }, action: "command-reversible", params: { command: "fix" }, mode: "automatic" }],
    };
    const t0 = Date.now();
    const first = createAutoResponder({ store, settings: RespondSettingsSchema.parse(on), env: {}, now: () => t0, deadLetters: { add: async () => undefined }, log: () => undefined });
    assert.equal(first.offer({ alert: sampleAlert({ id: "al-d1", detector: "sim-swap", device_id: "d1" }), change: "open" }), true);
    await until(() => first.respondStats().applied === 1, 20_000, "d1 applied automatically");
    await first.shutdown(0);
    // Restarted with automatic response switched off, two hours later: nothing new is automatic, the old one is due.
    const off = RespondSettingsSchema.parse({ ...on, automatic: { ...on.automatic, enabled: false } });
    const later = createAutoResponder({ store, settings: off, env: {}, now: () => t0 + 2 * 3_600_000, deadLetters: { add: async () => undefined }, log: () => undefined });
    after(() => later.shutdown(0));
    await until(() => later.respondStats().reversed === 1, 20_000, "the due automatic response reversed by the timer");
    const [r] = await store.responses.list({ limit: 10 });
    assert.deepEqual([r!.target.id, r!.state, r!.reverser], ["d1", "reversed", "longwatch:ttl"]);
  });

  it("an automatic apply whose action fails counts as applied and failed both: failed never exceeds applied", async () => {
    const tmp = tmpDir();
    const store = await openStore(`sqlite:${tmp.dir}/lw.db`);
    after(() => store.close());
    await importRows(store, ["d1", "d2"].map((id) => serializeDevice({ device_id: id, model_id: "m1" })));
    const settings = RespondSettingsSchema.parse({
      automatic: { enabled: true, budget: { devices: 10, per: "1h" }, ttl: "1h", sweep_every: "1h" },
      connectors: { commands: { down: { path: "/bin/false", args: [], reverse_args: [] }, fix: { path: "/bin/true", args: [], reverse_args: [] } } },
      playbooks: [
        { name: "down", when: { detector: ["sim-swap"], severity: "high" }, action: "command-reversible", params: { command: "down" }, mode: "automatic" },
        { name: "fix", when: { detector: ["volume-anomaly"], severity: "high" }, action: "command-reversible", params: { command: "fix" }, mode: "automatic" },
      ],
    });
    const r = createAutoResponder({ store, settings, env: {}, now: Date.now, deadLetters: { add: async () => undefined }, log: () => undefined });
    after(() => r.shutdown(0));
    assert.equal(r.offer({ alert: sampleAlert({ id: "al-d1", detector: "sim-swap", device_id: "d1" }), change: "open" }), true);
    assert.equal(r.offer({ alert: sampleAlert({ id: "al-d2", detector: "volume-anomaly", device_id: "d2" }), change: "open" }), true);
    await until(() => r.respondStats().alerts === 2, 20_000, "both alerts handled");
    const s = r.respondStats();
    assert.deepEqual({ proposed: s.proposed, applied: s.applied, verified: s.verified, failed: s.failed, errors: s.errors }, { proposed: 2, applied: 2, verified: 1, failed: 1, errors: 1 });
    assert.deepEqual((await store.responses.list({ limit: 10 })).map((x) => `${x.target.id} ${x.state}`).sort(), ["d1 failed", "d2 verified"]);
  });

  it("the dead-letter list is in the API: a sink's letters, newest first, paged, for viewers", async () => {
    const svc = await startTestService();
    const letter = (sink: string, n: number) => ({ sink, sink_type: sink === "respond" ? "respond" : "webhook", alert_id: `al-${n}`, change: "open", reason: "queue_full" as const, attempts: 0, at: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(), alert: JSON.stringify(sampleAlert({ id: `al-${n}` })) });
    await svc.store.live.addDeadLetters([letter("respond", 1), letter("soc", 2), letter("respond", 3)]);
    const page = async (q: string) => (await (await svc.fetch(`/api/v1/dead-letters?${q}`, { token: svc.tokens.viewer })).json()) as { items: { alert_id: string; alert: { id: string } }[]; next_page_token: string | null; total: { count: number } };
    const p1 = await page("sink=respond&page_size=1");
    assert.deepEqual([p1.items.map((l) => l.alert_id), p1.total.count], [["al-3"], 2]);
    assert.equal(p1.items[0]!.alert.id, "al-3", "the alert is given as JSON, not as text");
    const p2 = await page(`sink=respond&page_size=1&page_token=${p1.next_page_token}`);
    assert.deepEqual([p2.items.map((l) => l.alert_id), p2.next_page_token], [["al-1"], null]);
    assert.deepEqual((await page("alert_id=al-2")).items.map((l) => l.alert_id), ["al-2"]);
    assert.equal((await svc.fetch("/api/v1/dead-letters", { token: null })).status, 401);
  });

  it("after a re-audit, rule playbooks run on the findings that scan saw first, and not again on the next", async () => {
    const tmp = tmpDir();
    const store = await openStore(`sqlite:${tmp.dir}/lw.db`);
    after(() => store.close());
    await store.fleet.upsertModels([{ model_id: "fixed-fw", ota_capable: false }]);
    await importRows(store, ["m1", "m2"].map((id) => serializeDevice({ device_id: id, model_id: "fixed-fw" })));
    const settings = RespondSettingsSchema.parse({
      connectors: { webhooks: { maker: { url: "http://127.0.0.1:9/hook", secret: { env: "LW_TEST_MAKER" } } } },
      playbooks: [{ name: "ask-maker", when: { rule: ["no-ota"], severity: "info" }, action: "webhook", params: { webhook: "maker" } }],
    });
    const audit = () => runScan({ store, rules: allRules, now: Date.parse("2026-11-25T12:00:00Z"), keyedDigest: keyedDigester(Buffer.alloc(32, 1)), onIssue: () => undefined });
    const p = createPipeline({ store, config: pipelineConfig({ audit: { every_minutes: 0, on_inventory_change: false } }), respond: settings, audit, sources: false });
    await p.start();
    after(() => p.stop());
    await p.reaudit("test");
    const proposed = await store.responses.list({ limit: 10 });
    assert.deepEqual(proposed.map((r) => `${r.action} ${r.target.id} ${r.state} ${r.proposer}`).sort(), ["webhook m1 proposed longwatch:playbook:ask-maker", "webhook m2 proposed longwatch:playbook:ask-maker"]);
    assert.equal(p.metrics().respond?.findings, 1, "one no-ota finding (the model's group of two devices)");
    // The person declines both; the next re-audit sees the finding again (unchanged, not new): nothing is proposed.
    for (const r of proposed) await store.responses.update({ ...r, state: "rejected", version: r.version + 1 });
    await p.reaudit("test again");
    assert.equal((await store.responses.list({ limit: 10 })).length, 2);
    assert.equal(p.metrics().respond?.findings, 1);
  });
});
