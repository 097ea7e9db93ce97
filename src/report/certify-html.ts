/**
 * The self-assessment report as one HTML page (also the source of the PDF). It is written for a reader new to IoT
 * security: next steps first, then why each provision got its verdict, with every FAIL linked to the findings behind
 * it and each finding's explanation (why it matters, what to do) in the appendix.
 */
import { VERDICT_LABELS, VERDICTS, type Assessment, type ProvisionResult, type Verdict } from "../certify/assessment.ts";
import { evidenceOf } from "../certify/extras.ts";
import { esc } from "./html.ts";
import { anchor, htmlPage, linkify } from "./page.ts";
import { percent, standardName, subjectName } from "./certify-text.ts";

export function renderAssessmentsHtml(assessments: readonly Assessment[]): string {
  const first = assessments[0];
  const title = first
    ? assessments.length === 1
      ? `${standardName(first)} self-assessment — ${first.subject.model_id}`
      : `${standardName(first)} self-assessment — ${assessments.length} models`
    : "Longwatch self-assessment";
  return htmlPage(title, assessments.map(section).join("\n"));
}

const badge = (v: Verdict) => `<span class="v ${v}">${VERDICT_LABELS[v]}</span>`;

function section(a: Assessment): string {
  return `<section class="assessment" id="${anchor("model", a.subject.model_id)}">
<h1>${esc(standardName(a))} — self-assessment</h1>
<p class="sub">${esc(a.standard.title)}</p>
${meta(a)}
<div class="box warn"><strong>Self-assessment, not a certificate.</strong> Prepared with Longwatch from the fleet data in its store and the
answers its user gave. Verdicts follow the rules in Longwatch's docs/certify.md; read the standard itself before relying on them.</div>
${steps(a)}
${summary(a)}
${a.psti_statement ? psti(a) : ""}
${a.cra_checklist ? cra(a) : ""}
${results(a)}
${findings(a)}
${conditions(a)}
${notes(a)}
</section>`;
}

