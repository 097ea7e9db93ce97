/**
 * `longwatch certify --standard S [--model M …]`: self-assessment of device models against a standard, as a terminal
 * summary, JSON, HTML or PDF. Subcommands: `init` (answers skeleton), `matrix` (models × standards), `diff` (two
 * assessments), `catalogue` (a standard's provisions).
 */
import { writeOutputFile } from "./output.ts";
import { resolve } from "node:path";
import { Option } from "commander";
import type { Assessment } from "../certify/assessment.ts";
import { existsSync } from "node:fs";
import { answersPathFor } from "../certify/answers-files.ts";
import { catalogues } from "../certify/catalogue.ts";
import { assessModels, modelIds } from "../certify/run.ts";
import { EXIT } from "../core/exit-codes.ts";
import { renderAssessmentsHtml } from "../report/certify-html.ts";
import { paintVerdict, percent, renderAssessmentText, standardName } from "../report/certify-text.ts";
import { htmlToPdf } from "../report/pdf.ts";
import { renderTable } from "../report/table.ts";
import { answersToRead, certifyEnv, openStore, reportIssues, resolveCatalogue } from "./certify-shared.ts";
import { registerCertifyInit } from "./certify-init.ts";
import { registerCertifyTools } from "./certify-tools.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";

interface CertifyFlags {
  standard?: string;
  version?: string;
  model?: string[];
  productLine?: string;
  answers?: string;
  format: "table" | "json" | "html" | "pdf";
  out?: string;
  details?: boolean;
  now?: string;
  save: boolean;
  failOn?: "mandatory" | "any";
}

export const certifyCommand: CommandModule = {
  register(program, ctx) {
    // `certify` itself only groups: its default subcommand `assess` takes the flags, so that `certify --standard S`
    // and `certify init --standard S` can both have --standard and --model (commander gives a parent's options
    // precedence over its subcommands' wherever they appear).
    const certify = program
      .command("certify")
      .description("self-assess device models against a standard (ETSI EN 303 645, UK PSTI, EU CRA, NISTIR 8259A, OWASP IoT)")
      .addHelpText("after", "\nWithout a subcommand, `assess` runs: longwatch certify --standard S [--model M] [--format json|html|pdf --out FILE]");
    certify
      .command("assess", { isDefault: true })
      .description("assess device models against a standard, with evidence from the fleet and your answers")
      .option("--standard <standard>", "the standard: etsi-en-303-645 (--version 3.1.3 | 2.1.1), uk-psti, eu-cra, nistir-8259a, owasp-iot-2018, gdpr")
      .option("--version <version>", "version of the standard (ETSI EN 303 645: 3.1.3 or 2.1.1)")
      .option("--model <model...>", "device model(s) to assess (default: every model)")
      .option("--product-line <name>", "assess the --model models together as one product line with this name (answers in <name>.yaml)")
      .option("--answers <path>", "answers folder (one <model>.yaml each) or one answers file", "certify")
      .addOption(new Option("--format <format>", "output format").choices(["table", "json", "html", "pdf"]).default("table"))
      .option("--out <file>", "write the report to this file (required for pdf)")
      .option("--details", "list every provision with its verdict (table format)")
      .option("--now <date>", "assessment date (ISO 8601) for reproducible reports; default now")
      .option("--no-save", "do not keep this assessment in the store (for later diffs)")
      .addOption(new Option("--fail-on <what>", "exit with code 4 when a mandatory provision (or any provision) fails").choices(["mandatory", "any"]))
      .action(async (o: CertifyFlags, cmd) => runCertify(o, ctx, cmd));
    registerCertifyInit(certify, ctx);
    registerCertifyTools(certify, ctx);
  },
};

