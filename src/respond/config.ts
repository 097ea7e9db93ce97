/**
 * Reads the `respond:` section of the config file (longwatch.yaml). Other top-level sections belong to other parts
 * of Longwatch (the service, sinks) and are left to them. Errors name the file, the line and the key.
 */
import { readFileSync } from "node:fs";
import { resolveConfigPaths } from "../formats/config-paths.ts";
import { readYamlText, yamlProblemText } from "../formats/yaml.ts";
import { configIssues } from "../formats/config-issues.ts";
import { LongwatchError } from "../core/errors.ts";
import { actionById } from "./actions/index.ts";
import { defaultSettings, type RespondSettings, RespondSettingsSchema } from "./settings.ts";

export function parseRespondSettings(text: string, file: string): RespondSettings {
  const read = readYamlText(text, { uniqueKeys: false });
  if (!read.ok) throw new LongwatchError("invalid_config", yamlProblemText(file, read), { file, line: read.line });
  const { doc, lines: lc } = read;
  const at = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(["respond", ...path.slice(0, n)] as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return `:${lc.linePos(node.range[0]).line}`;
    }
    return "";
  };
  // Aliases are resolved (and one naming no anchor, or a bomb, reported with its line) by readYamlText.
  const root = (read.value ?? {}) as Record<string, unknown>;
  resolveConfigPaths(root, file, [["respond", "secrets_file"]]);
  if (root === null || typeof root !== "object" || Array.isArray(root)) throw new LongwatchError("invalid_config", `${file}: the config must be a map of sections (respond: …)`, { file });
  if (root.respond === undefined) return defaultSettings();
  const parsed = RespondSettingsSchema.safeParse(root.respond);
  if (!parsed.success) {
    const lines = configIssues(RespondSettingsSchema, parsed.error).map((i) => `${file}${at(i.path)}: ${i.key ? `respond.${i.key}` : "respond"}: ${i.message}`);
    throw new LongwatchError("invalid_config", lines.join("\n"), { file });
  }
  parsed.data.playbooks.forEach((p, i) => {
    const a = actionById(p.action);
    if (!a) throw new LongwatchError("invalid_config", `${file}${at(["playbooks", i, "action"])}: respond.playbooks.${i}.action: no action "${p.action}"`, { file });
    const params = a.params.safeParse(p.params);
    if (!params.success) throw new LongwatchError("invalid_config", `${file}${at(["playbooks", i, "params"])}: respond.playbooks.${i}.params: ${params.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`, { file });
    if (p.mode === "automatic" && !a.reversible) throw new LongwatchError("invalid_config", `${file}${at(["playbooks", i, "mode"])}: respond.playbooks.${i}.mode: ${a.id} cannot be undone, so it cannot run automatically; use mode: propose`, { file });
  });
  return parsed.data;
}

export function loadRespondSettings(file: string | undefined): RespondSettings {
  if (file === undefined) return defaultSettings();
  return parseRespondSettings(readFileSync(file, "utf8"), file);
}