function meta(a: Assessment): string {
  const rows: [string, string][] = [
    ["Device model", esc(subjectName(a))],
    ["Devices in the fleet", String(a.subject.devices)],
    ["Standard", `${esc(a.standard.title)}, ${esc(a.standard.version)} (${esc(a.standard.published)}) — <a href="${esc(a.standard.source)}">source</a>`],
    ["Assessed on", esc(a.generated_at.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC"))],
    ["Fleet evidence", a.scan ? `scan #${a.scan.id} started ${esc(a.scan.started_at)}, ${a.scan.rules.length} rules` : "no scan has been run"],
    [
      "Answers",
      a.answers
        ? `${esc(a.answers.file)}${a.answers.answered_by ? `, by ${esc(a.answers.answered_by)}` : ""}${a.answers.answered_on ? ` on ${esc(a.answers.answered_on)}` : ""}${a.answers.rejected ? ` — <span class="caveat">${a.answers.rejected} invalid entr${a.answers.rejected === 1 ? "y was" : "ies were"} left out</span>` : ""}`
        : "none yet",
    ],
    ["Longwatch", esc(a.longwatch_version)],
  ];
  if (a.subject.support_end !== undefined) rows.splice(2, 0, ["Support period ends", esc(a.subject.support_end)]);
  return `<dl class="meta">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function provLinks(a: Assessment, ids: readonly string[], max = 12): string {
  const links = ids.slice(0, max).map((id) => `<a href="#${anchor(`p-${a.subject.model_id}`, id)}">${esc(id)}</a>`);
  return links.join(", ") + (ids.length > max ? ` and ${ids.length - max} more` : "");
}

function steps(a: Assessment): string {
  const items = a.next_steps.map(
    (s) => `<li><strong>${esc(s.title)}</strong>
<p><em>Why:</em> ${esc(s.why)}</p>
<p><em>What to do:</em> ${linkify(s.action)}</p>
${s.provisions.length ? `<p class="small">Provisions: ${provLinks(a, s.provisions)}${s.rule ? ` · findings: <a href="#${anchor(`rule-${a.subject.model_id}`, s.rule)}">${esc(s.rule)}</a>` : ""}</p>` : ""}</li>`,
  );
  return `<div class="box steps"><h2 style="margin-top:0;border:0">Your three most important next steps</h2><ol class="steps">${items.join("\n")}</ol></div>`;
}

function summary(a: Assessment): string {
  const s = a.summary;
  const bar = VERDICTS.filter((v) => s[v] > 0)
    .map((v) => `<span class="${v}" style="width:${((s[v] / s.total) * 100).toFixed(2)}%" title="${VERDICT_LABELS[v]} ${s[v]}"></span>`)
    .join("");
  const row = (label: string, c: Record<Verdict, number> & { total: number }) =>
    `<tr><td>${label}</td>${VERDICTS.map((v) => `<td class="num">${c[v]}</td>`).join("")}<td class="num">${c.total}</td></tr>`;
  return `<h2>Summary</h2>
<p>Pass rate: <strong>${percent(s.pass_rate)}</strong> (${s.pass} of ${s.applicable} applicable provisions pass; ${s.not_applicable} not applicable).</p>
<div class="bar">${bar}</div>
<table><tr><th></th>${VERDICTS.map((v) => `<th>${badge(v)}</th>`).join("")}<th>Total</th></tr>
${row("All provisions", s)}${s.mandatory.total ? row("Mandatory", s.mandatory) : ""}</table>
<p class="small">PASS: met with evidence or fully observed. FAIL: an open finding, or answered as not met. INCONCLUSIVE: partial or conflicting
evidence. NOT ASSESSED: nothing observes it and it is not answered. NOT APPLICABLE: a condition of the provision does not hold, with the reason.</p>`;
}

function results(a: Assessment): string {
  const groups: { title: string; rows: ProvisionResult[] }[] = [];
  for (const r of a.results) {
    const key = r.clause ?? (r.part !== undefined ? `Part ${r.part}` : "");
    const last = groups[groups.length - 1];
    if (last && last.title === key) last.rows.push(r);
    else groups.push({ title: key, rows: [r] });
  }
  const body = groups
    .map((g) => `${g.title ? `<tr><th colspan="4">${esc(g.title)}</th></tr>` : ""}${g.rows.map((r) => resultRow(a, r)).join("")}`)
    .join("");
  return `<h2>Provision by provision</h2>
<table><tr><th>Provision</th><th>Status</th><th>What it asks, and why this verdict</th><th>Verdict</th></tr>${body}</table>`;
}

function resultRow(a: Assessment, r: ProvisionResult): string {
  const parts = [`<strong>${esc(r.title)}</strong>`, `<div>${linkify(r.reason)}</div>`];
  const open = r.rules.filter((e) => e.state === "open");
  if (open.length) {
    parts.push(
      `<div>Findings: ${open.map((e) => `<a href="#${anchor(`rule-${a.subject.model_id}`, e.rule)}">${esc(e.title)}</a> (${e.open} open, ${e.devices} device${e.devices === 1 ? "" : "s"})`).join("; ")}</div>`,
    );
  }
  if (r.verdict === "pass") {
    const ev = evidenceOf(r);
    if (ev.length) parts.push(`<ul class="tight small">${ev.map((x) => `<li>${linkify(x)}</li>`).join("")}</ul>`);
  }
  if (r.answer?.note !== undefined) parts.push(`<div class="small">Note: ${linkify(r.answer.note)}</div>`);
  if (r.todo !== undefined) parts.push(`<div class="todo"><em>What to do:</em> ${linkify(r.todo)}</div>`);
  for (const c of r.caveats) parts.push(`<div class="small caveat">${esc(c)}</div>`);
  return `<tr id="${anchor(`p-${a.subject.model_id}`, r.id)}"><td class="id">${esc(r.id)}</td><td>${esc(r.notation)}<br><span class="small">${r.mandatory ? "mandatory" : "recommended"}</span></td><td>${parts.join("")}</td><td>${badge(r.verdict)}</td></tr>`;
}

function findings(a: Assessment): string {
  if (!a.findings.length) return "";
  const groups = a.findings.map((g) => {
    const samples = g.samples
      .map((f) => `<li id="${anchor("f", f.fingerprint)}"><code>${esc(f.fingerprint.slice(0, 12))}</code> ${esc(f.severity)} — ${f.device_id !== undefined ? `${esc(f.device_id)}: ` : ""}${esc(f.title)}${f.suppressed !== undefined ? ` <span class="small">(suppressed: ${esc(f.suppressed)})</span>` : ""}</li>`)
      .join("");
    const more = g.open + g.suppressed - g.samples.length;
    return `<div class="box" id="${anchor(`rule-${a.subject.model_id}`, g.rule)}">
<h3>${esc(g.title)} <span class="small">rule <code>${esc(g.rule)}</code>${g.severity ? `, worst severity ${esc(g.severity)}` : ""}</span></h3>
<p>${g.open} open finding${g.open === 1 ? "" : "s"}${g.suppressed ? ` and ${g.suppressed} suppressed` : ""} on ${g.devices} device${g.devices === 1 ? "" : "s"} of this model. Affects ${provLinks(a, g.provisions)}.</p>
${g.rationale ? `<p><em>Why it matters:</em> ${esc(g.rationale)}</p>` : ""}
${g.remediation ? `<p><em>What to do:</em> ${esc(g.remediation)}</p>` : `<p><em>What to do:</em> run <code>longwatch explain ${esc(g.rule)}</code>.</p>`}
<ul class="tight">${samples}</ul>${more > 0 ? `<p class="small">… and ${more} more; <code>longwatch findings --rule ${esc(g.rule)} --limit 0</code> lists them all.</p>` : ""}</div>`;
  });
  return `<h2>Findings behind the verdicts</h2>${groups.join("\n")}`;
}

function conditions(a: Assessment): string {
  const seen = new Map<string, ProvisionResult["conditions"][number]>();
  for (const r of a.results) for (const c of r.conditions) if (!c.per_provision && !seen.has(c.id)) seen.set(c.id, c);
  const known = [...seen.values()].filter((c) => c.state !== "unknown");
  if (!seen.size) return "";
  const rows = [...seen.values()]
    .map((c) => `<tr><td class="id">${esc(c.label)}</td><td>${esc(c.text)}</td><td>${c.state === "unknown" ? "not answered" : c.state === "holds" ? "holds" : "<strong>does not hold</strong>"}</td><td class="small">${c.source ? `${c.source === "fleet" ? "fleet data" : "answers"}${c.why ? `: ${esc(c.why)}` : ""}` : ""}</td></tr>`)
    .join("");
  return `<h2>Conditions and features</h2><p class="small">${known.length} of ${seen.size} are known. A provision that depends on a condition that does not hold is NOT APPLICABLE.</p>
<table><tr><th>Id</th><th>Condition</th><th>State</th><th>Source and reason</th></tr>${rows}</table>`;
}

function psti(a: Assessment): string {
  const st = a.psti_statement!;
  const fields = st.fields.map((f) => `<tr><td>${esc(f.label)}</td><td>${f.value !== undefined ? esc(f.value) : f.optional ? "none given" : `<span class="caveat">[to be completed]</span>`}</td><td class="small">${esc(f.source)}</td></tr>`).join("");
  const reqs = st.requirements
    .map((r) => `<tr><td class="id">${esc(r.id)}</td><td><strong>${esc(r.title)}</strong>${r.legal_ref ? ` <span class="small">(${esc(r.legal_ref)})</span>` : ""}<ul class="tight small">${r.evidence.map((e) => `<li>${linkify(e)}</li>`).join("") || "<li>No evidence yet.</li>"}</ul></td><td>${badge(r.verdict)}</td></tr>`)
    .join("");
  return `<h2>Draft statement of compliance (UK PSTI)</h2>
<div class="box draft"><p><strong>DRAFT${st.ready ? "" : " — not ready to sign"}.</strong> ${st.ready ? "Every requirement passes; review, complete and sign." : "Resolve the open points below before it can be signed."}</p>
<table>${fields}</table>
<p>${esc(st.declaration)}</p>
<table><tr><th>Req.</th><th>Security requirement and the evidence for it</th><th>Verdict</th></tr>${reqs}</table>
${st.blockers.length ? `<p><strong>Open points</strong></p><ul class="tight">${st.blockers.map((b) => `<li>${esc(b)}</li>`).join("")}</ul>` : ""}
<p class="small">${esc(st.note)}</p></div>`;
}

function cra(a: Assessment): string {
  const cl = a.cra_checklist!;
  const dates = cl.dates.map((d) => `<tr><td class="id">${esc(d.date)}</td><td>${esc(d.what)}</td><td class="num">${d.days_left > 0 ? `in ${d.days_left} days` : "applies now"}</td></tr>`).join("");
  const deadlines = cl.reporting.deadlines
    .map((dl) => dl.steps.map((s, i) => `<tr>${i === 0 ? `<td rowspan="${dl.steps.length}">${esc(dl.trigger)}</td>` : ""}<td><strong>${esc(s.within)}</strong></td><td>${esc(s.what)}</td><td class="small">after ${esc(s.after)}</td></tr>`).join(""))
    .join("");
  const stateText = { done: "in place", partly: "partly", missing: "missing", unanswered: "not answered" } as const;
  const docs = cl.documentation
    .map((d) => `<tr><td class="id">${esc(d.id)}</td><td>${esc(d.text)}${d.evidence !== undefined ? `<div class="small">${linkify(d.evidence)}</div>` : ""}</td><td>${d.state === "done" ? `<span class="v pass">IN PLACE</span>` : d.state === "unanswered" ? stateText[d.state] : `<strong>${stateText[d.state]}</strong>`}</td></tr>`)
    .join("");
  const parts = cl.annex_i.map((p) => `<li>Annex I Part ${esc(p.part)}: ${p.pass} pass, ${p.fail} fail, ${p.open} open, ${p.not_applicable} not applicable</li>`).join("");
  return `<h2>EU CRA: dates, reporting deadlines and technical documentation</h2>
<table><tr><th>Date</th><th>What applies</th><th></th></tr>${dates}</table>
<h3>Reporting to ENISA and the CSIRT (Article 14)</h3>
<p>${esc(cl.reporting.channel)}</p>
<table><tr><th>When</th><th>Deadline</th><th>What</th><th>Counted from</th></tr>${deadlines}</table>
${cl.reporting.users ? `<p>${esc(cl.reporting.users)}</p>` : ""}
<h3>Support period</h3><ul class="tight">${cl.support_period.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>
<p>This model: ${a.subject.support_end !== undefined ? `support recorded until <strong>${esc(a.subject.support_end)}</strong>` : `<span class="caveat">no support end recorded</span>`}.</p>
<h3>Technical documentation checklist (Annex VII)</h3>
<table><tr><th>Item</th><th>Contents</th><th>State</th></tr>${docs}</table>
${cl.documentation_note ? `<p class="small">${esc(cl.documentation_note)}</p>` : ""}
<p>Annex I results to describe in the documentation:</p><ul class="tight">${parts}</ul>`;
}

function notes(a: Assessment): string {
  return `<h2>Notes</h2><ul>${a.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>`;
}
