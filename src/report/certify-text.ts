/**
 * Assessments, the fleet matrix and assessment diffs as terminal text. The same fields feed the HTML report, so the
 * terminal and the PDF say the same thing.
 */
import type { Colors } from "./colors.ts";
import { VERDICT_LABELS, type Assessment, type ProvisionResult, type Verdict } from "../certify/assessment.ts";
import { verdictLabel, type AssessmentDiff } from "../certify/diff.ts";
import { cellText, type FleetMatrix } from "../certify/matrix.ts";
import { wrap } from "./explain.ts";
import { renderTable } from "./table.ts";

export function paintVerdict(v: Verdict, c: Colors, text: string = VERDICT_LABELS[v]): string {
  switch (v) {
    case "fail":
      return c.bold(c.red(text));
    case "pass":
      return c.green(text);
    case "inconclusive":
      return c.yellow(text);
    case "not_applicable":
      return c.cyan(text);
    default:
      return c.dim(text);
  }
}

export function standardName(a: Pick<Assessment, "standard">): string {
  const s = a.standard;
  return s.cli === "etsi-en-303-645" ? `ETSI EN 303 645 V${s.version}` : s.title.split(" — ")[0]!;
}

export function subjectName(a: Pick<Assessment, "subject">): string {
  const s = a.subject;
  if (s.models) return `product line ${s.model_id} (models ${s.models.join(", ")})`;
  const extra = [s.name, s.manufacturer].filter((x): x is string => x !== undefined).join(", ");
  return `${s.model_id}${extra ? ` (${extra})` : ""}`;
}

export function percent(rate: number | null): string {
  return rate === null ? "n/a" : `${Math.round(rate * 100)}%`;
}

export function renderAssessmentText(a: Assessment, c: Colors, opts: { details?: boolean } = {}): string {
  const out: string[] = [];
  const s = a.summary;
  out.push(c.bold(`${standardName(a)} — self-assessment of ${subjectName(a)}`));
  out.push(
    c.dim(
      `${a.subject.devices} device${a.subject.devices === 1 ? "" : "s"} · ${a.scan ? `scan #${a.scan.id} of ${a.scan.started_at.slice(0, 10)}` : "no scan yet"} · ${a.answers ? `answers: ${a.answers.file}${a.answers.answered_by ? ` (${a.answers.answered_by})` : ""}` : "no answers file"}`,
    ),
  );
  out.push("");
  const order: Verdict[] = ["fail", "inconclusive", "not_assessed", "pass", "not_applicable"];
  out.push(`  ${order.map((v) => `${paintVerdict(v, c)} ${s[v]}`).join("   ")}    pass rate ${c.bold(percent(s.pass_rate))} of ${s.applicable} applicable`);
  const m = s.mandatory;
  if (m.total) out.push(`  Mandatory (${m.total}): ${order.map((v) => `${m[v]} ${VERDICT_LABELS[v].toLowerCase()}`).join(", ")}`);
  out.push("");
  out.push(c.bold("Your three most important next steps"));
  a.next_steps.forEach((step, i) => {
    out.push(`  ${i + 1}. ${c.bold(step.title)}`);
    out.push(wrap(`Why: ${step.why}`, 100, "     "));
    out.push(wrap(`What to do: ${step.action}`, 100, "     "));
  });
  const fails = a.results.filter((r) => r.verdict === "fail");
  if (fails.length) {
    out.push("", c.bold(`Failed provisions (${fails.length})`));
    for (const r of fails) out.push(...failBlock(a, r, c));
  }
  if (opts.details) {
    out.push("", c.bold("All provisions"));
    out.push(
      renderTable(
        ["PROVISION", "STATUS", "VERDICT", "TITLE"],
        a.results.map((r) => [r.id, r.notation, paintVerdict(r.verdict, c), r.title]),
        { maxWidth: 16 },
      ),
    );
  } else {
    const rest = s.inconclusive + s.not_assessed;
    if (rest) out.push("", c.dim(`${rest} provision${rest === 1 ? " is" : "s are"} inconclusive or not assessed; --details lists every provision with its verdict.`));
  }
  if (a.psti_statement) {
    const st = a.psti_statement;
    out.push("", c.bold(`Draft statement of compliance: ${st.ready ? c.green("ready to review and sign") : c.yellow(`not ready (${st.blockers.length} open point${st.blockers.length === 1 ? "" : "s"})`)}`));
    for (const b of st.blockers) out.push(hanging(`- ${b}`));
    if (!st.verified) out.push(hanging(`- ${st.note}`));
    out.push(c.dim("  The HTML/PDF report (--format html|pdf) contains the full draft with the evidence for each requirement."));
  }
  if (a.cra_checklist) {
    const cl = a.cra_checklist;
    out.push("", c.bold("EU CRA dates and reporting deadlines"));
    for (const d of cl.dates) out.push(`  ${d.date}  ${d.days_left > 0 ? c.yellow(`in ${d.days_left} days`) : c.dim("applies")}  ${d.what}`);
    for (const dl of cl.reporting.deadlines) out.push(wrap(`${dl.trigger}: ${dl.steps.map((x) => `${x.what} within ${x.within}`).join(" → ")}`, 100, "  "));
    const done = cl.documentation.filter((d) => d.state === "done").length;
    out.push(`  Technical documentation (Annex VII): ${done} of ${cl.documentation.length} items confirmed; see the HTML/PDF report for the checklist.`);
  }
  if (a.notes.length) {
    out.push("", c.bold("Notes"));
    for (const n of a.notes) out.push(hanging(`- ${n}`));
  }
  return out.join("\n");
}

