/**
 * Issue 11 item 3: several PROCESSES — the real CLI, started from its sources — import, scan and write alerts against
 * one store at the same moment, and the store ends up exactly as if they had run one after the other: no device,
 * finding or alert lost or doubled, each scan its own value (its own id, compared with the scan before it). Run against
 * PostgreSQL (a throwaway database) and SQLite (a file; writers wait for its lock, which the port promises up to the
 * busy timeout). The expected results come from the same commands run one by one into a fresh store of the same engine,
 * in the order the concurrent store's scan ids say they ran.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/store/open.ts";
import type { Alert } from "../../src/core/record.ts";
import type { Store } from "../../src/store/store.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { tmpDir } from "../helpers/tmp.ts";

const BIN = join(import.meta.dirname, "../../src/cli/bin.ts");
/** tsx by its own path: the processes run in a temp folder, where no node_modules would find it. */
const TSX = import.meta.resolve("tsx");
const DEVICES = 3000;
const NOW = "2026-11-25";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: [start: number, end: number];
}

/** One `longwatch` process; resolves when it has exited (it is killed if the test gives up first). */
function longwatch(cwd: string, args: string[], running: Set<ReturnType<typeof spawn>>): Promise<Run> {
  const start = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.LONGWATCH_STORE;
  delete env.LONGWATCH_DATA;
  const p = spawn(process.execPath, ["--import", TSX, BIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(p);
  let stdout = "";
  let stderr = "";
  p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return once(p, "exit").then(([code]) => {
    running.delete(p);
    return { code: code as number | null, stdout, stderr, ms: [start, Date.now()] };
  });
}

/** Two disjoint fleets with defects of several rules (services, SIM, support, default and shared passwords). */
function writeInputs(dir: string): void {
  for (const p of ["a", "b"]) {
    const devices = ["device_id,model_id,firmware_version,iccid,sim_imei_lock,sim_public_ip,open_services"];
    const creds = ["device_id,model_id,service,username,password"];
    for (let i = 0; i < DEVICES; i++) {
      const services = i % 5 === 0 ? "telnet:23" : i % 7 === 0 ? "adb:5555;ssh:22" : "";
      devices.push(`${p}-${i},${i % 2 ? "meter" : "gw"},1.${i % 3},,${i % 4 === 0},${i % 3 === 0},${services}`);
      if (i % 6 === 0) creds.push(`${p}-${i},,ssh,root,${i % 12 === 0 ? "admin" : `shared-${i % 60}`}`);
    }
    writeFileSync(join(dir, `${p}.csv`), `${devices.join("\n")}\n`);
    writeFileSync(join(dir, `${p}-credentials.csv`), `${creds.join("\n")}\n`);
  }
  const models = ["- model_id: meter\n  ota_capable: false\n  support_end: 2030-01-01\n  latest_firmware: '1.1'", "- model_id: gw\n  ota_capable: true\n  support_end: 2024-01-01"];
  writeFileSync(join(dir, "models.yaml"), `${models.join("\n")}\n`);
}

interface ScanDoc {
  scan: { id: number; devices: number };
  findings: { rule: string; fingerprint: string; status: string; device_id?: string }[];
  fixed: unknown[];
}

const scanArgs = (p: string) => ["scan", `${p}.csv`, "--models", "models.yaml", "--credentials", `${p}-credentials.csv`, "--format", "json", "--now", NOW];
const detectArgs = () => [
  "detect",
  ...["connectivity", "flows", "broker", "metrics"].map((k) => `sim/records/${k}.csv`),
  ...["--inventory", "sim/devices.csv", "--models", "sim/models.yaml", "--format", "json"],
];

/** A scan's findings as comparable text: rule, device, fingerprint and status, sorted. */
const findingsOf = (d: ScanDoc) => d.findings.map((f) => `${f.rule} ${f.device_id ?? "-"} ${f.fingerprint} ${f.status}`).sort();

/** What an alert row is once written, without when it was written. */
const alertOf = (a: Alert) => JSON.stringify({ ...a, updated_at: undefined, created_at: undefined });

async function storedState(store: Store) {
  const devices: string[] = [];
  for await (const page of store.fleet.devicePages()) devices.push(...page.map((d) => d.device.device_id));
  const current: string[] = [];
  for await (const page of store.findings.current()) current.push(...page.map((f) => `${f.rule} ${f.device_id ?? "-"} ${f.fingerprint}`));
  const alerts = await store.alerts.list({ limit: 100_000 });
  return {
    counts: await store.fleet.counts(),
    devices: devices.sort(),
    latestScan: (await store.findings.latestScan())?.id,
    current: current.sort(),
    alerts: alerts.map(alertOf).sort(),
    alertIds: alerts.map((a) => a.id),
  };
}

function processesSuite(engine: string, freshUrl: () => Promise<string>, skip: string | undefined): void {
  describe(`several processes on one ${engine} store`, { skip: skip ?? false }, () => {
    const running = new Set<ReturnType<typeof spawn>>();
    const t = tmpDir();
    const opened: Store[] = [];
    before(async () => {
      writeInputs(t.dir);
      const sim = await longwatch(t.dir, ["simulate", "--out", "sim", "--devices", "60", "--hours", "30", "--scenarios", "roaming,brute-force", "--seed", "4"], running);
      assert.equal(sim.code, 0, sim.stderr);
    });
    after(async () => {
      for (const p of running) p.kill("SIGKILL");
      await Promise.all(opened.map((s) => s.close()));
    });

    it("two scans (each importing its own fleet) and two detection runs at once: as if run one by one", { timeout: 280_000 }, async () => {
      const url = await freshUrl();
      const data = join(t.dir, `data-${engine}`);
      const cmd = (args: string[]) => longwatch(t.dir, ["--data", data, "--store", url, ...args], running);
      const runs = await Promise.all([cmd(scanArgs("a")), cmd(scanArgs("b")), cmd(detectArgs()), cmd(detectArgs())]);
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      const latestStart = Math.max(...runs.map((r) => r.ms[0]));
      assert.ok(runs.every((r) => r.ms[1] > latestStart), "the four processes were running at the same time");

      const [sa, sb] = [JSON.parse(runs[0]!.stdout) as ScanDoc, JSON.parse(runs[1]!.stdout) as ScanDoc];
      assert.notEqual(sa.scan.id, sb.scan.id, "each scan has its own id");
      const [first, second] = sa.scan.id < sb.scan.id ? (["a", "b"] as const) : (["b", "a"] as const);
      const doc = { a: sa, b: sb };

      // The same commands one after the other, in the order the scans took, into a fresh store of the same engine.
      const refUrl = await freshUrl();
      const refData = join(t.dir, `ref-${engine}`);
      mkdirSync(refData);
      copyFileSync(join(data, "secret.key"), join(refData, "secret.key")); // same key, same password digests
      const ref = (args: string[]) => longwatch(t.dir, ["--data", refData, "--store", refUrl, ...args], running);
      const r1 = await ref(scanArgs(first));
      const r2 = await ref(scanArgs(second));
      const d1 = await ref(detectArgs());
      const d2 = await ref(detectArgs());
      for (const r of [r1, r2, d1, d2]) assert.equal(r.code, 0, r.stderr);
      const [e1, e2] = [JSON.parse(r1.stdout) as ScanDoc, JSON.parse(r2.stdout) as ScanDoc];

      assert.equal(doc[first].scan.devices, DEVICES, "the first scan audited its own fleet");
      assert.equal(doc[second].scan.devices, 2 * DEVICES, "the second scan audited both fleets");
      assert.ok(findingsOf(e1).every((f) => f.endsWith(" new")));
      assert.deepEqual(findingsOf(doc[first]), findingsOf(e1), `scan ${first} (ran first): the findings and statuses of a scan run alone`);
      assert.deepEqual(findingsOf(doc[second]), findingsOf(e2), `scan ${second} (ran second): compared with scan ${first}, as when run after it`);
      assert.ok(findingsOf(e2).some((f) => f.endsWith(" unchanged")) && findingsOf(e2).some((f) => f.endsWith(" new")));
      const alertsOut = (r: Run) => (JSON.parse(r.stdout) as Alert[]).map((a) => a.id).sort();
      assert.deepEqual(alertsOut(runs[2]!), alertsOut(d1), "each detection run raised the alerts of a run alone");
      assert.deepEqual(alertsOut(runs[3]!), alertsOut(d1));

      const [got, want] = [await openStore(url), await openStore(refUrl)];
      opened.push(got, want);
      const [g, w] = [await storedState(got), await storedState(want)];
      assert.equal(g.devices.length, 2 * DEVICES);
      assert.equal(new Set(g.devices).size, g.devices.length, "no device twice");
      assert.deepEqual(g.counts, w.counts);
      assert.deepEqual(g.devices, w.devices);
      assert.ok(g.latestScan !== undefined && g.latestScan === Math.max(sa.scan.id, sb.scan.id), "the later scan is the latest");
      assert.deepEqual(g.current, w.current, "the latest scan's stored findings");
      assert.ok(g.alertIds.length > 0);
      assert.equal(new Set(g.alertIds).size, g.alertIds.length, "no alert twice");
      assert.deepEqual(g.alerts, w.alerts, "the stored alerts, as after two runs one by one");
    });
  });
}

const pgSkip = await postgresAvailable();
const pgDb = pgSkip ? "" : await throwawayDatabase();
let n = 0;
processesSuite("PostgreSQL", async () => `${pgDb}?schema=p${++n}`, pgSkip);

const files = tmpDir();
processesSuite("SQLite", async () => `sqlite:${join(files.dir, `s${++n}.db`)}`, undefined);
