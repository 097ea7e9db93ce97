/** Renders a privacy report (flows/report.ts) as a terminal table or a self-contained HTML page. */
import type { PrivacyReport } from "../flows/report.ts";
import { fmtBytes } from "../detect/detectors/text.ts";
import { esc } from "./html.ts";
import { renderTable } from "./table.ts";

const dest = (d: PrivacyReport["destinations"][number]) => `${d.destination}${d.port !== undefined ? `:${d.port}` : ""}${d.protocol ? `/${d.protocol}` : ""}`;

export function privacyTable(r: PrivacyReport): string {
  const rows = r.destinations.map((d) => [d.declared ? "declared" : "UNDECLARED", dest(d), d.purpose ?? "-", d.party + (d.owner ? ` (${d.owner})` : ""), d.local ? "local" : (d.country ?? "?"), d.categories.join(",") || "-", String(d.devices), String(d.days.length), fmtBytes(d.bytes_out)]);
  const out = [
    `Privacy report for model ${r.model_id}: ${r.period.since} to ${r.period.until}, ${r.devices} device(s) seen`,
    "",
    rows.length ? renderTable(["STATUS", "DESTINATION", "PURPOSE", "PARTY", "COUNTRY", "DATA", "DEVICES", "DAYS", "SENT"], rows, { align: [undefined, undefined, undefined, undefined, undefined, undefined, "right", "right", "right"] as ("left" | "right")[] }) : "No flows of this model were recorded in the period (run `longwatch detect` with the model's traffic first).",
    "",
    `${r.totals.destinations} destinations: ${r.totals.undeclared} undeclared, ${r.totals.third_party_or_tracker} third party or tracker, ${r.totals.personal} receiving personal or location data.`,
  ];
  if (r.unused_declared.length) out.push(`Declared but not used in the period: ${r.unused_declared.join(", ")}.`);
  if (r.changes) {
    const c = r.changes;
    out.push(`Since the report of ${c.previous}: ${c.new_destinations.length} new (${c.new_destinations.join(", ") || "none"}), ${c.gone_destinations.length} gone${c.gone_destinations.length ? ` (${c.gone_destinations.join(", ")})` : ""}${c.changed.length ? `; changed: ${c.changed.map((x) => `${x.destination} ${x.what}`).join("; ")}` : ""}.`);
    if (c.new_countries.length) out.push(`Data now also goes to: ${c.new_countries.join(", ")}.`);
    if (c.new_third_parties.length) out.push(`New third parties or trackers: ${c.new_third_parties.join(", ")}.`);
    for (const v of c.volume) out.push(`Volume ${v.now_per_day > v.before_per_day ? "up" : "down"}: ${v.destination} ${fmtBytes(v.before_per_day)} → ${fmtBytes(v.now_per_day)} a day.`);
  } else out.push("First report for this model: the next one will say what changed.");
  for (const n of r.notes) out.push(`Note: ${n}`);
  return `${out.join("\n")}\n`;
}

export function privacyHtml(r: PrivacyReport): string {
  const rows = r.destinations
    .map((d) => `<tr class="${d.declared ? "" : "undeclared"}"><td>${d.declared ? "declared" : "<b>undeclared</b>"}</td><td>${esc(dest(d))}</td><td>${esc(d.purpose ?? "-")}</td><td>${esc(d.party)}${d.owner ? ` (${esc(d.owner)})` : ""}</td><td>${esc(d.local ? "local" : (d.country ?? "?"))}</td><td>${esc(d.categories.join(", "))}</td><td>${d.devices}</td><td>${d.days.map((x) => `${esc(x.day)}: ${esc(fmtBytes(x.bytes_out))}`).join("<br>")}</td></tr>`)
    .join("\n");
  const changes = r.changes ? `<p>Since ${esc(r.changes.previous)}: new ${esc(r.changes.new_destinations.join(", ") || "none")}; gone ${esc(r.changes.gone_destinations.join(", ") || "none")}${r.changes.changed.length ? `; changed ${esc(r.changes.changed.map((x) => `${x.destination} ${x.what}`).join("; "))}` : ""}${r.changes.new_countries.length ? `; data now also goes to ${esc(r.changes.new_countries.join(", "))}` : ""}${r.changes.new_third_parties.length ? `; new third parties or trackers ${esc(r.changes.new_third_parties.join(", "))}` : ""}${r.changes.volume.length ? `; volume ${esc(r.changes.volume.map((v) => `${v.destination} ${fmtBytes(v.before_per_day)} → ${fmtBytes(v.now_per_day)} a day`).join("; "))}` : ""}.</p>` : "<p>First report for this model.</p>";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Privacy report ${esc(r.model_id)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}tr.undeclared{background:#fde8e8}</style></head><body>
<h1>Where the data of ${esc(r.model_id)} goes</h1>
<p>${esc(r.period.since)} to ${esc(r.period.until)}, ${r.devices} device(s). ${r.totals.undeclared} of ${r.totals.destinations} destinations are not declared; ${r.totals.third_party_or_tracker} are third parties or trackers; ${r.totals.personal} receive personal or location data.</p>
<table><thead><tr><th>Status</th><th>Destination</th><th>Purpose</th><th>Party</th><th>Country</th><th>Data</th><th>Devices</th><th>Sent per day</th></tr></thead><tbody>
${rows}
</tbody></table>
${r.unused_declared.length ? `<p>Declared but not used: ${esc(r.unused_declared.join(", "))}.</p>` : ""}
${changes}
${r.notes.map((n) => `<p>Note: ${esc(n)}</p>`).join("\n")}
</body></html>
`;
}
