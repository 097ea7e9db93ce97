/**
 * bench:scan-lock — how long a write waits for SQLite's write lock while a service scan (chunked, audit/scan-chunked.ts)
 * runs in another process, as live ingest's checkpoints wait for a scan job's worker. A fleet of BENCH_DEVICES
 * (50,000) devices with several findings each (open services, SIM settings, shared and default passwords: about
 * 3.3 findings per device) is imported and scanned once in one transaction (the CLI's way); then BENCH_ROUNDS (2)
 * chunked scans run one after the other in a child process (test/helpers/scan-child.ts) while this process writes
 * one alert per transaction every 5 ms and times each write. The second round also removes the first scan's rows.
 *
 *   node --import tsx bench/scan-lock.ts
 *
 * BENCH_ROOT (this checkout): the checkout whose src/ runs — another commit's worktree gives a same-session baseline.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type * as Rules from "../src/audit/rules/index.ts";
import type * as Scan from "../src/audit/scan.ts";
import type * as Secrets from "../src/inventory/secrets.ts";
import type * as Open from "../src/store/open.ts";
import type * as Alerts from "../test/store/contract/alerts.ts";
import { writeFleet } from "../test/helpers/scan-fleet.ts";

const ROOT = process.env.BENCH_ROOT ?? join(import.meta.dirname, "..");
const DEVICES = Number(process.env.BENCH_DEVICES ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const NOW = Date.parse("2026-11-25T12:00:00Z");
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

const { allRules } = (await import(join(ROOT, "src/audit/rules/index.ts"))) as typeof Rules;
const { runScan } = (await import(join(ROOT, "src/audit/scan.ts"))) as typeof Scan;
const { keyedDigester, loadSecretKey } = (await import(join(ROOT, "src/inventory/secrets.ts"))) as typeof Secrets;
const { openStore } = (await import(join(ROOT, "src/store/open.ts"))) as typeof Open;
const { alert } = (await import(join(ROOT, "test/store/contract/alerts.ts"))) as typeof Alerts;

const dir = mkdtempSync(join(tmpdir(), "lw-scan-lock-"));
try {
  const files = writeFleet(dir, DEVICES);
  const url = `sqlite:${join(dir, "longwatch.db")}`;
  const store = await openStore(url);
  try {
    const first = await runScan({ store, rules: allRules, now: NOW, keyedDigest: keyedDigester(loadSecretKey(dir)), onIssue: () => undefined, ...files });
    const findings = first.stopped ? 0 : first.audit.findings;
    console.log(`bench:scan-lock  ${new Date().toISOString()}  ${ROOT}: ${DEVICES.toLocaleString("en-US")} devices, ${findings.toLocaleString("en-US")} findings`);
    for (let round = 1; round <= ROUNDS; round++) {
      const l0 = load();
      const t0 = performance.now();
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/helpers/scan-child.ts"), url, dir], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
      const exited = once(child, "exit");
      const waits: number[] = [];
      let worst = 0;
      let worstAt = 0;
      for (let i = 0; child.exitCode === null; i++) {
        const w0 = performance.now();
        await store.transaction((tx) => tx.alerts.upsert([alert(`r${round}-${i}`)], new Date(NOW).toISOString()));
        if (child.exitCode === null) {
          const w = performance.now() - w0;
          if (w > worst) [worst, worstAt] = [w, w0 - t0];
          waits.push(w);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      const [code] = (await exited) as [number | null];
      if (code !== 0) throw new Error(`the scan's process exited ${code}`);
      waits.sort((a, b) => a - b);
      const q = (p: number) => waits[Math.min(waits.length - 1, Math.floor(p * waits.length))]!.toFixed(1);
      console.log(`round ${round}: chunked scan ${((performance.now() - t0) / 1000).toFixed(1)} s (its process included); ${waits.length} alert writes meanwhile: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${waits.at(-1)!.toFixed(1)} ms (started ${(worstAt / 1000).toFixed(1)} s in); load ${l0}`);
    }
  } finally {
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
