/**
 * The response state machine on the real SQLite store: four eyes, expiring approvals, dry run by default, irreversible
 * actions always approved, playbooks with budget, pause and time-to-live, and a log whose tampering is found.
 */
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { beforeEach, describe, it } from "node:test";
import { respondTo, pause, resume, sweep } from "../../src/respond/automatic.ts";
import type { RespondDeps } from "../../src/respond/context.ts";
import { apply, approve, confirm, propose, reject, reverse, reverseExpired, verify } from "../../src/respond/engine.ts";
import { entryHash, verifyLog } from "../../src/respond/log.ts";
import type { LogEntry } from "../../src/core/response.ts";
import { RespondSettingsSchema } from "../../src/respond/settings.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/index.ts";
import { serializeDevice } from "../../src/store/store.ts";
import type { Alert } from "../../src/core/record.ts";
import { tmpDir } from "../helpers/tmp.ts";

const t = tmpDir();
const calls = `${t.dir}/calls.log`;
const script = t.write("fw.sh", `#!/bin/sh\necho "$@" >> ${calls}\nexit 0\n`);
chmodSync(script, 0o755);
const HOUR = 3_600_000;

let store: SqliteStore;
let clock: number;
function deps(settings: unknown = {}): RespondDeps {
  return { store, settings: RespondSettingsSchema.parse({ connectors: { commands: { fw: { path: script, args: ["block", "{device_id}"], reverse_args: ["unblock", "{device_id}"] } } }, ...(settings as object) }), env: {}, now: () => clock };
}

async function seed(n: number): Promise<void> {
  await store.transaction(async (tx) => {
    const run = await tx.fleet.startImport("test");
    await tx.fleet.upsertDevices(run, Array.from({ length: n }, (_, i) => serializeDevice({ device_id: `d-${i}`, model_id: "m1", cert_fingerprint: i < 2 ? "ab".repeat(32) : undefined } as never)));
    await tx.fleet.finishImport(run);
  });
  await store.fleet.upsertCredentials([
    { device_id: "d-0", service: "ssh", username: "root", secret: { kind: "keyed", digest: "lwk1$same" } },
    { device_id: "d-1", service: "ssh", username: "root", secret: { kind: "keyed", digest: "lwk1$same" } },
    { device_id: "d-2", service: "ssh", username: "root", secret: { kind: "keyed", digest: "lwk1$other" } },
  ]);
}

const alert = (device: string, detector = "ddos-participation", severity: Alert["severity"] = "high"): Alert => ({ id: `a-${device}`, detector: detector as Alert["detector"], device_id: device, key: "k", severity, confidence: 0.9, first_seen: "2026-11-01T00:00:00Z", last_seen: "2026-11-01T00:05:00Z", count: 1, summary: "s", action: "a", evidence: {}, state: "open", verification: "unknown" });

beforeEach(async () => {
  store = openSqliteStore(":memory:");
  clock = Date.parse("2026-11-01T10:00:00Z");
  await seed(20);
});

