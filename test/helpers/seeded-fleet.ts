/**
 * A store that looks like a real deployment, built the way a user builds one — with the CLI: the demo fleet (a few
 * hundred devices with realistic defects, scanned), plus simulated traffic with attacks replayed through detection,
 * its devices imported so every alert names a device the store knows, and every model self-assessed against ETSI EN
 * 303 645 and UK PSTI (saved). Used by the dashboard tests.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIN = join(import.meta.dirname, "..", "..", "bin", "longwatch.js");

async function longwatch(cwd: string, args: string[]): Promise<void> {
  await run(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 });
}

/** Builds the store in `dir` and returns its URL. About 20 s on a loaded 2-core machine. */
export async function buildSeededStore(dir: string, o: { devices?: number; simDevices?: number } = {}): Promise<string> {
  const data = join(dir, "demo", ".longwatch");
  await longwatch(dir, ["demo", "--no-serve", "--devices", String(o.devices ?? 300), "--dir", "demo", "--now", "2026-11-30"]);
  await longwatch(dir, ["simulate", "--out", "sim", "--devices", String(o.simDevices ?? 40), "--hours", "30", "--seed", "3"]);
  await longwatch(dir, ["--data", data, "import", "models", "sim/models.yaml"]);
  await longwatch(dir, ["--data", data, "import", "devices", "sim/devices.csv"]);
  const records = ["connectivity", "flows", "broker", "metrics"].map((k) => `sim/records/${k}.csv`);
  await longwatch(dir, ["--data", data, "detect", ...records, "--inventory", "sim/devices.csv", "--models", "sim/models.yaml"]);
  // Saved self-assessments (every model against two standards) for the certification page.
  for (const standard of ["etsi-en-303-645", "uk-psti"]) await longwatch(dir, ["--data", data, "certify", "--standard", standard, "--now", "2026-11-30"]);
  return `sqlite:${join(data, "longwatch.db")}`;
}
