/**
 * Runs assessments against a store: gathers fleet evidence once, loads each model's answers and assesses it against
 * one catalogue (or, for the matrix, against the default version of every standard).
 */
import { assess, type RuleInfo } from "./assess.ts";
import type { Assessment } from "./assessment.ts";
import { loadAnswers } from "./answers-files.ts";
import type { Catalogue, CatalogueSet } from "./catalogue.ts";
import { addDetectionEvidence, type DetectorInfo } from "./detection-evidence.ts";
import { gatherEvidence as gatherScanEvidence, productLine, type FleetEvidence } from "./evidence.ts";
import { buildMatrix, type FleetMatrix } from "./matrix.ts";
import type { StoreTx } from "../store/store.ts";
import type { SourceIssue } from "./yaml-source.ts";

export interface CertifyEnv {
  store: StoreTx;
  set: CatalogueSet;
  rules: readonly RuleInfo[];
  /** Answers folder (one file per model) or a single answers file. */
  answers: string;
  /** Paths under this folder are shown relative to it (the user's working directory). */
  cwd?: string;
  now: number;
  version: string;
  /** Detectors whose unresolved alerts are evidence too (their metadata; see detection-evidence.ts). */
  detectors?: readonly DetectorInfo[];
}

/** Scan findings, then detection alerts and watched flows, in one pass over the store. */
async function gatherEvidence(env: CertifyEnv): Promise<FleetEvidence> {
  const evidence = await gatherScanEvidence(env.store);
  if (env.detectors?.length) await addDetectionEvidence(env.store, evidence, env.detectors, env.now);
  return evidence;
}

export interface AssessRun {
  assessments: Assessment[];
  issues: SourceIssue[];
  /** Models asked for that the store knows nothing about. */
  unknownModels: string[];
  evidence: FleetEvidence;
}

/** Models worth assessing: those with a model record or with devices in the inventory. */
export function modelIds(evidence: FleetEvidence): string[] {
  return [...evidence.models.values()].filter((m) => m.model !== undefined || m.devices > 0).map((m) => m.model_id).sort();
}

/**
 * Assesses the given models (all when none), each on its own; with `line`, the models together as one product line
 * named `line` (its answers file is `<line>.yaml`).
 */
export async function assessModels(env: CertifyEnv, catalogue: Catalogue, models?: readonly string[], line?: string): Promise<AssessRun> {
  const evidence = await gatherEvidence(env);
  if (line !== undefined) {
    const unknownModels = (models ?? []).filter((id) => !evidence.models.has(id));
    evidence.models.set(line, productLine(evidence, line, models ?? []));
    const run = await assessWith(env, catalogue, evidence, [line]);
    for (const a of run.assessments) a.subject.models = [...(models ?? [])];
    return { ...run, unknownModels };
  }
  const ids = models?.length ? [...models] : modelIds(evidence);
  const run = await assessWith(env, catalogue, evidence, ids);
  return { ...run, unknownModels: ids.filter((id) => !evidence.models.has(id)) };
}

async function assessWith(env: CertifyEnv, catalogue: Catalogue, evidence: FleetEvidence, ids: readonly string[]): Promise<AssessRun> {
  const issues: SourceIssue[] = [];
  const assessments = ids.map((modelId) => {
    const loaded = loadAnswers(env.answers, modelId, env.set, env.cwd);
    issues.push(...loaded.issues);
    return assess({
      catalogue,
      set: env.set,
      rules: env.rules,
      evidence,
      modelId,
      ...(loaded.answers ? { answers: loaded.answers } : {}),
      rejectedAnswers: loaded.rejected,
      now: env.now,
      version: env.version,
    });
  });
  return { assessments, issues, unknownModels: [], evidence };
}

export async function fleetMatrix(env: CertifyEnv): Promise<{ matrix: FleetMatrix; issues: SourceIssue[] }> {
  const evidence = await gatherEvidence(env);
  const catalogues = env.set.standards().map((cli) => env.set.find(cli)!);
  const issues: SourceIssue[] = [];
  const assessments: Assessment[] = [];
  for (const modelId of modelIds(evidence)) {
    const loaded = loadAnswers(env.answers, modelId, env.set, env.cwd);
    issues.push(...loaded.issues);
    for (const catalogue of catalogues) {
      assessments.push(
        assess({ catalogue, set: env.set, rules: env.rules, evidence, modelId, ...(loaded.answers ? { answers: loaded.answers } : {}), rejectedAnswers: loaded.rejected, now: env.now, version: env.version }),
      );
    }
  }
  return { matrix: buildMatrix(assessments, new Date(env.now).toISOString()), issues };
}