describe("the state machine", () => {
  it("needs a second person, runs dry by default, applies, verifies and reverses", async () => {
    const d = deps();
    const r = await propose(d, "alice", { action: "credential-rotate", target: { kind: "credential", id: "d-0/ssh/root" }, reason: "shared root password" });
    assert.equal(r.state, "proposed");
    assert.match(r.plan.summary, /on 2 device/, "the plan finds both devices sharing the secret, not the one with another");
    await assert.rejects(approve(d, "alice", r.id), (e: { code?: string }) => e.code === "forbidden");
    await assert.rejects(apply(d, "alice", r.id, { execute: true }), (e: { code?: string }) => e.code === "forbidden");
    await approve(d, "bob", r.id);
    const dry = await apply(d, "alice", r.id, { execute: false });
    assert.equal(dry.executed, false);
    assert.equal((await store.responses.tasks()).length, 0, "a dry run changes nothing");
    const done = await apply(d, "alice", r.id, { execute: true });
    assert.equal(done.response.state, "verified");
    assert.deepEqual((await store.responses.tasks())[0]!.devices, ["d-0", "d-1"]);
    const back = await reverse(d, "carol", r.id);
    assert.equal(back.state, "reversed");
    assert.equal((await store.responses.tasks())[0]!.state, "closed");
    await assert.rejects(apply(d, "alice", r.id, { execute: true }), (e: { code?: string }) => e.code === "conflict");
    const events = [];
    for await (const page of store.responses.log()) events.push(...page.map((e) => `${e.event}:${e.actor}:${e.approver ?? "-"}`));
    assert.deepEqual(events, ["proposed:alice:-", "approved:bob:bob", "applied:alice:bob", "verified:alice:bob", "reversed:carol:bob"]);
  });

  it("lets approvals expire, and never applies an irreversible action without one", async () => {
    const d = deps({ approval: { required: "irreversible", expires: "1h" } });
    const r = await propose(d, "alice", { action: "cert-revoke", target: { kind: "certificate", id: "ab".repeat(32) }, reason: "key leaked" });
    await assert.rejects(apply(d, "alice", r.id, { execute: true }), (e: { code?: string; message: string }) => e.code === "forbidden" && /cannot be undone/.test(e.message));
    await approve(d, "bob", r.id);
    clock += 2 * HOUR;
    await assert.rejects(apply(d, "alice", r.id, { execute: true }), (e: { code?: string; message: string }) => e.code === "conflict" && /expired/.test(e.message));
    assert.equal((await store.responses.get(r.id))!.state, "proposed", "an expired approval sends it back");
    await approve(d, "bob", r.id);
    assert.equal((await apply(d, "alice", r.id, { execute: true })).response.state, "verified");
    const revoked = await store.responses.revoked();
    assert.deepEqual(revoked.map((x) => [x.fingerprint, x.reason, x.devices]), [["ab".repeat(32), "keyCompromise", ["d-0", "d-1"]]]);
    await assert.rejects(reverse(d, "alice", r.id), (e: { code?: string }) => e.code === "conflict");
    // A reversible one may go without approval under `required: irreversible`.
    const c = await propose(d, "alice", { action: "command-reversible", target: { kind: "device", id: "d-3" }, params: { command: "fw" }, reason: "r" });
    assert.equal((await apply(d, "alice", c.id, { execute: true })).response.state, "verified");
  });

  it("refuses bad parameters, a target of the wrong kind, an unknown action and a duplicate, with codes", async () => {
    const d = deps();
    await assert.rejects(propose(d, "a", { action: "nope", target: { kind: "device", id: "d-0" }, reason: "r" }), (e: { code?: string }) => e.code === "not_found");
    await assert.rejects(propose(d, "a", { action: "cert-revoke", target: { kind: "device", id: "d-0" }, reason: "r" }), (e: { code?: string }) => e.code === "invalid_input");
    await assert.rejects(propose(d, "a", { action: "cert-revoke", target: { kind: "certificate", id: "x" }, params: { reason: "because" }, reason: "r" }), (e: { code?: string; message: string }) => e.code === "invalid_input" && /reason/.test(e.message));
    const r = await propose(d, "a", { action: "command-reversible", target: { kind: "device", id: "d-0" }, params: { command: "fw" }, reason: "r" });
    await assert.rejects(propose(d, "b", { action: "command-reversible", target: { kind: "device", id: "d-0" }, params: { command: "fw" }, reason: "r" }), (e: { code?: string }) => e.code === "conflict");
    await reject(d, "b", r.id, "not needed");
    assert.equal((await store.responses.get(r.id))!.state, "rejected");
  });

  it("records a failed apply and a failed verify", async () => {
    const d = deps({ approval: { required: "irreversible" }, connectors: { commands: { fw: { path: "/bin/false", args: [], reverse_args: [] }, chk: { path: script, args: ["x"], reverse_args: ["y"], verify_args: ["{iccid}"] } } } });
    const r = await propose(d, "a", { action: "command-reversible", target: { kind: "device", id: "d-0" }, params: { command: "fw" }, reason: "r" });
    await assert.rejects(apply(d, "a", r.id, { execute: true }), (e: { code?: string }) => e.code === "upstream_failed");
    assert.equal((await store.responses.get(r.id))!.state, "failed");
    const v = await propose(d, "a", { action: "command-reversible", target: { kind: "device", id: "d-1" }, params: { command: "chk" }, reason: "r" });
    await assert.rejects(apply(d, "a", v.id, { execute: true }), (e: { code?: string }) => e.code === "invalid_input", "d-1 has no iccid for the verify command");
    assert.equal((await store.responses.get(v.id))!.state, "applied", "applied, but not verified");
    await assert.rejects(verify(d, "a", v.id));
  });
});

