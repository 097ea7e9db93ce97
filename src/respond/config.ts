/**
 * Reads the `respond:` section of the config file (longwatch.yaml). Other top-level sections belong to other parts
 * of Longwatch (the service, sinks) and are left to them. Errors name the file, the line and the key.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { LongwatchError } from "../core/errors.ts";
import { actionById } from "./actions/index.ts";
import { defaultSettings, type RespondSettings, RespondSettingsSchema } from "./settings.ts";

export function parseRespondSettings(text: string, file: string): RespondSettings {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) throw new LongwatchError("invalid_config", `${file}:${doc.errors[0]!.linePos?.[0].line ?? "?"}: ${doc.errors[0]!.message.split("\n")[0]}`, { file });
  const at = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(["respond", ...path.slice(0, n)] as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return `:${lc.linePos(node.range[0]).line}`;
    }
    return "";
  };
  let root: Record<string, unknown>;
  try {
    // toJS resolves aliases and can fail on one that names no anchor (the parser only reports syntax).
    root = (doc.toJS() ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new LongwatchError("invalid_config", `${file}: ${(e as Error).message}`, { file });
  }
  if (root === null || typeof root !== "object" || Array.isArray(root)) throw new LongwatchError("invalid_config", `${file}: the config must be a map of sections (respond: …)`, { file });
  if (root.respond === undefined) return defaultSettings();
  const parsed = RespondSettingsSchema.safeParse(root.respond);
  if (!parsed.success) {
    throw new LongwatchError("invalid_config", parsed.error.issues.map((i) => `${file}${at(i.path)}: respond.${i.path.join(".")}: ${i.message}`).join("\n"), { file });
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
