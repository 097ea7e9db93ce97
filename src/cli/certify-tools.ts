/** `certify matrix`, `certify diff` and `certify catalogue`. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { allRules } from "../audit/rules/index.ts";
import type { Assessment } from "../certify/assessment.ts";
import { assessmentProblem, diffAssessments } from "../certify/diff.ts";
import { fleetMatrix } from "../certify/run.ts";
import { parseJsonText } from "../formats/json-path.ts";
import { rulesByProvision } from "../certify/rule-map.ts";
import { renderDiffText, renderMatrixText } from "../report/certify-text.ts";
import { renderTable } from "../report/table.ts";
import { answersToRead, certifyEnv, openStore, reportIssues, resolveCatalogue } from "./certify-shared.ts";
import { type CliContext, UsageError } from "./context.ts";

export function registerCertifyTools(certify: Command, ctx: CliContext): void {
  certify
    .command("matrix")
    .description("every device model against every standard, with pass rates")
    .option("--answers <path>", "answers folder", "certify")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .option("--now <date>", "assessment date (ISO 8601)")
    .action(async (o: { answers?: string; format: string; now?: string }, cmd: Command) => {
      const store = (await openStore(cmd, ctx))!;
      try {
        const { matrix, issues } = await fleetMatrix(certifyEnv(store, ctx, answersToRead(ctx, o.answers), ctx.now(o.now)));
        reportIssues(ctx, issues);
        ctx.out(o.format === "json" ? JSON.stringify(matrix, null, 2) : renderMatrixText(matrix, ctx.colors()));
      } finally {
        await store.close();
      }
    });

  certify
    .command("diff")
    .description("what changed between two assessments (JSON files or saved ones: #12); default the last two saved")
    .argument("[before]", "older assessment: a JSON file from --format json, or #id of a saved one")
    .argument("[after]", "newer assessment")
    .option("--model <model>", "with no arguments: the model whose last two saved assessments to compare")
    .option("--standard <standard>", "with no arguments: the standard")
    .option("--version <version>", "version of the standard")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action(async (before: string | undefined, after: string | undefined, o: { model?: string; standard?: string; version?: string; format: string }, cmd: Command) => {
      if ((before === undefined) !== (after === undefined)) throw new UsageError("give two assessments to compare, or none (with --model and --standard)");
      const store = await openStore(cmd, ctx, before === undefined || before.startsWith("#") || after!.startsWith("#"));
      try {
        let pair: [Assessment, Assessment];
        if (before === undefined) {
          if (o.model === undefined) throw new UsageError("--model and --standard say which saved assessments to compare");
          const key = resolveCatalogue(o.standard, o.version).key;
          const last = await store!.assessments.list({ model_id: o.model, standard: key, limit: 2 });
          if (last.length < 2) throw new UsageError(`fewer than two saved ${key} assessments of ${o.model}: run \`longwatch certify\` again after changes`);
          pair = [await loadSaved(store!, last[1]!.id), await loadSaved(store!, last[0]!.id)];
        } else {
          pair = [await load(before, ctx, store, o.model), await load(after!, ctx, store, o.model)];
        }
        const d = diffAssessments(pair[0], pair[1]);
        ctx.out(o.format === "json" ? JSON.stringify(d, null, 2) : renderDiffText(d, ctx.colors()));
      } finally {
        await store?.close();
      }
    });

  certify
    .command("catalogue")
    .description("list a standard's provisions: id, status, title and the audit rules that give evidence on each")
    .option("--standard <standard>", "the standard")
    .option("--version <version>", "version of the standard")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action((o: { standard?: string; version?: string; format: string }) => {
      const c = resolveCatalogue(o.standard, o.version);
      const rules = rulesByProvision(c, allRules);
      const rows = c.provisions.map((p) => ({
        id: p.id,
        ref: p.ref,
        status: p.notation,
        mandatory: p.mandatory,
        title: p.title,
        guidance: p.guidance,
        conditions: p.appliesIf.map((x) => ({ id: x.id, label: x.label, text: x.text })),
        rules: rules.get(p.id) ?? [],
        observed_by: p.observedBy,
        ...(p.wording !== undefined ? { wording: p.wording } : {}),
      }));
      if (o.format === "json") {
        ctx.out(JSON.stringify({ standard: c.standard, key: c.key, version: c.version, title: c.title, source: c.source, provisions: rows }, null, 2));
        return;
      }
      const m = rows.filter((r) => r.mandatory).length;
      ctx.out(`${ctx.colors().bold(c.title)} (${c.version}): ${rows.length} provisions, ${m} mandatory, ${rows.length - m} recommended`);
      ctx.out(renderTable(["ID", "STATUS", "RULES", "TITLE"], rows.map((r) => [r.id, r.status, r.rules.join(" "), r.title]), { maxWidth: 36 }));
    });
}

async function loadSaved(store: NonNullable<Awaited<ReturnType<typeof openStore>>>, id: number): Promise<Assessment> {
  const s = await store.assessments.get(id);
  if (!s) throw new UsageError(`no saved assessment #${id}`);
  return s.doc as Assessment;
}

async function load(ref: string, ctx: CliContext, store: Awaited<ReturnType<typeof openStore>>, model: string | undefined): Promise<Assessment> {
  if (/^#\d+$/.test(ref)) return loadSaved(store!, Number(ref.slice(1)));
  const file = resolve(ctx.io.cwd, ref);
  // A file that cannot be read reads as in every command (`PATH: no such file`, exit 1); one that is not JSON is
  // named with the line and column, never quoted.
  const read = parseJsonText(readFileSync(file, "utf8"));
  if (!read.ok) throw new UsageError(`${file}:${read.line}:${read.column}: ${read.reason}`);
  let doc: unknown = read.value;
  // A multi-model JSON (certify without --model) holds several; --model picks one.
  const multi = doc as { assessments?: unknown[] };
  if (Array.isArray(multi.assessments)) {
    const pick = multi.assessments.find((a) => (a as Assessment).subject?.model_id === model);
    if (pick === undefined) throw new UsageError(`${file} holds ${multi.assessments.length} assessments: say which model with --model`);
    doc = pick;
  }
  const problem = assessmentProblem(doc);
  if (problem !== undefined) throw new UsageError(`${file}: ${problem}`);
  return doc as Assessment;
}
