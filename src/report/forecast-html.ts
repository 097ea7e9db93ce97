/**
 * The lifecycle forecast as a chart a manager can read at a glance: one stacked column per year showing how many
 * devices can still be kept secure, how many are in the field but no longer securable, and how many are retired, with
 * lines for the three things that decide it (support, identity, cryptography) and markers at NIST's 2030/2035 dates.
 * Self-contained inline SVG (no scripts, fonts or requests), for the HTML scan report and `longwatch forecast --format html`.
 */
import type { Forecast, ForecastRow } from "../lifecycle/forecast.ts";
import { esc } from "./html.ts";

const C = { securable: "#16a34a", atRisk: "#dc2626", retired: "#cbd5e1", support: "#7c3aed", identity: "#0284c7", crypto: "#b45309", grid: "#e2e8f0", text: "#0f172a", muted: "#64748b" };
const n = (x: number) => x.toLocaleString("en-US");

/** NIST IR 8547 ipd milestones, drawn when inside the forecast's years. */
const MILESTONES = [
  { year: 2031, label: "112-bit RSA/ECC deprecated" },
  { year: 2036, label: "classical public-key disallowed" },
];

/** One sentence with the number that matters: the worst year's at-risk devices, or that all stay securable. */
export function forecastHeadline(f: Forecast): string {
  const rows = f.rows;
  if (rows.length === 0 || f.devices === 0) return "No devices in the store.";
  const first = rows[0]!;
  const worst = rows.reduce((a, b) => (b.at_risk > a.at_risk ? b : a), first);
  const firstRisk = rows.find((r) => r.at_risk > 0);
  if (!firstRisk) return `All ${n(first.in_field)} devices in the field stay securable until ${f.until}, as far as their data says.`;
  const now = first.at_risk > 0 ? `${n(first.at_risk)} of ${n(first.in_field)} devices in the field cannot be kept secure today` : `From ${firstRisk.year}, devices in the field start to fall out of security`;
  return `${now}; in ${worst.year}, ${n(worst.at_risk)} of the ${n(worst.in_field)} still in the field will be past their security (support, identity or cryptography).`;
}

