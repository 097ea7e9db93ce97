import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actOnAlerts, suppressAlerts } from "../../src/detect/alert-lifecycle.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { alert } from "../store/contract/alerts.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "../cli/run-cli.ts";

const who = { actor: "ana", at: "2026-11-25T12:00:00Z", comment: "triage" };

describe("alert lifecycle (library)", () => {
  it("acts on many alerts at once, reports ids that name none, and records who and why for each", async () => {
    const store = openSqliteStore(":memory:");
    await store.alerts.upsert([alert("A1"), alert("A2"), alert("A3")], "t0");
    const r = await actOnAlerts(store, ["A1", "nope", "A3", "A1"], { kind: "ack" }, who);
    assert.deepEqual(r.changed.map((a) => `${a.id}:${a.state}`), ["A1:acknowledged", "A3:acknowledged"]);
    assert.deepEqual(r.missing, ["nope"]);
    assert.equal((await store.alerts.get("A2"))!.state, "open");
    assert.deepEqual((await store.alerts.history("A3")).map((e) => [e.actor, e.to, e.comment]), [["ana", "acknowledged", "triage"]]);
    const v = await actOnAlerts(store, ["A2"], { kind: "verify", verification: "benign_positive" }, who);
    assert.equal(v.changed[0]!.verification, "benign_positive");
    assert.deepEqual((await store.alerts.pendingFeedback()).map((a) => a.id), ["A2"]);
    await store.close();
  });

  it("refuses an action without who, a comment without text, and a suppression of an unknown detector", async () => {
    const store = openSqliteStore(":memory:");
    await assert.rejects(actOnAlerts(store, ["A1"], { kind: "ack" }, { actor: " ", at: "t" }), { code: "usage" });
    await assert.rejects(actOnAlerts(store, ["A1"], { kind: "comment" }, { actor: "ana", at: "t" }), { code: "usage" });
    await assert.rejects(actOnAlerts(store, [], { kind: "ack" }, who), { code: "usage" });
    await assert.rejects(suppressAlerts(store, { detector: "nope", reason: "because" }, "t", new Set(["beaconing"])), { code: "not_found" });
    await store.close();
  });

  it("the CLI assigns, comments and shows the history; a missing id is exit 2 after the others changed", async () => {
    const data = tmpDir().dir;
    const store = openSqliteStore(`${data}/longwatch.db`);
    await store.alerts.upsert([alert("A1"), alert("A2")], "t0");
    await store.close();
    const env = { LONGWATCH_USER: "ana", LONGWATCH_NOW: "2026-11-25T12:00:00Z" };
    assert.equal((await cli(["--data", data, "alerts", "assign", "A1", "A2", "--to", "bob"], env)).code, 0);
    assert.equal((await cli(["--data", data, "alerts", "comment", "A1", "looks like a planned swap", "--by", "bob"], env)).code, 0);
    const ack = await cli(["--data", data, "alerts", "ack", "A1", "ZZ", "--note", "on it"], env);
    assert.equal(ack.code, 2);
    assert.match(ack.stderr, /no alert ZZ \(the others were changed\)/);
    const show = await cli(["--data", data, "alerts", "show", "A1"], env);
    assert.match(show.stdout, /assigned to bob/);
    assert.match(show.stdout, /2026-11-25T12:00:00.000Z {2}ana: assignee — → bob/);
    assert.match(show.stdout, /bob: commented — looks like a planned swap/);
    assert.match(show.stdout, /ana: state open → acknowledged — on it/);
  });
});
