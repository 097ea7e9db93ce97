/** Text and HTML renderings of what-if reports and rankings; the CLI and the API both use the JSON documents as they are. */
import type { Colors } from "./colors.ts";
import { esc } from "./html.ts";
import { htmlPage } from "./page.ts";
import { renderTable } from "./table.ts";
import type { CompromiseReport, Share } from "../whatif/compromise.ts";
import type { Ranking } from "../whatif/rank.ts";

const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1)} %`;
const n = (x: number) => x.toLocaleString("en-US");

function shares(title: string, list: Share[], top = 10): string {
  if (!list.length) return "";
  const rows = list.slice(0, top).map((s) => [s.name, n(s.devices), pct(s.share)]);
  const more = list.length > top ? `\n… and ${list.length - top} more` : "";
  return `${renderTable([title, "DEVICES", "OF FLEET"], rows, { align: ["left", "right", "right"] })}${more}`;
}

export function compromiseText(r: CompromiseReport, c: Colors): string {
  const out: string[] = [];
  out.push(c.bold(`What if ${r.target} is compromised?`));
  out.push(`${n(r.affected.devices)} of ${n(r.fleet_devices)} devices fall (${pct(r.affected.share)} of the fleet).`);
  for (const note of r.notes) out.push(c.dim(note));
  if (r.affected.devices === 0) return out.join("\n");
  out.push("", shares("MODEL", r.affected.by_model), "", shares("GROUP", r.affected.by_group), "", shares("COUNTRY", r.affected.by_country));
  const d = r.data;
  out.push("", c.bold("Data they carry"), `  telemetry ${n(d.telemetry)} · location ${n(d.location)} · personal ${n(d.personal)}${d.undeclared ? ` · ${n(d.undeclared)} on models that declare no data flows` : ""}`);
  const rec = r.recovery;
  out.push("", c.bold("Can they be fixed over the air?"), `  yes ${n(rec.remote)} · no ${n(rec.not_remote)} · unknown ${n(rec.unknown)}`);
  for (const x of rec.reasons) out.push(`  ${n(x.devices)} device(s): ${x.text} (${x.reason})`);
  out.push(renderTable(["MODEL", "DEVICES", "REMOTE", "WHY NOT"], rec.by_model.slice(0, 15).map((m) => [m.model_id ?? "(no model)", n(m.devices), m.recoverable, m.reasons.join(", ")]), { align: ["left", "right", "left", "left"] }));
  out.push("", c.bold("Response plan (dry run: nothing was changed or recorded)"));
  if (!r.plan.length) out.push("  No action Longwatch can take applies to these devices.");
  for (const s of r.plan) {
    out.push(`  ${c.bold(s.action)} on ${n(s.targets)} ${s.target_kind}(s) — ${s.title}${s.reversible ? "" : " (cannot be undone: needs an approval)"}`);
    out.push(`    ${s.why}`);
    for (const p of s.sample) out.push(c.dim(`    e.g. ${p.plan.summary}`));
  }
  out.push("", c.bold("Time to remediate"), `  ${r.remediation.text}`);
  if (r.remediation.hands_on) out.push(`  ${n(r.remediation.hands_on)} device(s) cannot be fixed over the air: plan hands-on work or replacement.`);
  return out.join("\n");
}

export function rankingText(r: Ranking, c: Colors): string {
  if (!r.nodes.length) return `No shared node found in ${n(r.fleet_devices)} stored devices.`;
  const rows = r.nodes.map((x) => [x.kind, x.label, n(x.devices), pct(x.share), x.target]);
  return `${c.bold(`Largest blast radius in a fleet of ${n(r.fleet_devices)} devices`)}\n${renderTable(["KIND", "NODE", "DEVICES", "OF FLEET", "ASK"], rows, { align: ["left", "left", "right", "right", "left"], maxWidth: 48 })}\n${c.dim("Ask about one: longwatch whatif compromise TARGET")}`;
}

function shareTable(title: string, list: Share[]): string {
  if (!list.length) return "";
  return `<h3>By ${esc(title)}</h3><table><tr><th>${esc(title)}</th><th>Devices</th><th>Of fleet</th></tr>${list.slice(0, 50).map((s) => `<tr><td>${esc(s.name)}</td><td class="num">${n(s.devices)}</td><td class="num">${pct(s.share)}</td></tr>`).join("")}</table>`;
}

export function compromiseHtml(r: CompromiseReport): string {
  const rec = r.recovery;
  const body = [
    `<h1>What if ${esc(r.target)} is compromised?</h1>`,
    `<p class="sub">Generated ${esc(r.generated_at)} from the stored fleet of ${n(r.fleet_devices)} devices.</p>`,
    `<div class="box steps"><strong>${n(r.affected.devices)} devices fall</strong> — ${pct(r.affected.share)} of the fleet. ${n(rec.not_remote)} cannot be fixed over the air, ${n(rec.unknown)} unknown. ${esc(r.remediation.text)}</div>`,
    ...r.notes.map((x) => `<div class="box warn">${esc(x)}</div>`),
    `<h2>Affected devices</h2>`,
    shareTable("model", r.affected.by_model),
    shareTable("group", r.affected.by_group),
    shareTable("country", r.affected.by_country),
    `<h2>Data they carry</h2><table><tr><th>Telemetry</th><th>Location</th><th>Personal</th><th>Undeclared</th></tr><tr><td class="num">${n(r.data.telemetry)}</td><td class="num">${n(r.data.location)}</td><td class="num">${n(r.data.personal)}</td><td class="num">${n(r.data.undeclared)}</td></tr></table>`,
    `<h2>Can they be fixed over the air?</h2><p>Yes: ${n(rec.remote)} · No: ${n(rec.not_remote)} · Unknown: ${n(rec.unknown)}</p>`,
    rec.reasons.length ? `<ul class="tight">${rec.reasons.map((x) => `<li>${n(x.devices)} device(s): ${esc(x.text)} <code>${esc(x.reason)}</code></li>`).join("")}</ul>` : "",
    `<table><tr><th>Model</th><th>Devices</th><th>Remote recovery</th><th>Why not</th></tr>${rec.by_model.map((m) => `<tr><td>${esc(m.model_id ?? "(no model)")}</td><td class="num">${n(m.devices)}</td><td>${esc(m.recoverable)}</td><td>${esc(m.reasons.join(", "))}</td></tr>`).join("")}</table>`,
    `<h2>Response plan</h2><p class="small">A dry run through <code>longwatch respond</code>: nothing was changed or recorded, no broker or provider was contacted.</p>`,
    r.plan.length ? `<ol class="steps">${r.plan.map((s) => `<li><p><strong>${esc(s.action)}</strong> on ${n(s.targets)} ${esc(s.target_kind)}(s) — ${esc(s.title)}${s.reversible ? "" : " <span class=\"caveat\">(cannot be undone: needs an approval)</span>"}</p><p>${esc(s.why)}</p>${s.sample.map((p) => `<p class="small">e.g. ${esc(p.plan.summary)}</p>`).join("")}</li>`).join("")}</ol>` : "<p>No action Longwatch can take applies to these devices.</p>",
    `<h2>Time to remediate</h2><p>${esc(r.remediation.text)}</p>${r.remediation.hands_on ? `<p>${n(r.remediation.hands_on)} device(s) cannot be fixed over the air: plan hands-on work or replacement.</p>` : ""}`,
  ];
  return htmlPage(`What if ${r.target} is compromised?`, body.join("\n"));
}

export function rankingHtml(r: Ranking, generatedAt: string): string {
  const rows = r.nodes.map((x) => `<tr><td>${esc(x.kind)}</td><td>${esc(x.label)}</td><td class="num">${n(x.devices)}</td><td class="num">${pct(x.share)}</td><td><code>${esc(x.target)}</code></td></tr>`).join("");
  return htmlPage("Largest blast radius", `<h1>Largest blast radius</h1><p class="sub">Generated ${esc(generatedAt)} from the stored fleet of ${n(r.fleet_devices)} devices.</p><table><tr><th>Kind</th><th>Node</th><th>Devices</th><th>Of fleet</th><th>Ask</th></tr>${rows}</table>`);
}
