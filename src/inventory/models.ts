/**
 * Imports device models from YAML or JSON: a list of models, or `{ models: [...] }`. Model files are small, so they
 * are parsed whole (YAML parses JSON too), which gives every problem a line number.
 */
import { readFileSync } from "node:fs";
import { readYamlText } from "../formats/yaml.ts";
import { type DeviceModel, DeviceModelSchema } from "../core/fleet.ts";
import type { InputIssue } from "../core/input-issue.ts";
import type { StoreTx } from "../store/store.ts";

export interface ModelImportResult {
  file: string;
  imported: number;
  rejected: number;
  models: DeviceModel[];
}

export function readModels(file: string, onIssue: (i: InputIssue) => void): ModelImportResult {
  const result: ModelImportResult = { file, imported: 0, rejected: 0, models: [] };
  const reject = (issue: Omit<InputIssue, "file" | "level">) => {
    result.rejected++;
    onIssue({ file, level: "error", ...issue });
  };
  const read = readYamlText(readFileSync(file, "utf8"));
  if (!read.ok) {
    reject({ line: read.line, reason: read.reason });
    return result;
  }
  const { doc, lines: lc } = read;
  const root = read.value;
  const listPath: (string | number)[] = Array.isArray(root) ? [] : ["models"];
  const list = Array.isArray(root) ? root : (root as { models?: unknown } | null)?.models;
  if (!Array.isArray(list)) {
    reject({ line: 1, reason: "expected a list of models (or a `models:` list)" });
    return result;
  }
  const lineOf = (path: (string | number)[]) => {
    const node = doc.getIn([...listPath, ...path], true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lc.linePos(node.range[0]).line : undefined;
  };
  const seen = new Map<string, number>();
  list.forEach((item, index) => {
    const r = DeviceModelSchema.safeParse(item);
    const line = lineOf([index]);
    if (!r.success) {
      const i = r.error.issues[0]!;
      const issue: Omit<InputIssue, "file" | "level"> = { path: `$${listPath.map((p) => `.${p}`).join("")}[${index}]${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}`, reason: i.code === "unrecognized_keys" ? `unknown field ${i.keys.join(", ")}` : i.code === "invalid_type" && valueAt(item, i.path) === undefined ? "is required" : i.message };
      const at = lineOf([index, ...(i.path as (string | number)[])]) ?? line;
      if (at !== undefined) issue.line = at;
      if (i.path[0] !== undefined) issue.column = String(i.path[0]);
      reject(issue);
      return;
    }
    const prev = seen.get(r.data.model_id);
    if (prev !== undefined) {
      reject({ ...(line !== undefined ? { line } : {}), column: "model_id", reason: `model_id "${r.data.model_id}" is defined twice (first on line ${prev})` });
      return;
    }
    seen.set(r.data.model_id, line ?? 0);
    result.models.push(r.data);
  });
  result.imported = result.models.length;
  return result;
}

export async function importModels(store: StoreTx, file: string, onIssue: (i: InputIssue) => void): Promise<ModelImportResult> {
  const result = readModels(file, onIssue);
  await store.fleet.upsertModels(result.models);
  return result;
}

function valueAt(v: unknown, path: readonly PropertyKey[]): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}
