/** The run summary `detect` prints on stderr: what was read, what was rejected and why, devices, alerts, state. */
import type { DetectRunResult } from "../detect/run.ts";
import { KIND_WORDS } from "../detect/read/fields.ts";
import type { Colors } from "../report/colors.ts";

const n = (x: number) => Math.round(x).toLocaleString("en-US");

export function summarizeRun(r: DetectRunResult, files: readonly string[], reasons: ReadonlyMap<string, number>, rejectsLine: string | undefined, stateDir: string | undefined, c: Colors): string {
  const s = r.replay;
  const e = r.engine;
  // Read = processed + rejected (by a reader or by the engine) + skipped; the kinds are this run's processed records.
  const kinds = r.processedByKind.map((k, i) => (k > 0 ? `${n(k)} ${KIND_WORDS[i]}` : "")).filter(Boolean).join(", ");
  const read = s.used + s.rejected + s.outsideRange;
  const rate = s.seconds > 0 ? `, ${(s.used / s.seconds / 1e6).toFixed(2)} M records/s processed` : "";
  const parts = [`${n(s.used)} processed${kinds ? ` (${kinds})` : ""}`, s.rejected > 0 ? `${n(s.rejected)} rejected` : "", s.outsideRange > 0 ? `${n(s.outsideRange)} skipped` : ""].filter(Boolean).join(", ");
  const lines = [`${c.bold("Read")} ${n(read)} record${read === 1 ? "" : "s"} from ${files.length} file${files.length === 1 ? "" : "s"} in ${s.seconds.toFixed(2)} s${rate}: ${parts}.`];
  if (s.outsideRange > 0) lines.push(`  ${n(s.outsideRange)} skipped: outside --since/--until${r.restored ? " or older than the restored state (seen by an earlier run)" : ""}.`);
  if (s.sorted) {
    const spill = s.sorted.runs > 0 ? `in ${s.sorted.runs} runs on disk (${(s.sorted.spilledBytes / 2 ** 20).toFixed(0)} MiB)` : "in memory";
    lines.push(`  Sorted by event time ${spill}: ${s.sorted.reason}.`);
  }
  if (s.rejected > 0) {
    lines.push(`${c.yellow("Rejected")} ${n(s.rejected)} records:`);
    for (const [why, k] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10)) lines.push(`  ${n(k).padStart(9)} × ${why}`);
    if (reasons.size > 10) lines.push(`  … and ${reasons.size - 10} other reasons`);
  }
  if (rejectsLine) lines.push(`  ${rejectsLine}`);
  const silent = r.engine.summaries()["device-silent"];
  const rhythm = silent ? `; reporting: ${Object.entries(silent).map(([k, v]) => `${n(v)} ${k}`).join(", ")}` : "";
  lines.push(`${c.bold("Devices")}: ${n(e.devices())}${rhythm}.`);
  const bySev = new Map<string, number>();
  const byDet = new Map<string, number>();
  for (const a of r.alerts) {
    bySev.set(a.severity, (bySev.get(a.severity) ?? 0) + 1);
    byDet.set(a.detector, (byDet.get(a.detector) ?? 0) + 1);
  }
  const book = e.book.counts;
  const extra = [book.suppressed ? `${n(book.suppressed)} suppressed` : "", book.dropped ? `${n(book.dropped)} dropped (too many open alerts)` : "", r.learned.length ? `${r.learned.length} verdicts learned` : ""].filter(Boolean).join(", ");
  lines.push(
    `${c.bold("Alerts")}: ${n(r.alerts.length)}${r.alerts.length ? ` (${["critical", "high", "medium", "low", "info"].filter((k) => bySev.has(k)).map((k) => `${bySev.get(k)} ${k}`).join(", ")}) — ${[...byDet].sort((a, b) => b[1] - a[1]).map(([d, k]) => `${k} ${d}`).join(", ")}` : ""}${extra ? `; ${extra}` : ""}.`,
  );
  if (r.carried > 0) lines.push(`${n(r.carried)} of these alerts were raised by an earlier run that could not store them; they are stored now.`);
  if (stateDir) {
    const m = e.memory();
    lines.push(`${c.bold("State")} ${r.restored ? "restored from and " : ""}saved to ${stateDir} (${((r.savedBytes ?? 0) / 1e6).toFixed(1)} MB; ${m.columnsPerDevice} bytes of columns per device).`);
  }
  return lines.join("\n");
}
