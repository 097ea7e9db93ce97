/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas the server validates with (so the
 * document and the code cannot disagree). Schemas given a `.meta({ id })` become shared components. docs/openapi.json
 * is this document, committed and linted (`npm run lint`), and a test fails when it drifts from the code.
 */
import { z } from "zod";
import { ERROR_CODES } from "../../core/errors.ts";
import { ROLES } from "../../core/roles.ts";
import { PROBLEM_TYPE_BASE } from "./problem.ts";
import type { Route } from "./route.ts";

const Problem = z
  .object({
    type: z.string().describe(`${PROBLEM_TYPE_BASE}<code>`),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERROR_CODES) as [string, ...string[]]).describe("The same code the CLI exits with (core/errors.ts)."),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), code: z.string().optional(), detail: z.string() })).optional().describe("Each invalid field."),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details." });

const TAGS: Record<string, string> = {
  operations: "Health, readiness and metrics",
  meta: "The API itself and who is calling",
  session: "Dashboard sign-in",
  tokens: "API tokens (admin)",
  devices: "The fleet's devices",
  models: "Device models",
  alerts: "Detection alerts and their lifecycle",
  findings: "The latest scan's findings",
  suppressions: "Accepted findings and silenced detectors",
  scans: "Scans as jobs, and their outcome",
  forecast: "The fleet's lifecycle, year by year",
  assessments: "Self-certification assessments",
  vulnerabilities: "SBOMs, advisories and feeds",
  audit: "The audit log of changes",
  records: "Live ingest of detection records",
  respond: "Response actions with four eyes, dry runs, verification and a hash-chained log (responder)",
  whatif: "What if a key, credential, firmware, component or endpoint is compromised (responder)",
  overview: "The fleet at a glance, with what Longwatch cannot see (coverage)",
  events: "Live updates as server-sent events",
};

interface Collected {
  schemas: Record<string, unknown>;
}

/** A JSON Schema of a zod schema, with shared components moved to #/components/schemas. */
function schemaOf(s: z.ZodType, io: "input" | "output", into: Collected): Record<string, unknown> {
  const generated = z.toJSONSchema(s, { target: "draft-2020-12", io, unrepresentable: "any" });
  const json = JSON.parse(JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/')) as Record<string, unknown>;
  const defs = (json.$defs ?? {}) as Record<string, Record<string, unknown>>;
  delete json.$defs;
  delete json.$schema;
  for (const [id, d] of Object.entries(defs)) {
    delete d.$schema;
    into.schemas[id] ??= d;
  }
  // A schema with an id of its own comes back as its definition; keep a reference to the component instead.
  const id = (z.globalRegistry.get(s) as { id?: string } | undefined)?.id;
  if (id) {
    delete json.id;
    into.schemas[id] ??= json;
    return { $ref: `#/components/schemas/${id}` };
  }
  return json;
}

function parametersOf(r: Route, into: Collected): unknown[] {
  const out: unknown[] = [];
  for (const [where, s] of [["path", r.params], ["query", r.query]] as const) {
    if (!s) continue;
    const json = schemaOf(s, "input", into) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    for (const [name, p] of Object.entries(json.properties ?? {})) {
      const { description, ...schema } = p;
      out.push({ name, in: where, required: where === "path" || (json.required ?? []).includes(name) && !("default" in p), ...(description ? { description } : {}), schema });
    }
  }
  return out;
}

export function openApiDocument(routes: readonly Route[], version: string): Record<string, unknown> {
  const into: Collected = { schemas: {} };
  const paths: Record<string, Record<string, unknown>> = {};
  const problem = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    const ok = String(r.status ?? 200);
    if ("mediaType" in r.response) responses[ok] = { description: "OK", content: { [r.response.mediaType]: { schema: { type: "string" } } } };
    else if (ok === "204") responses[ok] = { description: "Done; no content" };
    else {
      const content: Record<string, unknown> = { "application/json": { schema: schemaOf(r.response, "output", into) } };
      for (const t of r.alsoProduces ?? []) content[t] = { schema: { type: "string" } };
      responses[ok] = { description: "OK", content };
    }
    responses["400"] = { description: "Bad request (a parameter is invalid)", content: problem };
    if (r.role !== "public") {
      responses["401"] = { description: "No credentials, or a revoked, expired or unknown token", content: problem };
      responses["403"] = { description: `Needs the ${r.role} role (or the CSRF token, with the session cookie)`, content: problem };
    }
    if (r.path.includes("{")) responses["404"] = { description: "Not found", content: problem };
    if (r.body && !("raw" in r.body)) responses["422"] = { description: "The body is invalid", content: problem };
    if (r.id === "session.create") responses["429"] = { description: "Too many failed sign-ins; see Retry-After", content: problem };
    responses["500"] = { description: "Internal error", content: problem };
    const op: Record<string, unknown> = {
      operationId: r.id,
      tags: [r.tag],
      summary: r.summary,
      description: `${r.description ? `${r.description}\n\n` : ""}Role: ${r.role === "public" ? "none (no credentials needed)" : `${r.role} or above`}.`,
      ...(r.role === "public" ? { security: [] } : {}),
      parameters: parametersOf(r, into),
      responses,
    };
    if (r.body) {
      op.requestBody = "raw" in r.body
        ? { required: true, content: Object.fromEntries(r.body.raw.map((t) => [t, { schema: { type: "string" } }])) }
        : { required: true, content: { "application/json": { schema: schemaOf(r.body, "input", into) } } };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  schemaOf(Problem, "output", into);
  const used = new Set(routes.map((r) => r.tag));
  return {
    openapi: "3.1.0",
    info: {
      title: "Longwatch API",
      version,
      description: `The HTTP API of \`longwatch serve\`. Every operation needs a token (\`Authorization: Bearer lw_…\`) or the dashboard's session cookie, except /healthz, /readyz and signing in. Roles, each including the ones before it: ${ROLES.join(", ")}. Errors are RFC 9457 problem documents carrying Longwatch's error code.`,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
      contact: { name: "Longwatch", url: "https://longwatch.dev" },
    },
    servers: [{ url: "/", description: "This service" }],
    tags: Object.entries(TAGS).filter(([t]) => used.has(t)).map(([name, description]) => ({ name, description })),
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(into.schemas).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API token (`longwatch token create`)." },
        session: { type: "apiKey", in: "cookie", name: "lw_session", description: "The dashboard's session (POST /api/v1/session); changes also need X-CSRF-Token." },
      },
    },
  };
}
