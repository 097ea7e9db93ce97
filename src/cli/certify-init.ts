/**
 * `longwatch certify init --model M --standard S`: writes the answers skeleton. A new file gets a header and the
 * standard's section; an existing file of the same model gets the section appended (its answers and comments stay
 * as they are). A section that is already there is never overwritten.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { allRules } from "../audit/rules/index.ts";
import { answersPathFor } from "../certify/answers-files.ts";
import { catalogues } from "../certify/catalogue.ts";
import { parseAnswers } from "../certify/questionnaire.ts";
import { rulesByProvision } from "../certify/rule-map.ts";
import { skeletonHeader, skeletonSection } from "../certify/skeleton.ts";
import type { DeviceModel } from "../core/fleet.ts";
import { answersLocation, openStore, resolveCatalogue } from "./certify-shared.ts";
import { type CliContext, UsageError } from "./context.ts";

interface InitFlags {
  model: string;
  standard?: string;
  version?: string;
  answers?: string;
  print?: boolean;
}

export function registerCertifyInit(certify: Command, ctx: CliContext): void {
  certify
    .command("init")
    .description("write the answers file for a model: every question Longwatch cannot answer from the fleet, explained")
    .requiredOption("--model <model>", "device model the answers are for")
    .option("--standard <standard>", "the standard to add questions for")
    .option("--version <version>", "version of the standard (ETSI EN 303 645: 3.1.3 or 2.1.1)")
    .option("--answers <path>", "answers folder or file", "certify")
    .option("--print", "print the skeleton instead of writing it")
    .action(async (o: InitFlags, cmd: Command) => {
      const catalogue = resolveCatalogue(o.standard, o.version);
      const model = await findModel(cmd, ctx, o.model);
      const section = skeletonSection(catalogue, { modelId: o.model, ...(model ? { model } : {}), rules: rulesByProvision(catalogue, allRules) });
      const versionFlag = catalogues().versions(catalogue.cli).length > 1 ? ` --version ${catalogue.version}` : "";
      if (o.print) {
        ctx.out(skeletonHeader(o.model, catalogue.cli, versionFlag) + section);
        return;
      }
      const file = answersPathFor(answersLocation(ctx, o.answers), o.model);
      if (!existsSync(file)) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, skeletonHeader(o.model, catalogue.cli, versionFlag) + "\n" + section);
      } else {
        const text = readFileSync(file, "utf8");
        const { answers } = parseAnswers(text, file, catalogues());
        if (answers.model !== undefined && answers.model !== o.model) throw new UsageError(`${file} is the answers file of model "${answers.model}", not "${o.model}"`);
        if (answers.sections.has(catalogue.key) || new RegExp(`^${catalogue.key.replace(/\./g, "\\.")}:`, "m").test(text)) {
          throw new UsageError(`${file} already has a ${catalogue.key} section; edit it there (Longwatch never overwrites answers)`);
        }
        writeFileSync(file, `${text}${text.endsWith("\n") ? "" : "\n"}\n${section}`);
      }
      const c = ctx.colors();
      const questions = catalogue.provisions.length + [...catalogue.conditions.values()].filter((x) => !x.per_provision).length;
      ctx.out(`Wrote ${questions} questions for ${catalogue.key} to ${c.bold(file)}.`);
      if (!model) ctx.out(c.yellow(`Model ${o.model} is not in the store yet, so nothing could be filled in from fleet data.`));
      ctx.out(`Fill it in (every question is explained in the file), then run: longwatch certify --standard ${catalogue.cli}${versionFlag} --model ${o.model}`);
    });
}

async function findModel(cmd: Command, ctx: CliContext, modelId: string): Promise<DeviceModel | undefined> {
  const store = await openStore(cmd, ctx, false);
  if (!store) return undefined;
  try {
    return (await store.fleet.models()).find((m) => m.model_id === modelId);
  } finally {
    await store.close();
  }
}
