/**
 * The pipeline's part of the service configuration (the `longwatch.yaml` keys `pipeline`, `detection`, `checkpoint`,
 * `mqtt`, `follow`, `sinks`, `audit`, `ingest`), as zod schemas the service embeds, and the command-line flags that
 * override them (`--mqtt URL --mqtt-topic TEMPLATE… --follow conn.log…`).
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { configIssues, issueText } from "../../formats/config-issues.ts";
import { envName } from "../../transport/secret.ts";
import { SinksConfigSchema } from "../../transport/sinks/config.ts";

export const DetectionConfigSchema = z
  .object({
    detectors: z.record(z.string(), z.record(z.string(), z.unknown())).default({}).describe("Parameters per detector id."),
    disable: z.array(z.string()).default([]).describe("Detector ids not to run."),
    local_nets: z.array(z.string()).optional().describe("Networks the devices live in (default: private ranges)."),
    hold_ms: z.number().int().min(0).max(3_600_000).default(2000).describe("Reorder buffer: how long (event time) a record waits for stragglers."),
    idle_ms: z.number().int().min(1000).default(600_000).describe("Records lagging the wall clock more than this: event time moves on without them."),
    max_held: z.number().int().min(1000).default(1_000_000).describe("Records held at most in the reorder buffer."),
    max_future_hours: z.number().min(0).default(24).describe("Records dated more than this after the wall clock are rejected."),
    max_past_days: z.number().min(0).optional().describe("Records dated more than this before the wall clock are rejected (default: no bound)."),
    dedup_window_minutes: z.number().min(0).default(1440).describe("Repeats of an alert within this time of its last sighting are counted, not re-raised (as detect: a day)."),
  })
  .strict();

export const MqttConfigSchema = z
  .object({
    url: z.string().regex(/^mqtts?:\/\//, "is not an mqtt:// or mqtts:// URL"),
    topics: z.array(z.string().min(1)).min(1).describe("Topic templates, e.g. fleet/{device_id}/records."),
    share_group: z.string().optional().describe("Subscribe as $share/<group>/… so several instances split the topics."),
    client_id: z.string().max(64).optional().describe("Keep it the same across restarts (the broker keeps unacknowledged messages for it)."),
    username: z.string().optional(),
    password_env: envName.optional(),
    max_in_flight: z.number().int().min(1).max(65_535).default(1000),
    broker_config: z.string().optional().describe("A mosquitto.conf readable here, checked for settings that lose records."),
  })
  .strict();

export const PipelineConfigSchema = z
  .object({
    pipeline: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "is not a pipeline name").default("default").describe("Name of this instance's checkpoint and journal; give each instance sharing a store its own."),
    detection: DetectionConfigSchema.default(DetectionConfigSchema.parse({})),
    checkpoint: z
      .object({
        interval_s: z.number().min(0.05).max(3600).default(10).describe("Detection state and alerts are committed this often (and on shutdown)."),
        dedupe_window: z.number().int().min(0).max(1_000_000).default(20_000).describe("Digests of the latest MQTT messages kept to drop redeliveries."),
      })
      .strict()
      .default({ interval_s: 10, dedupe_window: 20_000 }),
    mqtt: MqttConfigSchema.optional(),
    follow: z
      .array(
        z
          .object({
            path: z.string().min(1),
            start_at_end: z.boolean().default(false),
            // A followed log is cut into chunks at its line breaks' bytes, which UTF-16 does not have: single-byte encodings only.
            encoding: z.enum(["utf-8", "windows-1252", "latin1"]).optional().describe("The log's text encoding (default UTF-8; bytes that are not UTF-8 are read as Windows-1252 with a warning)."),
          })
          .strict(),
      )
      .default([])
      .describe("Zeek conn.log files to follow."),
    sinks: SinksConfigSchema.default([]),
    audit: z
      .object({
        every_minutes: z.number().min(0).default(60).describe("Re-audit the stored fleet this often (0: never on a schedule)."),
        on_inventory_change: z.boolean().default(true).describe("Re-audit after every inventory change."),
        poll_s: z.number().min(0.05).default(15).describe("How often the inventory is checked for changes."),
      })
      .strict()
      .default({ every_minutes: 60, on_inventory_change: true, poll_s: 15 }),
    ingest: z
      .object({
        max_body_bytes: z.number().int().min(1024).default(64 * 2 ** 20).describe("Largest POST /api/v1/records body."),
        max_rejects_listed: z.number().int().min(0).default(1000).describe("Rejects listed in one answer (all are counted)."),
      })
      .strict()
      .default({ max_body_bytes: 64 * 2 ** 20, max_rejects_listed: 1000 }),
  })
  .strict();

export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;
export type PipelineConfigInput = z.input<typeof PipelineConfigSchema>;

/** The flags of `longwatch serve` that feed the pipeline. */
export interface PipelineFlags {
  mqtt?: string;
  mqttTopic?: readonly string[];
  mqttShare?: string;
  mqttClientId?: string;
  follow?: readonly string[];
}

/** Validates the config (messages name the key) and applies the flags over it. */
export function pipelineConfig(raw: unknown, flags: PipelineFlags = {}, at = "config"): PipelineConfig {
  const r = PipelineConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    // `longwatch.yaml: detection: unknown key hold_m (did you mean hold_ms?)`: the file, then the key as written in it.
    const issues = configIssues(PipelineConfigSchema, r.error);
    const first = issues[0]!;
    throw new LongwatchError("invalid_config", issueText(at, first), { file: at, key: first.key, issues });
  }
  const c = r.data;
  if (flags.mqttTopic?.length && !flags.mqtt && !c.mqtt) throw new LongwatchError("usage", "--mqtt-topic needs --mqtt URL (or mqtt.url in the config)");
  if (flags.mqtt) {
    const topics = flags.mqttTopic?.length ? [...flags.mqttTopic] : c.mqtt?.topics;
    if (!topics?.length) throw new LongwatchError("usage", "--mqtt needs at least one --mqtt-topic TEMPLATE (e.g. fleet/{device_id}/records)");
    c.mqtt = MqttConfigSchema.parse({ ...c.mqtt, url: flags.mqtt, topics });
  } else if (flags.mqttTopic?.length && c.mqtt) c.mqtt = { ...c.mqtt, topics: [...flags.mqttTopic] };
  if (c.mqtt && flags.mqttShare) c.mqtt = { ...c.mqtt, share_group: flags.mqttShare };
  if (c.mqtt && flags.mqttClientId) c.mqtt = { ...c.mqtt, client_id: flags.mqttClientId };
  if (flags.follow?.length) c.follow = [...c.follow, ...flags.follow.map((path) => ({ path, start_at_end: false }))];
  return c;
}