describe("automatic response", () => {
  const auto = { automatic: { enabled: true, budget: { devices: 3, per: "1h" }, ttl: "2h" }, playbooks: [{ name: "ddos", when: { detector: ["ddos-participation"], severity: "high" }, action: "command-reversible", params: { command: "fw" }, mode: "automatic" }, { name: "revoke", when: { rule: ["roca-key"] }, action: "cert-revoke", mode: "automatic" }] };

  it("applies within the budget, leaves the rest to people, and reverses after the time-to-live unless confirmed", async () => {
    const d = deps(auto);
    const out = await respondTo(d, { alerts: ["d-0", "d-1", "d-2", "d-3", "d-4"].map((x) => alert(x)).concat([alert("d-5", "ddos-participation", "low")]) });
    assert.equal(out.applied.length, 3);
    assert.deepEqual(out.waiting.map((w) => w.why), [1, 2].map(() => "the automatic budget (3 devices per 60 min) is used up"));
    assert.equal(out.proposed.length, 5, "the low-severity alert matches nothing");
    assert.ok(out.applied.every((r) => r.state === "verified" && r.mode === "automatic" && r.ttl_expires_at));
    assert.equal((await respondTo(d, { alerts: [alert("d-0")] })).skipped.length, 1, "a device already being handled is not handled twice");
    await confirm(d, "alice", out.applied[0]!.id);
    clock += 3 * HOUR;
    const s = await sweep(d);
    assert.deepEqual(s.reversed.map((r) => r.target.id).sort(), ["d-1", "d-2"]);
    assert.match(readFileSync(calls, "utf8"), /unblock d-1/);
    assert.equal((await store.responses.get(out.applied[0]!.id))!.state, "verified", "the confirmed one stays");
    // The same alert again (a restart re-offering it, respond run twice): what the time-to-live took back stays back.
    const again = await respondTo(d, { alerts: [alert("d-1")] });
    assert.deepEqual([again.proposed.length, again.applied.length], [0, 0]);
    assert.match(again.skipped[0]!.why, /playbook ddos answered this alert already \(r-.*, reversed\)/);
    const next = await respondTo(d, { alerts: [alert("d-9")] });
    assert.equal(next.applied.length, 1, "an hour later the budget has room again");
  });

  it("leaves a reversal another process claimed alone, and takes over one left by a process that died mid-reversal", async () => {
    const d = deps(auto);
    const [r] = (await respondTo(d, { alerts: [alert("d-0")] })).applied;
    clock += 3 * HOUR;
    // A sweep elsewhere claimed the reversal and died before reversing (the claim is all it wrote).
    const held = (await store.responses.get(r!.id))!;
    assert.ok(await store.responses.update({ ...held, reversing: { by: "longwatch:ttl", at: new Date(clock).toISOString(), token: "t" }, version: held.version + 1 }));
    const s = await sweep(d);
    assert.deepEqual([s.reversed.length, s.errors.length], [0, 0]);
    assert.match(s.skipped[0]!.why, /being reversed by longwatch:ttl since/);
    await assert.rejects(reverse(d, "alice", r!.id), /being reversed by longwatch:ttl/, "a person's reverse waits for the claim too");
    await assert.rejects(confirm(d, "alice", r!.id), /too late to confirm/);
    assert.doesNotMatch(readFileSync(calls, "utf8"), /unblock d-0/);
    clock += 16 * 60_000;
    const later = await sweep(d);
    assert.deepEqual(later.reversed.map((x) => x.id), [r!.id], "after the claim time-out the next sweep reverses it");
    assert.equal((await store.responses.get(r!.id))!.reversing, undefined);
    assert.equal(readFileSync(calls, "utf8").match(/unblock d-0/g)?.length, 1);
  });

  it("logs a reversal that ran but lost its claim (it outlasted the claim time-out) before saying so", async () => {
    const d = deps(auto);
    const [r] = (await respondTo(d, { alerts: [alert("d-0")] })).applied;
    clock += 3 * HOUR;
    const unblocks = () => readFileSync(calls, "utf8").match(/unblock d-0/g)?.length ?? 0;
    const before = unblocks();
    // A reverse that hangs until the test lets it go: meanwhile the claim times out and another sweep takes over.
    const gate = `${t.dir}/gate-${r!.id}`;
    const slowScript = t.write(`slow-${r!.id}.sh`, `#!/bin/sh\nwhile [ ! -e ${gate} ]; do sleep 0.02; done\necho "$@" >> ${calls}\n`);
    chmodSync(slowScript, 0o755);
    const slow = deps({ ...auto, connectors: { commands: { fw: { path: slowScript, args: ["block", "{device_id}"], reverse_args: ["unblock", "{device_id}"] } } } });
    const first = reverse(slow, "alice", r!.id).then(() => undefined, (e: Error) => e);
    while ((await store.responses.get(r!.id))!.reversing?.by !== "alice") await new Promise((ok) => setTimeout(ok, 10));
    clock += 16 * 60_000;
    assert.deepEqual((await sweep(d)).reversed.map((x) => x.id), [r!.id], "the sweep takes over the stale claim");
    writeFileSync(gate, "");
    const err = await first;
    assert.match(String(err), /was reversed, but the claim was taken over meanwhile/);
    assert.equal(unblocks() - before, 2, "both reverses ran");
    const entries: LogEntry[] = [];
    for await (const page of store.responses.log()) entries.push(...page);
    const reversed = entries.filter((e) => e.response_id === r!.id && e.event === "reversed");
    assert.deepEqual(reversed.map((e) => e.actor).sort(), ["alice", "longwatch:ttl"], "every change made is in the log");
    assert.match(String(reversed.find((e) => e.actor === "alice")!.detail!.claim_lost), /claim was taken over/);
    assert.equal((await verifyLog(store.responses)).ok, true);
  });

  it("says why a manual response is not reversed by its time-to-live", async () => {
    const d = deps(auto);
    const r = await propose(d, "alice", { action: "command-reversible", target: { kind: "device", id: "d-3" }, params: { command: "fw" }, reason: "r" });
    await approve(d, "bob", r.id);
    await apply(d, "alice", r.id, { execute: true });
    clock += 3 * HOUR;
    const out = await reverseExpired(d, "longwatch:ttl", r.id);
    assert.deepEqual(out, { skipped: `response ${r.id} was applied by a person (manual); only automatic responses expire` });
  });

  it("lets a reversal that failed be tried again by the next sweep", async () => {
    const d = deps(auto);
    const [r] = (await respondTo(d, { alerts: [alert("d-0")] })).applied;
    clock += 3 * HOUR;
    const down = deps({ ...auto, connectors: { commands: { fw: { path: "/bin/false", args: [], reverse_args: [] } } } });
    assert.equal((await sweep(down)).errors.length, 1);
    assert.equal((await store.responses.get(r!.id))!.reversing, undefined, "the claim is let go");
    assert.deepEqual((await sweep(d)).reversed.map((x) => x.id), [r!.id]);
  });

  it("retries the same alert after an apply that failed (a broker or SIM outage), but not after a rejection", async () => {
    const down = deps({ ...auto, connectors: { commands: { fw: { path: "/bin/false", args: [], reverse_args: [] } } } });
    const first = await respondTo(down, { alerts: [alert("d-0")] });
    assert.equal(first.applied.length, 0);
    assert.equal((await store.responses.list({ target_id: "d-0" }))[0]!.state, "failed");
    const again = await respondTo(deps(auto), { alerts: [alert("d-0")] });
    assert.deepEqual([again.applied.length, again.skipped.length], [1, 0], "a failed apply does not count as answered");
    const manual = deps({ playbooks: [{ ...auto.playbooks[0]!, mode: "propose" }] });
    const proposed = await respondTo(manual, { alerts: [alert("d-5")] });
    await reject(manual, "bob", proposed.proposed[0]!.id, "false positive");
    assert.match((await respondTo(manual, { alerts: [alert("d-5")] })).skipped[0]!.why, /answered this alert already \(r-.*, rejected\)/);
  });

  it("pauses every automatic change with one switch, and never runs an irreversible action automatically", async () => {
    const d = deps(auto);
    await pause(d, "alice", "false positives");
    const out = await respondTo(d, { alerts: [alert("d-0")], findings: [{ rule: "roca-key", severity: "critical", device_id: "d-1", title: "t", evidence: {}, standards: [], fingerprint: "f1", status: "new" }] as never });
    assert.equal(out.applied.length, 0);
    assert.deepEqual(out.waiting.map((w) => w.why).sort(), ["automatic response is paused", "cert-revoke cannot be undone, so it always needs a person"]);
    const w = out.waiting.find((x) => x.response.action === "command-reversible")!.response;
    await resume(d, "alice");
    await approve(d, "bob", w.id);
    await apply(d, "alice", w.id, { execute: true });
  });
});