/** "  - text" wrapped with the continuation lines under the text, not under the dash. */
function hanging(text: string): string {
  return wrap(text, 100, "    ").replace(/^ {4}/, "  ");
}

function failBlock(a: Assessment, r: ProvisionResult, c: Colors): string[] {
  const lines = [`  ${c.red(r.id)}  [${r.notation}] ${r.title}`, wrap(r.reason, 100, "        ")];
  for (const e of r.rules.filter((x) => x.state === "open")) {
    const g = a.findings.find((f) => f.rule === e.rule);
    for (const f of (g?.samples ?? []).filter((x) => x.suppressed === undefined).slice(0, 3)) {
      lines.push(`        ${c.dim(f.fingerprint.slice(0, 12))} ${f.severity.padEnd(8)} ${f.device_id !== undefined ? `${f.device_id}: ` : ""}${f.title}`);
    }
    if (e.open > 3) lines.push(c.dim(`        … ${e.open - 3} more (all of them: longwatch findings --rule ${e.rule} --limit 0)`));
    lines.push(c.dim(`        Why it matters and how to fix it: longwatch explain ${e.rule}`));
  }
  if (r.todo !== undefined && !r.rules.some((x) => x.state === "open")) lines.push(wrap(`What to do: ${r.todo}`, 100, "        "));
  for (const cv of r.caveats) lines.push(wrap(`Note: ${cv}`, 100, "        "));
  return lines;
}

export function renderMatrixText(m: FleetMatrix, c: Colors): string {
  if (!m.rows.length) return "No device models in the store yet: import an inventory and models first.";
  const header = ["MODEL", "DEVICES", ...m.standards.map((s) => (s.cli === "etsi-en-303-645" ? `ETSI 303 645 v${s.version}` : s.cli.toUpperCase()))];
  const rows = m.rows.map((r) => [
    r.model_id,
    String(r.devices),
    ...m.standards.map((s) => {
      const cell = r.cells.find((x) => x.key === s.key);
      if (!cell) return "";
      const t = cellText(cell);
      return cell.mandatory_fail ? c.red(t) : cell.counts.fail ? c.yellow(t) : t;
    }),
  ]);
  return [
    renderTable(header, rows, { maxWidth: 28, align: ["left", "right"] }),
    "",
    c.dim("Cells: pass rate (PASS / applicable provisions) and FAIL count; red = a mandatory provision fails. `longwatch certify --standard S --model M` explains a cell."),
  ].join("\n");
}

export function renderDiffText(d: AssessmentDiff, c: Colors): string {
  const out = [
    c.bold(`${d.standard} · ${d.model_id}: ${d.before.generated_at.slice(0, 10)} → ${d.after.generated_at.slice(0, 10)}`),
    `  pass rate ${percent(d.before.pass_rate)} → ${percent(d.after.pass_rate)}   FAIL ${d.before.fail} → ${d.after.fail}   ${c.green(`${d.improved} improved`)}   ${d.regressed ? c.red(`${d.regressed} regressed`) : "0 regressed"}`,
  ];
  for (const w of d.warnings) out.push(c.yellow(`  warning: ${w}`));
  if (!d.changes.length) out.push("", "  No provision changed its verdict.");
  else {
    out.push("");
    out.push(
      renderTable(
        ["PROVISION", "CHANGE", "BEFORE", "AFTER", "TITLE"],
        d.changes.map((x) => [
          x.id,
          x.direction === "regressed" ? c.red(x.direction) : x.direction === "improved" ? c.green(x.direction) : x.direction,
          verdictLabel(x.before),
          verdictLabel(x.after),
          x.title,
        ]),
        { maxWidth: 16 },
      ),
    );
  }
  return out.join("\n");
}
