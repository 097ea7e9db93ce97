/** The one place rule explanations are turned into text (terminal here; the HTML report uses the same fields). */
import { z } from "zod";
import type { Rule } from "../audit/rule.ts";
import type { Colors } from "./colors.ts";

export interface ParamDoc {
  name: string;
  default: unknown;
  description?: string;
}

/** The parameters a rule accepts, with defaults, read from its schema. */
export function ruleParams(rule: Rule): ParamDoc[] {
  const defaults = rule.params.parse({}) as Record<string, unknown>;
  const json = z.toJSONSchema(rule.params, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, { description?: string }> };
  return Object.entries(json.properties ?? {}).map(([name, p]) => {
    const doc: ParamDoc = { name, default: defaults[name] };
    if (p.description !== undefined) doc.description = p.description;
    return doc;
  });
}

export function explainRule(rule: Rule, c: Colors): string {
  const params = ruleParams(rule);
  const lines = [
    `${c.bold(rule.id)} — ${rule.title}`,
    `Family: ${rule.family}    Default severity: ${rule.severity}`,
    `Standards: ${rule.standards.join(", ")}`,
    "",
    c.bold("Why it matters"),
    wrap(rule.rationale),
    "",
    c.bold("What to do"),
    wrap(rule.remediation),
  ];
  if (params.length) {
    lines.push("", c.bold("Parameters (set in the config file under rules.<id>.params)"));
    for (const p of params) lines.push(`  ${p.name} = ${JSON.stringify(p.default)}${p.description ? `  — ${p.description}` : ""}`);
  }
  return lines.join("\n");
}

export function wrap(text: string, width = 100, indent = "  "): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width - indent.length) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out.join("\n");
}
