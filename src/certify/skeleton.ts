/**
 * `longwatch certify init`: writes the answers skeleton for one model and one standard, with every question explained
 * in plain words right above the place to answer it. Values are left empty (= not answered), so the file parses
 * cleanly as written and nothing is ever guessed on the user's behalf.
 */
import { stringify } from "yaml";
import type { DeviceModel } from "../core/fleet.ts";
import type { Catalogue, Condition } from "./catalogue.ts";
import { STATEMENT_FIELDS } from "./questionnaire.ts";

export interface SkeletonContext {
  modelId: string;
  model?: DeviceModel;
  /** provision id → rules whose findings are evidence on it. */
  rules: Map<string, string[]>;
}

const WIDTH = 110;

export function skeletonHeader(modelId: string, cli: string, versionFlag: string): string {
  return [
    `# Longwatch answers for device model ${modelId}: what Longwatch cannot see in your fleet data.`,
    "#",
    "# How to fill this in",
    "#  - Leave a value empty when you do not know yet: it is reported as NOT ASSESSED, never guessed.",
    "#  - conditions: say whether each condition or feature holds for this model (yes or no). \"no\" makes every",
    "#    provision that depends on it NOT APPLICABLE, so explain it in \"why\" (a justification is required).",
    "#  - provisions: answer yes, no or partly, and in \"evidence\" say where the proof is: a URL, a document and its",
    "#    section, a test report. \"yes\" without evidence counts as INCONCLUSIVE. Use \"note\" for anything else,",
    "#    such as why a recommendation is not followed.",
    "#  - Findings from `longwatch scan` always win: a provision with open findings FAILS whatever is answered here.",
    `#  - Check your answers and see the result: longwatch certify --standard ${cli}${versionFlag} --model ${modelId}`,
    `model: ${scalar(modelId)}`,
    "answered_by:      # your name and role",
    "answered_on:      # the date you answered, e.g. 2026-11-25",
    "",
  ].join("\n");
}

export function skeletonSection(c: Catalogue, ctx: SkeletonContext): string {
  const out: string[] = [];
  out.push(`# ${"=".repeat(WIDTH - 2)}`, `# ${c.title}, ${c.standard === "ETSI-EN-303-645" ? `V${c.version}` : c.version}`, ...comment(c.about, "# "), `# Source: ${c.source}`);
  out.push(`${c.key}:`);
  const sharedConditions = [...c.conditions.values()].filter((x) => !x.per_provision);
  if (sharedConditions.length) {
    out.push("  conditions:");
    for (const cond of sharedConditions) out.push(...conditionBlock(c, cond, ctx));
  }
  out.push("  provisions:");
  let clause: string | undefined;
  for (const p of c.provisions) {
    if (p.clause !== undefined && p.clause !== clause) {
      clause = p.clause;
      const title = c.clauses.find((x) => x.id === clause)?.title;
      out.push("", `    # ---- ${clause}${title ? ` ${title}` : ""} ----`);
    } else if (p.part !== undefined && p.part !== clause) {
      clause = p.part;
      out.push("", `    # ---- Part ${clause} ----`);
    }
    const status = p.mandatory ? "mandatory" : "recommended";
    const cond = p.appliesIf.filter((x) => !x.per_provision);
    out.push("", ...comment(`${p.id} [${p.notation}: ${status}${cond.length ? ` if ${cond.map((x) => x.label).join(" and ")}` : ""}] ${p.title}`, "    # "));
    out.push(...comment(p.guidance, "    #   "));
    if (p.legalRef !== undefined) out.push(`    #   Legal reference: ${p.legalRef}.`);
    if (p.wording === "unverified") out.push("    #   Note: the wording of this provision could not be verified; read it in the standard.");
    const rules = ctx.rules.get(p.id) ?? [];
    if (rules.length) out.push(...comment(`Longwatch also checks this in your fleet with ${rules.join(", ")}: open findings make it FAIL.${p.observedBy.length ? " A clean scan with the needed data passes it even without an answer." : " A clean scan alone is only partial evidence."}`, "    #   "));
    for (const r of p.deemed) {
      const how = r.external ? "" : r.verified ? ` Answering that in the ${r.catalogue} section (or its fleet evidence) can pass this requirement.` : " (not verified; shown for information only)";
      out.push(...comment(`Deemed compliance: ${r.route}.${how}`, "    #   "));
    }
    const perProvision = p.appliesIf.find((x) => x.per_provision);
    out.push(`    ${scalar(p.id)}:`);
    out.push(`      answer:      # ${perProvision ? "yes | no | partly | not-applicable (then say why, from your risk assessment)" : "yes | no | partly"}`);
    out.push("      evidence:    # where the proof is (URL, document and section, test report)");
    if (perProvision) out.push("      why:");
    out.push("      note:");
  }
  if (c.technical_documentation) {
    out.push("", "  # Technical documentation (Annex VII): answer yes when the item exists, and say where it is kept.");
    out.push("  documentation:");
    for (const item of c.technical_documentation.items) {
      out.push(...comment(`${item.id} ${item.text}`, "    # "));
      out.push(`    ${scalar(item.id)}:`, "      answer:      # yes | no | partly", "      evidence:    # where it is kept");
    }
  }
  if (c.statement_of_compliance) {
    out.push("", "  # Details for the draft statement of compliance that only the manufacturer can give.");
    out.push("  statement:");
    for (const f of STATEMENT_FIELDS) out.push(`    ${f}:`);
  }
  return `${out.join("\n")}\n`;
}

function conditionBlock(c: Catalogue, cond: Condition, ctx: SkeletonContext): string[] {
  const decides = c.provisions.filter((p) => p.appliesIf.includes(cond)).map((p) => p.id);
  const lines = ["", ...comment(`${cond.label}: ${cond.text}`, "    # "), ...comment(`Question: ${cond.question}`, "    #   ")];
  if (decides.length) lines.push(...comment(`Decides whether these apply: ${decides.join(", ")}.`, "    #   "));
  const field = cond.derive?.field;
  const value = field !== undefined && ctx.model ? ctx.model[field] : undefined;
  if (field !== undefined && typeof value === "boolean") {
    const state = cond.derive![value ? "true" : "false"];
    if (state !== undefined) lines.push(...comment(`Longwatch already knows: the model record says ${field}: ${value}, so this ${state === "holds" ? "holds" : "does not hold"}. Answer only to correct it.`, "    #   "));
  }
  lines.push(`    ${cond.id}:`, "      holds:       # yes | no", "      why:");
  return lines;
}

function comment(text: string, prefix: string): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && prefix.length + line.length + 1 + word.length > WIDTH) {
      out.push(prefix + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(prefix + line);
  return out;
}

/** A YAML scalar for a key or value, quoted when needed (ids such as 1 or 5.10 would otherwise read as numbers). */
function scalar(s: string): string {
  return /^[A-Za-z][A-Za-z0-9._-]*$/.test(s) && !/^(true|false|yes|no|null|on|off|y|n)$/i.test(s) ? s : stringify(s, { defaultStringType: "QUOTE_DOUBLE" }).trim();
}
