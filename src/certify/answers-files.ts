/**
 * Where answers files live: one YAML file per model in an answers folder (default ./certify), named after the model
 * id, or a single file given directly. Reading them reports every problem with its position and goes on with the
 * valid entries.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { CatalogueSet } from "./catalogue.ts";
import { parseAnswers, type Answers } from "./questionnaire.ts";
import type { SourceIssue } from "./yaml-source.ts";

export const DEFAULT_ANSWERS_DIR = "certify";

/** A file name for a model id: anything outside letters, digits, dot, dash and underscore becomes "_". */
export function answersFileName(modelId: string): string {
  return `${modelId.replace(/[^A-Za-z0-9._-]/g, "_")}.yaml`;
}

export function answersPathFor(location: string, modelId: string): string {
  if (isFile(location)) return location; // a file given directly, whatever its name ends with
  return isDirectory(location) || !namesAnswersFile(location) ? join(location, answersFileName(modelId)) : location;
}

/** Whether a location that does not exist yet names one answers file (`x.yaml`, `x.yml`) rather than a folder. */
export function namesAnswersFile(location: string): boolean {
  return /\.ya?ml$/i.test(location);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A path as people should read it in reports and messages: relative to `base` when it lies inside it. */
export function displayPath(path: string, base: string | undefined): string {
  if (base === undefined) return path;
  const rel = relative(base, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

export interface LoadedAnswers {
  answers?: Answers;
  issues: SourceIssue[];
  /** Entries left out because they were invalid. */
  rejected: number;
}

/**
 * The answers for a model, or none when its file does not exist. A file given directly that names a different model
 * is an error (it would otherwise silently assess one model with another's answers).
 */
export function loadAnswers(location: string, modelId: string, set: CatalogueSet, base?: string): LoadedAnswers {
  const path = answersPathFor(location, modelId);
  if (!existsSync(path)) return { issues: [], rejected: 0 };
  const file = displayPath(path, base);
  const { answers, issues } = parseAnswers(readFileSync(path, "utf8"), file, set);
  if (answers.model !== undefined && answers.model !== modelId) {
    issues.push({
      file,
      line: answers.modelLine ?? 1,
      column: 1,
      severity: "error",
      message: `this file answers for model "${answers.model}", not "${modelId}"; its answers were not used`,
    });
    return { issues, rejected: issues.filter((i) => i.severity === "error").length };
  }
  return { answers, issues, rejected: issues.filter((i) => i.severity === "error").length };
}
