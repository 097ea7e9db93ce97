/** `longwatch store copy` and `store info`: everything a store holds moves to another engine and keeps working there. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../../src/store/open.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { alert } from "../store/contract/alerts.ts";
import { cli } from "./run-cli.ts";

const skip = await postgresAvailable();
const env = { LONGWATCH_USER: "ana", LONGWATCH_NOW: "2026-11-25T12:00:00Z" };

/** A store with something in every area: a scan (twice, so there is history), a suppression, alerts with history,
 * an advisory and an SBOM, an assessment. */
async function filledStore(t: ReturnType<typeof tmpDir>): Promise<{ url: string; data: string }> {
  const data = join(t.dir, "data");
  const url = `sqlite:${join(data, "longwatch.db")}`;
  const devices = t.write("devices.csv", "device_id,model_id,open_services,sim_public_ip\nd-1,m,telnet:23,true\nd-2,m,,false\nd-3,m,ftp:21,\n");
  assert.equal((await cli(["--data", data, "scan", devices, "--now", "2026-11-25"], env)).code, 0);
  assert.equal((await cli(["--data", data, "suppress", "add", "sim-public-ip", "--device", "d-1", "--reason", "lab device"], env)).code, 0);
  assert.equal((await cli(["--data", data, "scan", "--now", "2026-11-26"], env)).code, 0);
  const s = await openStore(url);
  await s.alerts.upsert([alert("A1"), alert("A2", { detector: "beaconing" })], "t0");
  await s.vulns.replaceSbom({ model_id: "m", firmware_version: "1", format: "cyclonedx", source: "x.json", imported_at: "t", component_count: 1 }, [{ name: "busybox", version: "1.0", keys: [] }], []);
  await s.vulns.putAdvisories([{ id: "OSV-1", source: "osv", aliases: ["CVE-2024-1"], references: [], affected: [{ key: "k", scheme: "dpkg", ranges: [], versions: ["1"] }] }]);
  await s.assessments.save({ model_id: "m", standard: "etsi", created_at: "2026-11-25", doc: { ok: "✓" } });
  await s.close();
  assert.equal((await cli(["--data", data, "alerts", "assign", "A1", "--to", "bob", "--note", "yours"], env)).code, 0);
  assert.equal((await cli(["--data", data, "alerts", "verify", "A2", "false_positive", "--note", "test traffic"], env)).code, 0);
  return { url, data };
}

async function snapshot(url: string) {
  const s = await openStore(url);
  const findings = [];
  for await (const page of s.findings.current()) findings.push(...page);
  const out = {
    tables: (await s.tables.list()).map((t) => `${t.name}:${t.rows}`),
    findings,
    latest: await s.findings.latestScan(),
    suppressions: await s.findings.suppressions(),
    alerts: await s.alerts.list(),
    history: await s.alerts.history("A1"),
    advisories: [...(await s.vulns.advisories(["OSV-1"])).values()],
    components: await s.vulns.components("m", "1"),
    assessments: await s.assessments.list({}),
    devices: await s.fleet.getDevice("d-3"),
    groups: await s.lists.findingGroups(),
    overview: await s.lists.overview(),
  };
  await s.close();
  return out;
}

async function copyAndCheck(t: ReturnType<typeof tmpDir>, target: string) {
  const src = await filledStore(t);
  const info = await cli(["--store", src.url, "store", "info", "--format", "json"]);
  assert.equal(info.code, 0, info.stderr);
  const doc = JSON.parse(info.stdout) as { engine: string; schema: Record<string, number>; tables: { name: string; rows: number }[] };
  assert.equal(doc.engine, "sqlite");
  assert.equal(doc.schema.alerts, 3);
  assert.equal(doc.tables.find((x) => x.name === "devices")!.rows, 3);
  const r = await cli(["--store", src.url, "store", "copy", "--to", target]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /That is 3 devices/);
  const [a, b] = [await snapshot(src.url), await snapshot(target)];
  assert.deepEqual(b, a, "the copy holds exactly what the original does");
  // It works as a store: a re-scan compares with the copied scan, new ids don't collide with copied ones.
  const rescan = await cli(["--data", src.data, "--store", target, "scan", "--format", "json", "--now", "2026-11-27"], env);
  assert.equal(rescan.code, 0, rescan.stderr);
  const statuses = (JSON.parse(rescan.stdout) as { findings: { status: string }[] }).findings.map((f) => f.status);
  assert.ok(statuses.length > 0 && statuses.every((s) => s === "unchanged" || s === "suppressed"), statuses.join(","));
  assert.equal((await cli(["--store", target, "suppress", "add", "insecure-service", "--reason", "after the copy"], env)).code, 0);
  const s = await openStore(target);
  const ids = (await s.findings.suppressions()).map((x) => x.id);
  await s.close();
  assert.equal(new Set(ids).size, ids.length);
  const again = await cli(["--store", src.url, "store", "copy", "--to", target]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /is not empty/);
  return src;
}

describe("longwatch store copy / info", () => {
  it("copies an SQLite store into another SQLite file, all of it, and the copy keeps working", async () => {
    const t = tmpDir();
    await copyAndCheck(t, `sqlite:${join(t.dir, "copy.db")}`);
  });

  it("moves an SQLite store up to PostgreSQL, and back down again", { skip: skip ?? false }, async () => {
    const t = tmpDir();
    const db = await throwawayDatabase();
    const pgUrl = `${db}?schema=moved`;
    const src = await copyAndCheck(t, pgUrl);
    const info = await cli(["--store", pgUrl, "store", "info"]);
    assert.match(info.stdout, /PostgreSQL store at postgres:/);
    assert.match(info.stdout, /alert_events\s+2/);
    const down = `sqlite:${join(t.dir, "down.db")}`;
    assert.equal((await cli(["--store", pgUrl, "store", "copy", "--to", down])).code, 0);
    assert.deepEqual(await snapshot(down), await snapshot(pgUrl));
    // d-3 closed its ftp port: the copied scan history must know the finding was open, so it is now fixed.
    const fewer = t.write("fewer.csv", "device_id,model_id,open_services,sim_public_ip\nd-1,m,telnet:23,true\nd-2,m,,false\nd-3,m,,\n");
    const rescan = await cli(["--data", src.data, "--store", down, "scan", fewer, "--format", "json", "--now", "2026-11-28"], env);
    assert.equal(rescan.code, 0, rescan.stderr);
    const after = JSON.parse(rescan.stdout) as { findings: { status: string }[]; fixed: { rule: string; device_id?: string }[] };
    assert.deepEqual(after.fixed.map((f) => `${f.rule}:${f.device_id}`), ["insecure-service:d-3"]);
    assert.ok(after.findings.every((f) => f.status !== "new"), after.findings.map((f) => f.status).join(","));
  });

  it("store info on a store that does not exist says what to run first", async () => {
    const r = await cli(["--store", `sqlite:${join(tmpDir().dir, "none.db")}`, "store", "info"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no Longwatch store/);
  });
});
