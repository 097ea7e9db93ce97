/**
 * The shape of a standard catalogue file (data/standards/*.yaml). The files are product data: maintainers edit them,
 * so the schema is strict (a misspelt key is an error, not silently ignored) and errors carry line numbers.
 */
import { z } from "zod";
import { STANDARD_IDS } from "../core/standards.ts";

const text = z.string().trim().min(1);

/** Fleet fields a condition can be read from, and what each boolean value means for the condition. */
export const DERIVABLE_FIELDS = ["ota_capable", "constrained"] as const;
const conditionState = z.enum(["holds", "does-not-hold"]);

export const ConditionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/, "ids are lower-case words joined by -"),
    label: text,
    text,
    question: text,
    /** Answered per provision (EU CRA's "where applicable"), not once for the whole model. */
    per_provision: z.boolean().optional(),
    derive: z.object({ field: z.enum(DERIVABLE_FIELDS), true: conditionState.optional(), false: conditionState.optional() }).strict().optional(),
  })
  .strict();

const DeemedRouteSchema = z
  .object({
    route: text,
    catalogue: text.optional(),
    provisions: z.array(text).optional(),
    legal_ref: text.optional(),
    /** A route through a document Longwatch has no catalogue for (e.g. ISO/IEC 29147): shown, never evaluated. */
    external: z.boolean().optional(),
    verified: z.boolean().default(true),
    note: text.optional(),
  })
  .strict();

/** `needs` names fleet fields (`device.open_services`, `model.support_end`) a clean rule result only counts with. */
const ObservedBySchema = z
  .object({ rule: text, needs: z.array(z.string().regex(/^(device|model)\.[a-z_]+$/, "is not device.<field> or model.<field>")).default([]) })
  .strict();

export const ProvisionSchema = z
  .object({
    id: text,
    status: z.enum(["M", "R"]),
    applies_if: z.array(text).default([]),
    title: text.optional(),
    guidance: text.optional(),
    /** `unverified`: the id and status are right but the text could not be checked; `secondary`: paraphrased from secondary sources. */
    wording: z.enum(["unverified", "secondary"]).optional(),
    status_verified: z.boolean().default(true),
    status_note: text.optional(),
    legal_ref: text.optional(),
    part: text.optional(),
    /** For a catalogue with `rule_refs_via`: the ids in that catalogue this provision corresponds to. */
    v3: z.array(text).optional(),
    deemed_compliance: z.array(DeemedRouteSchema).default([]),
    observed_by: z.array(ObservedBySchema).default([]),
  })
  .strict();

const DatedSchema = z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), what: text }).strict();

const ReportingSchema = z
  .object({
    channel: text,
    deadlines: z.array(
      z.object({ trigger: text, steps: z.array(z.object({ within: text, after: text, what: text }).strict()).min(1) }).strict(),
    ),
    users: text.optional(),
  })
  .strict();

const ChecklistSchema = z.object({ note: text.optional(), items: z.array(z.object({ id: text, text }).strict()).min(1) }).strict();

export const CatalogueSchema = z
  .object({
    standard: z.enum(STANDARD_IDS),
    key: z.string().regex(/^[a-z0-9.-]+$/),
    cli: z.string().regex(/^[a-z0-9-]+$/),
    version: text,
    default: z.boolean().optional(),
    title: text,
    published: z.union([text, z.number()]).transform(String),
    source: z.url(),
    about: text,
    /** Audit rules reference this other catalogue's ids; provisions map to them through `v3`. */
    rule_refs_via: text.optional(),
    clauses: z.array(z.object({ id: text, title: text }).strict()).default([]),
    dates: z.array(DatedSchema).default([]),
    reporting: ReportingSchema.optional(),
    support_period: z.array(text).optional(),
    technical_documentation: ChecklistSchema.optional(),
    statement_of_compliance: z.object({ verified: z.boolean(), note: text, items: z.array(text).min(1) }).strict().optional(),
    conditions: z.array(ConditionSchema).default([]),
    provisions: z.array(ProvisionSchema).min(1),
  })
  .strict();

export type CatalogueFile = z.infer<typeof CatalogueSchema>;
export type ConditionFile = z.infer<typeof ConditionSchema>;
export type ProvisionFile = z.infer<typeof ProvisionSchema>;
export type DeemedRoute = z.infer<typeof DeemedRouteSchema>;
export type ObservedBy = z.infer<typeof ObservedBySchema>;
