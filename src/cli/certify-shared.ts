/** What the `certify` subcommands share: resolving the standard, paths, the store and the assessment environment. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { allRules } from "../audit/rules/index.ts";
import { detectorRules } from "../certify/detection-evidence.ts";
import { allDetectors } from "../detect/detectors/index.ts";
import { DEFAULT_ANSWERS_DIR, namesAnswersFile } from "../certify/answers-files.ts";
import { catalogues, type Catalogue } from "../certify/catalogue.ts";
import type { CertifyEnv } from "../certify/run.ts";
import { formatIssue, type SourceIssue } from "../certify/yaml-source.ts";
import { LongwatchError } from "../core/errors.ts";
import { EXIT } from "../core/exit-codes.ts";
import type { Store } from "../store/store.ts";
import { type CliContext, UsageError } from "./context.ts";
import { openCliStore, storeChoice } from "./store.ts";
import { VERSION } from "./version.ts";

export function standardChoices(): string {
  const set = catalogues();
  return set
    .standards()
    .map((cli) => {
      const v = set.versions(cli);
      return v.length > 1 ? `${cli} (--version ${v.join(" | ")}; default ${set.find(cli)!.version})` : cli;
    })
    .join(", ");
}

export function resolveCatalogue(standard: string | undefined, version: string | undefined): Catalogue {
  const set = catalogues();
  if (standard === undefined) throw new UsageError(`--standard is required: one of ${standardChoices()}`);
  if (!set.standards().includes(standard)) throw new UsageError(`unknown standard "${standard}": use one of ${standardChoices()}`);
  const c = set.find(standard, version);
  if (!c) throw new UsageError(`${standard} has no version "${version}": use ${set.versions(standard).join(" or ")}`);
  return c;
}

/** Opens the store; with `mustExist`, a missing store is a usage error that says what to run first. */
export async function openStore(cmd: Command, ctx: CliContext, mustExist = true): Promise<Store | undefined> {
  const { url } = storeChoice(cmd, ctx);
  const store = await openCliStore(ctx, url, { mustExist: true });
  if (!store && mustExist) throw new UsageError(`no Longwatch store at ${url}: import an inventory and run \`longwatch scan\` first (or pass --store / --data)`);
  return store;
}

export function answersLocation(ctx: CliContext, given: string | undefined): string {
  return resolve(ctx.io.cwd, given ?? DEFAULT_ANSWERS_DIR);
}

/**
 * The answers to read. A folder that does not exist holds no answers yet (questions stay "not assessed"), but an
 * answers file named that does not exist is a missing file like any other (exit 1), not an assessment without answers.
 */
export function answersToRead(ctx: CliContext, given: string | undefined): string {
  const location = answersLocation(ctx, given);
  if (given !== undefined && namesAnswersFile(location) && !existsSync(location)) throw new LongwatchError("file_not_found", `${given}: no such file`, { file: location });
  return location;
}

export function certifyEnv(store: Store, ctx: CliContext, answers: string, now: number): CertifyEnv {
  return { store, set: catalogues(), rules: [...allRules, ...detectorRules(allDetectors)], detectors: allDetectors, answers, now, version: VERSION, cwd: ctx.io.cwd };
}

/** Prints answers-file problems to stderr (file:line:column) and sets exit code 3 when entries were left out. */
export function reportIssues(ctx: CliContext, issues: readonly SourceIssue[]): void {
  if (!issues.length) return;
  const c = ctx.colors("stderr");
  for (const i of issues) ctx.err(i.severity === "error" ? c.red(formatIssue(i)) : c.yellow(formatIssue(i)));
  const errors = issues.filter((i) => i.severity === "error").length;
  if (errors) {
    ctx.err(`${errors} answer${errors === 1 ? " was" : "s were"} left out because of the errors above; the rest was used.`);
    ctx.exit(EXIT.rejected);
  }
}
