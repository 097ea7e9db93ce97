/**
 * The dashboard's typed API client comes from the OpenAPI document: every component schema becomes a TypeScript type,
 * and every operation's JSON answer and body are named by its operationId, so a page that reads a field the service
 * does not send fails `npm run typecheck`. Written to web/src/api/schema.ts by `npm run gen:openapi` (with
 * docs/openapi.json); test/web/api-types.test.ts checks it is current.
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  description?: string;
};
interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const IDENT = /^[A-Za-z_$][\w$]*$/;
const key = (k: string) => (IDENT.test(k) ? k : JSON.stringify(k));
const comment = (text: string | undefined, pad: string) => (text ? `${pad}/** ${text.replaceAll("*/", "*\\/").replace(/\s*\n\s*/g, " ")} */\n` : "");

function typeOf(s: Schema | boolean | undefined, pad = ""): string {
  if (s === undefined || s === true) return "unknown";
  if (s === false) return "never";
  if (s.$ref) return s.$ref.replace("#/components/schemas/", "");
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.anyOf ?? s.oneOf) return (s.anyOf ?? s.oneOf)!.map((x) => typeOf(x, pad)).join(" | ");
  if (s.allOf) return s.allOf.map((x) => typeOf(x, pad)).join(" & ");
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1) return types.map((t) => typeOf({ ...s, type: t }, pad)).join(" | ");
  switch (types[0]) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array": {
      const item = typeOf(s.items, pad);
      return /^[\w"]+$/.test(item) ? `${item}[]` : `(${item})[]`;
    }
    case "object":
      return objectType(s, pad);
    default:
      return s.properties ? objectType(s, pad) : "unknown";
  }
}

function objectType(s: Schema, pad: string): string {
  const props = Object.entries(s.properties ?? {});
  const extra = s.additionalProperties;
  if (props.length === 0) return extra === false ? "Record<string, never>" : `Record<string, ${typeOf(extra === undefined ? true : extra, pad)}>`;
  const inner = `${pad}  `;
  const required = new Set(s.required ?? []);
  const lines = props.map(([k, v]) => `${comment(v.description, inner)}${inner}${key(k)}${required.has(k) ? "" : "?"}: ${typeOf(v, inner)};`);
  if (extra !== undefined && extra !== false) lines.push(`${inner}[field: string]: unknown;`);
  return `{\n${lines.join("\n")}\n${pad}}`;
}

function jsonSchema(content: Record<string, { schema: Schema }> | undefined): Schema | undefined {
  return content?.["application/json"]?.schema;
}

/** The text of web/src/api/schema.ts for an OpenAPI document. */
export function typesFromOpenApi(doc: Document): string {
  const out = ["// Generated from docs/openapi.json by `npm run gen:openapi` (scripts/openapi-types.ts). Do not edit.", ""];
  for (const [name, s] of Object.entries(doc.components.schemas)) {
    out.push(`${comment(s.description, "")}export type ${name} = ${typeOf(s)};`, "");
  }
  const responses: string[] = [];
  const bodies: string[] = [];
  const paths: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const ok = Object.entries(op.responses).find(([status]) => status.startsWith("2"));
      const answer = ok ? (ok[0] === "204" ? "null" : typeOf(jsonSchema(ok[1].content) ?? (ok[1].content ? { type: "string" } : undefined), "  ")) : "unknown";
      responses.push(`  ${JSON.stringify(op.operationId)}: ${answer};`);
      const body = jsonSchema(op.requestBody?.content);
      if (body) bodies.push(`  ${JSON.stringify(op.operationId)}: ${typeOf(body, "  ")};`);
      paths.push(`  ${JSON.stringify(op.operationId)}: ${JSON.stringify(`${method.toUpperCase()} ${path}`)},`);
    }
  }
  out.push("/** What each operation answers on success, by operationId. */", `export interface Responses {\n${responses.join("\n")}\n}`, "");
  out.push("/** The JSON body each operation takes, by operationId. */", `export interface Bodies {\n${bodies.join("\n")}\n}`, "");
  out.push("/** Each operation's method and path (what the typed client calls). */", `export const operations = {\n${paths.join("\n")}\n} as const;`, "");
  out.push("export type OperationId = keyof typeof operations;", "");
  return out.join("\n");
}
