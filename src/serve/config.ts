/**
 * The service's configuration file (`longwatch serve --config longwatch.yaml`), validated at start with messages
 * that name the file and the key (`longwatch.yaml: tls.cert: …`). The HTTP side's keys are here; the ingest pipeline's keys (pipeline,
 * detection, checkpoint, mqtt, follow, sinks, audit, ingest) are validated by the pipeline's own schema.
 */
import { readFileSync } from "node:fs";
import { resolveConfigPaths } from "../formats/config-paths.ts";
import { readYamlText, yamlProblemText } from "../formats/yaml.ts";
import { z } from "zod";
import { configIssues, issueText } from "../formats/config-issues.ts";
import { LongwatchError } from "../core/errors.ts";
import { parseRespondSettings } from "../respond/config.ts";
import { defaultSettings, type RespondSettings, RespondSettingsSchema } from "../respond/settings.ts";

export const PIPELINE_KEYS = ["pipeline", "detection", "checkpoint", "mqtt", "follow", "sinks", "audit", "ingest"] as const;
/** Sections of a site's one longwatch.yaml that other commands read (scan: rules, suppressions); serve leaves them be. */
const OTHER_KEYS = ["rules", "suppressions"] as const;

const listen = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "is not HOST:PORT (e.g. 127.0.0.1:8080)");

export const HttpConfigSchema = z
  .object({
    listen: listen.default("127.0.0.1:8080").describe("Where the API listens."),
    tls: z.object({ cert: z.string().min(1).describe("PEM certificate (chain) file."), key: z.string().min(1).describe("PEM private key file.") }).strict().optional(),
    session: z.object({ ttl_hours: z.number().min(0.1).max(24 * 30).default(12) }).strict().default({ ttl_hours: 12 }),
    login: z.object({ max_failures: z.number().int().min(1).max(1000).default(5), window_minutes: z.number().min(1).max(24 * 60).default(15) }).strict().default({ max_failures: 5, window_minutes: 15 }),
    log: z.object({ level: z.enum(["debug", "info", "warn", "error"]).default("info") }).strict().default({ level: "info" }),
    metrics_public: z.boolean().default(false).describe("Serve /metrics without a token (for a Prometheus on a trusted network)."),
    max_json_bytes: z.number().int().min(1024).max(64 * 2 ** 20).default(2 ** 20),
  })
  .strict();

export type HttpConfig = z.infer<typeof HttpConfigSchema>;

/** Every top-level key of the file, for suggestions (the other sections are validated by their own schemas). */
const TopLevel = HttpConfigSchema.extend(Object.fromEntries([...PIPELINE_KEYS, ...OTHER_KEYS, "respond"].map((k) => [k, z.unknown()])));

export interface ServeConfig {
  http: HttpConfig;
  /** The pipeline's part, as written (validated by the pipeline). */
  pipeline: Record<string, unknown>;
  /** The `respond:` section (respond/config.ts): what the service's response routes run with. */
  respond: RespondSettings;
}

/** Splits and validates a parsed config document; `at` (the file) starts every message. */
export function serveConfig(raw: unknown, at = "config"): ServeConfig {
  if (raw !== undefined && raw !== null && (typeof raw !== "object" || Array.isArray(raw))) throw new LongwatchError("invalid_config", `${at}: must be a mapping of keys`, { key: at });
  const http: Record<string, unknown> = {};
  const pipeline: Record<string, unknown> = {};
  let respondRaw: unknown;
  for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (k === "respond") respondRaw = v;
    else if (!(OTHER_KEYS as readonly string[]).includes(k)) ((PIPELINE_KEYS as readonly string[]).includes(k) ? pipeline : http)[k] = v;
  }
  const r = HttpConfigSchema.safeParse(http);
  if (!r.success) {
    // A top-level typo may be of any section's name, not only the HTTP side's keys.
    const issues = configIssues(TopLevel, r.error);
    const first = issues[0]!;
    throw new LongwatchError("invalid_config", issueText(at, first), { file: at, key: first.key, issues });
  }
  return { http: r.data, pipeline, respond: respondOf(respondRaw, at) };
}

function respondOf(raw: unknown, at: string): RespondSettings {
  if (raw === undefined) return defaultSettings();
  const r = RespondSettingsSchema.safeParse(raw);
  if (r.success) return r.data;
  const i = configIssues(RespondSettingsSchema, r.error)[0]!;
  const key = i.key ? `respond.${i.key}` : "respond";
  throw new LongwatchError("invalid_config", `${at}: ${key}: ${i.message}`, { file: at, key });
}

/** Reads and validates a YAML (or JSON) config file; YAML syntax errors name the line. */
export function loadServeConfig(file: string): ServeConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new LongwatchError("file_not_found", `--config ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`, { file }, { cause: e });
  }
  const read = readYamlText(text, { uniqueKeys: false });
  if (!read.ok) throw new LongwatchError("invalid_config", yamlProblemText(file, read), { file, line: read.line });
  // Files the config names are relative to it, wherever the service is started from.
  resolveConfigPaths(read.value, file, [["tls", "cert"], ["tls", "key"], ["follow", "*", "path"], ["sinks", "*", "ca_file"], ["respond", "secrets_file"]]);
  // The respond section with its own reader: errors with the line, playbooks checked, secrets_file resolved.
  const respond = parseRespondSettings(text, file);
  return { ...serveConfig(read.value, file), respond };
}