describe("the response log", () => {
  it("verifies, and names the line that was altered or removed", async () => {
    const d = deps();
    for (let i = 0; i < 3; i++) {
      const r = await propose(d, "alice", { action: "command-reversible", target: { kind: "device", id: `d-${i}` }, params: { command: "fw" }, reason: "r" });
      await approve(d, "bob", r.id);
    }
    const ok = await verifyLog(store.responses);
    assert.equal(ok.ok, true);
    assert.equal(ok.lines, 6);
    assert.throws(() => store.db.prepare("UPDATE response_log SET doc = '{}' WHERE seq = 3").run(), /append-only/);
    store.db.exec("DROP TRIGGER response_log_no_update; DROP TRIGGER response_log_no_delete");
    const row = store.db.prepare("SELECT doc FROM response_log WHERE seq = 4").get() as { doc: string };
    store.db.prepare("UPDATE response_log SET doc = ? WHERE seq = 4").run(row.doc.replace('"actor":"bob"', '"actor":"mallory"'));
    assert.deepEqual((await verifyLog(store.responses)).broken, { seq: 4, reason: "line 4 was altered: its content no longer matches its hash" });
    // A forger who knows the algorithm rehashes the line they changed: the next line no longer follows it.
    const forged = JSON.parse(row.doc.replace('"actor":"bob"', '"actor":"mallory"')) as LogEntry;
    const { hash: _h, ...body } = forged;
    store.db.prepare("UPDATE response_log SET doc = ?, hash = ? WHERE seq = 4").run(JSON.stringify({ ...forged, hash: entryHash(body) }), entryHash(body));
    assert.deepEqual((await verifyLog(store.responses)).broken, { seq: 5, reason: "line 5 does not follow line 4: its previous-hash is not that line's hash (a line before it was changed, removed or inserted)" });
    store.db.prepare("UPDATE response_log SET doc = ?, hash = ? WHERE seq = 4").run(row.doc, (JSON.parse(row.doc) as LogEntry).hash);
    assert.equal((await verifyLog(store.responses)).ok, true);
    store.db.prepare("DELETE FROM response_log WHERE seq = 2").run();
    assert.equal((await verifyLog(store.responses)).broken?.seq, 3);
  });
});
