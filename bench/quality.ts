/**
 * `npm run bench:quality`: detection quality against ground truth. Simulates a fleet with every scenario (three
 * seeds, so each scenario happens three times on different devices), replays it with the inventory, and matches
 * alerts to scenarios: an alert is a true positive when it concerns a scenario's device (or its model, for
 * fleet-wide alerts) at or after the scenario's start; every other alert is a false positive.
 *
 * Per scenario: recall (instances caught by at least one of its expected detectors), time to detect (first
 * matching alert of an expected detector − scenario start), and the precision of its expected detectors over the
 * whole run. Environment: QUALITY_DEVICES (300), QUALITY_HOURS (48), QUALITY_SEEDS (3).
 *
 * Then real data, when ../shared/data is there (skipped with a note when not): the Zeek captures of
 * ../shared/data/zeek-labelled (bench/quality-zeek.ts) and the NAB series of ../shared/data/nab, with the rolling
 * 24-hour z-score baseline computed in the same run at the same alert count (bench/quality-nab.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Alert } from "../src/core/record.ts";
import { readInventoryFiles } from "../src/detect/inventory.ts";
import { loadReference } from "../src/detect/reference.ts";
import { runDetection } from "../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../src/detect/simulate/index.ts";
import type { Truth } from "../src/detect/simulate/scenarios.ts";
import { detectorSightings, loadNab, matchedZscore, score } from "./quality-nab.ts";
import { scoreZeek } from "./quality-zeek.ts";

const devices = Number(process.env.QUALITY_DEVICES ?? 300);
const hours = Number(process.env.QUALITY_HOURS ?? 48);
const seeds = Number(process.env.QUALITY_SEEDS ?? 3);
const reference = loadReference();

interface Outcome {
  truth: Truth;
  detectedBy: string[];
  ttdSeconds?: number;
}

const outcomes: Outcome[] = [];
const allAlerts: { alert: Alert; tp: boolean }[] = [];
const dir = mkdtempSync(join(tmpdir(), "longwatch-quality-"));
try {
  for (let seed = 1; seed <= seeds; seed++) {
    const sim = simulate({ dir: join(dir, String(seed)), devices, hours, scenarios: SCENARIO_NAMES, seed });
    const inventory = await readInventoryFiles(sim.inventory!.devices, sim.inventory!.models, () => {});
    const r = runDetection({ files: sim.files, inventory, reference, onReject: () => {} });
    const matches = (a: Alert, t: Truth) => (t.devices.includes(a.device_id) || a.device_id === t.subject) && a.first_seen >= t.start;
    for (const a of r.alerts) allAlerts.push({ alert: a, tp: sim.truth.some((t) => matches(a, t)) });
    for (const t of sim.truth) {
      const hits = r.alerts.filter((a) => t.detectors.includes(a.detector) && matches(a, t));
      const first = hits.map((a) => Date.parse(a.first_seen)).sort((x, y) => x - y)[0];
      outcomes.push({ truth: t, detectedBy: [...new Set(hits.map((a) => a.detector))], ...(first !== undefined ? { ttdSeconds: (first - Date.parse(t.start)) / 1000 } : {}) });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const dur = (s: number | undefined) => (s === undefined ? "—" : s < 120 ? `${Math.round(s)} s` : `${(s / 60).toFixed(0)} min`);
console.log(`Fleet of ${devices} devices, ${hours} h, ${seeds} seeds; ${allAlerts.length} alerts, ${allAlerts.filter((a) => a.tp).length} true positives.\n`);
console.log("| scenario | expected detectors | recall | median time to detect | precision of its detectors |");
console.log("|---|---|---|---|---|");
for (const name of SCENARIO_NAMES) {
  const os = outcomes.filter((o) => o.truth.scenario === name);
  const caught = os.filter((o) => o.ttdSeconds !== undefined);
  const ttds = caught.map((o) => o.ttdSeconds!).sort((a, b) => a - b);
  const dets = os[0]!.truth.detectors;
  const theirs = allAlerts.filter((a) => (dets as string[]).includes(a.alert.detector));
  const precision = theirs.length ? theirs.filter((a) => a.tp).length / theirs.length : 1;
  console.log(`| ${name} | ${dets.join(", ")} | ${caught.length}/${os.length} | ${dur(ttds[Math.floor((ttds.length - 1) / 2)])} | ${pct(precision)} |`);
}
console.log("\n| detector | alerts | true positives | precision |");
console.log("|---|---|---|---|");
const byDetector = new Map<string, { n: number; tp: number }>();
for (const a of allAlerts) {
  const x = byDetector.get(a.alert.detector) ?? { n: 0, tp: 0 };
  x.n++;
  if (a.tp) x.tp++;
  byDetector.set(a.alert.detector, x);
}
for (const [d, x] of [...byDetector].sort()) console.log(`| ${d} | ${x.n} | ${x.tp} | ${pct(x.tp / x.n)} |`);
const total = allAlerts.length;
console.log(`\nOverall precision ${pct(total ? allAlerts.filter((a) => a.tp).length / total : 1)}, recall ${pct(outcomes.filter((o) => o.ttdSeconds !== undefined).length / outcomes.length)} (${outcomes.length} scenario instances).`);

const data = process.env.LONGWATCH_DATA ?? join(import.meta.dirname, "..", "..", "shared", "data");
const zeek = scoreZeek(join(data, "zeek-labelled"), reference, Date.parse("2030-01-01T00:00:00Z"));
if (!zeek) console.log(`\nReal Zeek captures: skipped, ${join(data, "zeek-labelled")} is not there.`);
else {
  console.log("\nReal Zeek captures (../shared/data/zeek-labelled): alerts judged against the captures' labels or documented attackers.\n");
  console.log("| capture | what | records | alerts | precision | recall | time to detect | alerts per device-day | alerts by detector (true positives) |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const z of zeek) {
    const by = Object.entries(z.byDetector).sort().map(([d, x]) => `${d} ${x.n} (${x.tp})`).join(", ") || "—";
    console.log(`| ${z.file.replace(".conn.log", "")} | ${z.what} | ${z.records} | ${z.alerts} | ${z.alerts ? pct(z.tp / z.alerts) : "—"} | ${z.attacks ? `${z.caught}/${z.attacks}` : "— (none by the host)"} | ${z.ttdSeconds.length ? z.ttdSeconds.map((s) => dur(s)).join(", ") : "—"} | ${(z.alerts / z.deviceDays).toFixed(2)} | ${by} |`);
  }
}

const nab = loadNab(join(data, "nab"));
if (!nab) console.log(`\nNAB series: skipped, ${join(data, "nab")} is not there.`);
else {
  const ours = detectorSightings(nab, ["volume-anomaly"]);
  const o = score(nab, ours);
  const z = matchedZscore(nab, o.alerts);
  const b = score(nab, z.sightings);
  console.log(`\nNAB (../shared/data/nab): ${o.series} labelled series, ${o.windows} anomaly windows, ${Math.round(o.deviceDays)} series-days; each series one device's metric. Alerts = sightings, at most one per series and hour.\n`);
  console.log("| detector | alerts | windows found | precision (alerts inside a window) | median time to detect | alerts per device-day |");
  console.log("|---|---|---|---|---|---|");
  const row = (name: string, x: typeof o) => console.log(`| ${name} | ${x.alerts} | ${x.found}/${x.windows} | ${pct(x.alerts ? x.inWindow / x.alerts : 1)} | ${x.medianTtdMinutes === undefined ? "—" : dur(x.medianTtdMinutes * 60)} | ${(x.alerts / x.deviceDays).toFixed(2)} |`);
  row("volume-anomaly (metric model)", o);
  row(`rolling 24 h z-score, abs(z) > ${z.k.toFixed(2)} (same alert count)`, b);
  console.log(`\nAt the same number of alerts the metric model finds ${o.found - b.found >= 0 ? `${o.found - b.found} more` : `${b.found - o.found} fewer`} anomaly windows than the rolling z-score.`);
}
