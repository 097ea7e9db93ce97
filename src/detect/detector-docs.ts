/**
 * The detector reference (docs/detectors.md), rendered from the detectors themselves — ids, warm-up, parameters and
 * their defaults, what the alerts say and what to do — so the documentation cannot drift from the code
 * (`npm run gen:detect-docs`; a test compares).
 */
import { z } from "zod";
import { allDetectors } from "./detectors/index.ts";

function params(schema: z.ZodType): { name: string; def: unknown; description: string }[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, { default?: unknown; description?: string }> };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({ name, def: p.default, description: p.description ?? "" }));
}

export function detectorReference(): string {
  const out = [
    "# Detector reference",
    "",
    "Generated from the code by `npm run gen:detect-docs`; see [detect.md](detect.md) for how detection works. Set parameters",
    "in a `--config` file (`detectors: { <id>: { <param>: <value> } }`). In summaries, `{name}` marks a value filled in",
    "from what was seen.",
    "",
  ];
  for (const d of allDetectors) {
    out.push(`## \`${d.id}\` — ${d.title}`, "", `Severity **${d.severity}** by default · reads ${d.kinds.join(", ")} records`, "", d.why, "");
    out.push(`**Warm-up:** ${d.warmup}`, "", `**The alert says:** ${d.summary}`, "", `**What to do:** ${d.action}`, "");
    if (d.ignores) out.push(`**Ignores:** ${d.ignores}`, "");
    out.push(`**Late records** (live ingest, behind the reorder buffer): ${d.lateRecords ? `used — ${d.lateRecords}` : "counted, not used: its judgement depends on time order."}`, "");
    const ps = params(d.params);
    if (ps.length) {
      out.push("| parameter | default | meaning |", "|---|---|---|");
      for (const p of ps) out.push(`| \`${p.name}\` | \`${JSON.stringify(p.def)}\` | ${p.description.replace(/\|/g, "\\|")} |`);
      out.push("");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}