async function runCertify(o: CertifyFlags, ctx: CliContext, cmd: Parameters<typeof openStore>[0]): Promise<void> {
  const catalogue = resolveCatalogue(o.standard, o.version);
  if (o.format === "pdf" && o.out === undefined) throw new UsageError("--format pdf needs --out FILE");
  if (o.productLine !== undefined && !o.model?.length) throw new UsageError("--product-line needs the models it is made of: --model A B …");
  const now = ctx.now(o.now);
  const answers = answersToRead(ctx, o.answers);
  const store = (await openStore(cmd, ctx))!;
  try {
    if (o.productLine !== undefined && (await store.fleet.models()).some((m) => m.model_id === o.productLine)) {
      throw new UsageError(`--product-line "${o.productLine}" is already a device model id; give the line a name of its own`);
    }
    const run = await assessModels(certifyEnv(store, ctx, answers, now), catalogue, o.model, o.productLine);
    // A model nothing is known of (a typo, or models never imported) would be assessed as all "not assessed": an error.
    const unknown = run.unknownModels.filter((m) => !existsSync(answersPathFor(answers, m)));
    if (unknown.length) {
      const known = modelIds(run.evidence).filter((m) => m !== o.productLine);
      throw new UsageError(
        `--model ${unknown.map((m) => `"${m}"`).join(", ")}: not in the store (no model record, no devices) and no answers file; ${known.length ? `known models: ${known.slice(0, 10).join(", ")}${known.length > 10 ? " …" : ""}` : "the store holds no models"} (import models with scan --models, or write answers with certify init --model)`,
      );
    }
    reportIssues(ctx, run.issues);
    for (const m of run.unknownModels) ctx.err(`warning: model "${m}" is not in the store (no model record, no devices); it is assessed from answers only`);
    if (!run.assessments.length) {
      ctx.err("No device models to assess: import models and an inventory first (or name one with --model).");
      ctx.exit(EXIT.error);
      return;
    }
    const saved: number[] = [];
    if (o.save) for (const a of run.assessments) saved.push(await store.assessments.save({ model_id: a.subject.model_id, standard: a.standard.key, created_at: a.generated_at, doc: a }));
    await write(o, ctx, run.assessments);
    if (saved.length && o.format === "table") ctx.out(ctx.colors().dim(`\nSaved as assessment${saved.length === 1 ? "" : "s"} #${saved.join(", #")}; \`longwatch certify diff --model ${run.assessments.length === 1 ? run.assessments[0]!.subject.model_id : "MODEL"} --standard ${catalogue.cli}${catalogue.isDefault || catalogues().versions(catalogue.cli).length === 1 ? "" : ` --version ${catalogue.version}`}\` compares the last two.`));
    if (o.failOn !== undefined && run.assessments.some((a) => (o.failOn === "any" ? a.summary.fail : a.summary.mandatory.fail) > 0)) ctx.exit(EXIT.threshold);
  } finally {
    await store.close();
  }
}

async function write(o: CertifyFlags, ctx: CliContext, assessments: Assessment[]): Promise<void> {
  const target = o.out !== undefined ? resolve(ctx.io.cwd, o.out) : undefined;
  const emit = (text: string) => {
    if (target !== undefined) {
      writeOutputFile(target, text);
      ctx.err(`wrote ${target}`);
    } else ctx.out(text);
  };
  if (o.format === "json") {
    const doc = assessments.length === 1 ? assessments[0] : { schema: "longwatch/certify-assessments@1", assessments };
    emit(`${JSON.stringify(doc, null, 2)}\n`);
  } else if (o.format === "html") {
    emit(renderAssessmentsHtml(assessments));
  } else if (o.format === "pdf") {
    const first = assessments[0]!;
    const res = await htmlToPdf(renderAssessmentsHtml(assessments), { env: ctx.io.env, footer: `${standardName(first)} self-assessment · ${assessments.length === 1 ? first.subject.model_id : `${assessments.length} models`} · Longwatch` });
    if (!res.ok) {
      ctx.err(`longwatch: ${res.message}`);
      ctx.exit(EXIT.error);
      return;
    }
    writeOutputFile(target!, res.pdf);
    ctx.err(`wrote ${target} (${res.pdf.length} bytes, rendered in ${res.ms} ms)`);
  } else {
    const c = ctx.colors();
    if (assessments.length === 1) emit(renderAssessmentText(assessments[0]!, c, { details: o.details === true }));
    else emit(overview(assessments, ctx));
  }
}

/** Several models at once: one line each, with the step that matters most; --model shows the full assessment. */
function overview(assessments: readonly Assessment[], ctx: CliContext): string {
  const c = ctx.colors();
  const first = assessments[0]!;
  const rows = assessments.map((a) => [
    a.subject.model_id,
    String(a.subject.devices),
    percent(a.summary.pass_rate),
    a.summary.fail ? paintVerdict("fail", c, String(a.summary.fail)) : "0",
    a.summary.mandatory.fail ? paintVerdict("fail", c, String(a.summary.mandatory.fail)) : "0",
    String(a.summary.inconclusive + a.summary.not_assessed),
    a.next_steps[0]?.title ?? "",
  ]);
  return [
    c.bold(`${standardName(first)} — self-assessment of ${assessments.length} models`),
    "",
    renderTable(["MODEL", "DEVICES", "PASS RATE", "FAIL", "MANDATORY FAIL", "OPEN", "MOST IMPORTANT NEXT STEP"], rows, { maxWidth: 24, align: ["left", "right", "right", "right", "right", "right"] }),
    "",
    c.dim(`Details and the three next steps of a model: longwatch certify --standard ${first.standard.cli} --model <MODEL>`),
  ].join("\n");
}
