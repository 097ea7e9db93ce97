/** How `longwatch respond` shows responses, plans and the log to people (tables, blocks) and machines (JSON, JSONL, CSV). */
import type { ActionPlan, LogEntry, ResponseRecord } from "../core/response.ts";
import type { Colors } from "../report/colors.ts";
import { csvLine } from "../formats/csv.ts";
import { renderTable } from "../report/table.ts";
import type { RevokedCertificate } from "../store/store.ts";

const short = (v: unknown) => (v === null || v === undefined ? "—" : JSON.stringify(v));

function stateColor(c: Colors, s: ResponseRecord["state"]): string {
  const paint = s === "verified" ? c.green : s === "failed" ? c.red : s === "reversed" || s === "rejected" ? c.dim : c.yellow;
  return paint(s);
}

export function planBlock(p: ActionPlan, c: Colors): string {
  const lines = [`  ${p.summary}`, `  before: ${short(p.before)}`, `  after:  ${short(p.after)}`];
  if (p.noop) lines.push(`  ${c.dim("Nothing to do: the target is already in that state.")}`);
  for (const w of p.warnings) lines.push(`  ${c.yellow("warning:")} ${w}`);
  return lines.join("\n");
}

/** What the person reading should do next, in one line. */
export function nextStep(r: ResponseRecord, approvalNeeded: boolean): string {
  switch (r.state) {
    case "proposed":
      return approvalNeeded ? `Next: someone other than ${r.proposer} approves it — longwatch respond approve ${r.id}` : `Next: longwatch respond apply ${r.id} (shows the plan; add --execute to carry it out)`;
    case "approved":
      return `Next: longwatch respond apply ${r.id} shows what will happen; add --execute to carry it out (approval expires ${r.approval_expires_at}).`;
    case "applied":
      return `Next: longwatch respond verify ${r.id} reads the result back.`;
    case "verified":
      return r.reversible ? `Done. ${r.mode === "automatic" && !r.confirmed_by ? `It will be reversed at ${r.ttl_expires_at} unless confirmed (longwatch respond confirm ${r.id}). ` : ""}Undo with longwatch respond reverse ${r.id}.` : "Done. It cannot be undone by Longwatch.";
    case "failed":
      return `It did not take: ${r.verification?.reason ?? r.error?.message ?? "see the log"}. Check again with longwatch respond verify ${r.id}${r.reversible && r.applied ? `, or undo with longwatch respond reverse ${r.id}` : ""}.`;
    case "reversed":
      return `Reversed by ${r.reverser}: the state before the response is restored.`;
    default:
      return "";
  }
}

export function responseBlock(r: ResponseRecord, c: Colors, approvalNeeded: boolean): string {
  const lines = [
    `${c.bold(r.id)}  ${stateColor(c, r.state)}  ${r.action} → ${r.target.kind} ${r.target.id}  (${r.mode}${r.reversible ? ", reversible" : ", irreversible"})`,
    `  reason: ${r.reason}`,
    `  proposed by ${r.proposer} at ${r.proposed_at}${r.approver ? `; approved by ${r.approver} at ${r.approved_at}` : ""}${r.applier ? `; applied by ${r.applier} at ${r.applied_at}` : ""}${r.reverser ? `; reversed by ${r.reverser} at ${r.reversed_at}` : ""}`,
    planBlock(r.plan, c),
  ];
  if (r.verification) lines.push(`  verify: ${r.verification.ok ? c.green("ok") : c.red(`failed — ${r.verification.reason ?? ""}`)} ${short(r.verification.observed)}`);
  if (r.error) lines.push(`  ${c.red("error:")} ${r.error.message}`);
  for (const w of r.warnings.filter((w) => !r.plan.warnings.includes(w))) lines.push(`  ${c.yellow("warning:")} ${w}`);
  const next = nextStep(r, approvalNeeded);
  if (next) lines.push(`  ${next}`);
  return lines.join("\n");
}

export function responseTable(rs: readonly ResponseRecord[], c: Colors): string {
  if (rs.length === 0) return "No responses.";
  return renderTable(["ID", "STATE", "ACTION", "TARGET", "MODE", "PROPOSED", "BY", "APPROVER"], rs.map((r) => [r.id, stateColor(c, r.state), r.action, `${r.target.kind}:${r.target.id}`, r.mode, r.proposed_at, r.proposer, r.approver ?? ""]));
}

export function logTable(es: readonly LogEntry[]): string {
  if (es.length === 0) return "The response log is empty.";
  return renderTable(["SEQ", "AT", "EVENT", "RESPONSE", "ACTION", "TARGET", "ACTOR", "APPROVER"], es.map((e) => [String(e.seq), e.at, e.event, e.response_id ?? "", e.action ?? "", e.target ? `${e.target.kind}:${e.target.id}` : "", e.actor, e.approver ?? ""]));
}

export function revokedCsv(list: readonly RevokedCertificate[]): string {
  const head = "fingerprint,serial,issuer,subject,not_after,reason,revoked_at,response_id,devices";
  return [head, ...list.map((r) => csvLine([r.fingerprint, r.serial ?? "", r.issuer ?? "", r.subject ?? "", r.not_after ?? "", r.reason, r.revoked_at, r.response_id, r.devices.join(";")]))].join("\n");
}