export function renderForecastSvg(f: Forecast, width = 960, height = 380): string {
  const rows = f.rows;
  const m = { top: 44, right: 230, bottom: 40, left: 56 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const max = Math.max(1, ...rows.map((r) => r.devices));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const y = (v: number) => m.top + h - (v / top) * h;
  const band = w / Math.max(1, rows.length);
  const x = (i: number) => m.left + i * band;
  const cx = (i: number) => x(i) + band / 2;
  const parts: string[] = [];
  for (let v = 0; v <= top; v += step) parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${C.grid}"/><text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="${C.muted}">${n(v)}</text>`);
  const bw = Math.max(2, band * 0.72);
  rows.forEach((r, i) => {
    const x0 = (x(i) + (band - bw) / 2).toFixed(1);
    let base = 0;
    for (const [v, color, what] of [[r.securable, C.securable, "securable"], [r.at_risk, C.atRisk, "in the field, not securable"], [r.retired, C.retired, "retired"]] as const) {
      if (v > 0) parts.push(`<rect x="${x0}" y="${y(base + v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${color}"><title>${esc(`${r.year}: ${n(v)} ${what}`)}</title></rect>`);
      base += v;
    }
    if (rows.length <= 25 || i % 2 === 0) parts.push(`<text x="${cx(i).toFixed(1)}" y="${m.top + h + 16}" text-anchor="middle" font-size="11" fill="${C.muted}">${r.year}</text>`);
  });
  // Labels on two rows so that milestones five years apart never overlap, however narrow the columns.
  MILESTONES.forEach((ms, k) => {
    const i = rows.findIndex((r) => r.year === ms.year);
    if (i < 0) return;
    const xx = x(i).toFixed(1);
    const ly = m.top - 26 + (k % 2) * 14;
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${ly + 3}" y2="${m.top + h}" stroke="${C.text}" stroke-dasharray="4 3"/><text x="${(x(i) + 4).toFixed(1)}" y="${ly}" font-size="11" fill="${C.text}">${esc(ms.label)}</text>`);
  });
  const line = (get: (r: ForecastRow) => number, color: string, dash: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}" points="${rows.map((r, i) => `${cx(i).toFixed(1)},${y(get(r)).toFixed(1)}`).join(" ")}"/>`;
  // A criterion with no data for any device is not drawn: a line at zero would read as "all failing".
  const noData = (unknown: (r: ForecastRow) => number) => rows.every((r) => r.in_field === 0 || unknown(r) === r.in_field);
  const lines: [string, string, string, (r: ForecastRow) => number, (r: ForecastRow) => number][] = [
    ["in support", C.support, "", (r) => r.in_support, (r) => r.support_unknown],
    ["valid identity", C.identity, "6 3", (r) => r.valid_identity, (r) => r.identity_unknown],
    ["crypto allowed or migratable", C.crypto, "2 3", (r) => r.crypto_allowed + r.crypto_migratable, (r) => r.crypto_unknown],
  ];
  for (const [, color, dash, get, unknown] of lines) if (!noData(unknown)) parts.push(line(get, color, dash));
  const legend: [string, string, "box" | string][] = [
    ["securable", C.securable, "box"],
    ["in the field, not securable", C.atRisk, "box"],
    ["retired", C.retired, "box"],
    ...lines.map(([label, color, dash, , unknown]): [string, string, string] => [noData(unknown) ? `${label} (no data)` : label, color, dash]),
  ];
  legend.forEach(([label, color, kind], i) => {
    const ly = m.top + i * 20;
    const lx = m.left + w + 16;
    parts.push(
      kind === "box"
        ? `<rect x="${lx}" y="${ly}" width="12" height="12" fill="${color}"/>`
        : `<line x1="${lx - 2}" x2="${lx + 14}" y1="${ly + 6}" y2="${ly + 6}" stroke="${color}" stroke-width="2" stroke-dasharray="${kind}"/>`,
      `<text x="${lx + 20}" y="${ly + 10}" font-size="12" fill="${C.text}">${esc(label)}</text>`,
    );
  });
  const desc = rows.map((r) => `${r.year}: ${r.securable} securable, ${r.at_risk} not securable, ${r.retired} retired`).join("; ");
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="lw-fc-t lw-fc-d" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px;font-family:system-ui,sans-serif"><title id="lw-fc-t">Devices that can still be kept secure, by year</title><desc id="lw-fc-d">${esc(desc)}</desc>${parts.join("")}</svg>`;
}

/** A report section: heading, headline, chart, the yearly table and what the columns mean. */
export function renderForecastSection(f: Forecast): string {
  const head = ["Year", "In field", "Securable", "Not securable", "Retired", "In support", "Valid identity", "Crypto allowed", "Crypto migratable"];
  const body = f.rows
    .map((r) => {
      // A criterion the inventory gives no data for reads "unknown", not 0 (which would look like a fleet-wide failure).
      const k = (v: number, unknown: number) => (r.in_field > 0 && unknown === r.in_field ? "unknown" : n(v));
      const cells = [n(r.in_field), n(r.securable), n(r.at_risk), n(r.retired), k(r.in_support, r.support_unknown), k(r.valid_identity, r.identity_unknown), k(r.crypto_allowed, r.crypto_unknown), k(r.crypto_migratable, r.crypto_unknown)];
      return `<tr><td>${r.year}</td>${cells.map((v) => `<td style="text-align:right">${v}</td>`).join("")}</tr>`;
    })
    .join("");
  return `<section class="lw-forecast">
<h2>Lifecycle forecast</h2>
<p><strong>${esc(forecastHeadline(f))}</strong></p>
${renderForecastSvg(f)}
<p class="muted" style="color:${C.muted}">Each year is counted on 1 January (the first on ${esc(f.rows[0]?.date ?? f.as_of)}). A device is <em>securable</em> while it is in support, its identity certificate and issuing CA are valid, and its cryptography is still allowed or can be replaced over the air; a fact the inventory does not give counts as not failing. Crypto policy ${esc(f.policy_version)}.${f.devices_without_retirement ? ` ${n(f.devices_without_retirement)} devices have no planned retirement and are counted as in the field every year.` : ""}</p>
<table style="border-collapse:collapse;font-size:13px"><tr>${head.map((x) => `<th style="text-align:left;padding:4px 8px">${x}</th>`).join("")}</tr>${body}</table>
</section>`;
}

/** A standalone page (for `longwatch forecast --format html`). */
export function renderForecastPage(f: Forecast, title = "Longwatch lifecycle forecast"): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#0f172a}td,th{border-bottom:1px solid #f1f5f9}</style>
</head><body><h1>${esc(title)}</h1><p style="color:#64748b">As of ${esc(f.as_of)} · ${n(f.devices)} devices · until ${f.until}</p>
${renderForecastSection(f)}
</body></html>
`;
}

/** A round grid step giving 4–8 lines up to `max`. */
function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const s of [1, 2, 2.5, 5, 10]) if (raw <= s * p) return s * p;
  return 10 * p;
}
