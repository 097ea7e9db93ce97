/**
 * The `respond:` section of the config file (longwatch.yaml): how to reach the systems actions change, the safety
 * limits of automatic response, and the playbooks. Validated with messages that name the key.
 *
 *   respond:
 *     secrets_file: /etc/longwatch/secrets.yaml      # mode 0600
 *     approval: { required: all, expires: 24h }
 *     automatic: { enabled: true, budget: { devices: 10, per: 1h }, ttl: 4h }
 *     connectors:
 *       mqtt: { url: mqtt://127.0.0.1:1883, username: longwatch, password: { env: LW_DYNSEC_PASSWORD } }
 *       sim:
 *         - { provider: 1nce, client_id: { env: LW_1NCE_ID }, client_secret: { env: LW_1NCE_SECRET }, iccid_prefixes: ["8988228"] }
 *     playbooks: [...]
 */
import { z } from "zod";
import { SEVERITIES } from "../core/severity.ts";
import { SecretRefSchema } from "./secrets.ts";

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30s`, `15m`, `4h`, `7d` → milliseconds; undefined when it is not such a duration. */
export function parseDuration(s: string): number | undefined {
  const m = DURATION.exec(s.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : undefined;
}

const duration = z.string().refine((s) => parseDuration(s) !== undefined, "is not a duration like 30s, 15m, 4h or 7d").transform((s) => parseDuration(s)!);
const url = z.url("is not a URL");

export const MqttConnectorSchema = z
  .object({
    url: url.describe("Broker URL, mqtt:// or mqtts://"),
    username: z.string().min(1).describe("A dynamic-security client allowed to use $CONTROL/dynamic-security/#"),
    password: SecretRefSchema,
    /** The plugin's dynamic-security.json, when this machine can read it: verify then also checks what was saved. */
    config_file: z.string().min(1).optional(),
    /** Which inventory field is the device's dynamic-security username. */
    username_from: z.enum(["mqtt_client_id", "device_id"]).default("mqtt_client_id"),
    timeout: duration.default(10_000),
  })
  .strict();
export type MqttConnector = z.infer<typeof MqttConnectorSchema>;

const SimCommon = {
  base_url: url.optional(),
  /** SIMs whose ICCID starts with one of these are at this provider. */
  iccid_prefixes: z.array(z.string().regex(/^\d{2,20}$/, "is not the start of an ICCID (digits)")).default([]),
  timeout: duration.default(15_000),
};

export const SimConnectorSchema = z.discriminatedUnion("provider", [
  z.object({ provider: z.literal("1nce"), client_id: SecretRefSchema, client_secret: SecretRefSchema, ...SimCommon }).strict(),
  z.object({ provider: z.literal("emnify"), application_token: SecretRefSchema, ...SimCommon }).strict(),
  z
    .object({
      provider: z.literal("kore"),
      client_id: SecretRefSchema,
      client_secret: SecretRefSchema,
      auth_url: url.optional(),
      /** A Super SIM fleet with a tiny DataLimit that `sim-data-limit` moves SIMs into. */
      quarantine_fleet: z.string().regex(/^HF[0-9a-f]{32}$/, "is not a fleet sid (HF followed by 32 hex digits)").optional(),
      ...SimCommon,
    })
    .strict(),
]);
export type SimConnector = z.infer<typeof SimConnectorSchema>;
export type SimProviderName = SimConnector["provider"];

export const WebhookTargetSchema = z
  .object({ url, secret: SecretRefSchema, timeout: duration.default(10_000), headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).default({}) })
  .strict();

export const CommandSchema = z
  .object({
    /** Absolute path of the program; it is run directly (execFile), never through a shell. */
    path: z.string().regex(/^\//, "must be an absolute path"),
    /** Arguments; `{device_id}`, `{iccid}` … are replaced by the target's values, each checked against `allowed`. */
    args: z.array(z.string()).default([]),
    /** What a substituted value may look like (a value that does not match is refused). */
    allowed: z.string().default("^[A-Za-z0-9._:@/+-]{1,256}$"),
    timeout: duration.default(30_000),
    /** Arguments that undo it; without them the command is irreversible. */
    reverse_args: z.array(z.string()).optional(),
    /** Arguments that check it; exit code 0 means verified. */
    verify_args: z.array(z.string()).optional(),
  })
  .strict();

export const PlaybookSchema = z
  .object({
    name: z.string().min(1),
    /** Alerts of these detectors, or findings of these rules, trigger it. */
    when: z
      .object({ detector: z.array(z.string().min(1)).optional(), rule: z.array(z.string().min(1)).optional(), severity: z.enum(SEVERITIES).default("high") })
      .strict()
      .refine((w) => (w.detector?.length ?? 0) + (w.rule?.length ?? 0) > 0, "needs detector or rule"),
    action: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    /** `automatic` applies without a person when the action is reversible and the budget allows; `propose` waits. */
    mode: z.enum(["propose", "automatic"]).default("propose"),
  })
  .strict();
export type Playbook = z.infer<typeof PlaybookSchema>;

export const RespondSettingsSchema = z
  .object({
    secrets_file: z.string().min(1).optional(),
    approval: z
      .object({
        /** `all`: every manual response needs a second person; `irreversible`: only those that cannot be undone. */
        required: z.enum(["all", "irreversible"]).default("all"),
        expires: duration.default(24 * 3_600_000),
      })
      .strict()
      .default({ required: "all", expires: 24 * 3_600_000 }),
    automatic: z
      .object({
        enabled: z.boolean().default(false),
        budget: z.object({ devices: z.number().int().min(0).default(10), per: duration.default(3_600_000) }).strict().default({ devices: 10, per: 3_600_000 }),
        /** An automatic response is reversed after this long unless a person confirms it. */
        ttl: duration.default(4 * 3_600_000),
        /** How often `longwatch serve` looks for automatic responses whose time-to-live ran out. */
        sweep_every: duration.default(60_000),
      })
      .strict()
      .default({ enabled: false, budget: { devices: 10, per: 3_600_000 }, ttl: 4 * 3_600_000, sweep_every: 60_000 }),
    /**
     * `longwatch serve` runs the playbooks off the detection path: alerts wait in a queue of this many; one that
     * finds it full is dead-lettered (visible in the API) and counted, never dropped silently.
     */
    queue_size: z.number().int().min(1).max(1_000_000).default(10_000),
    verify: z.object({ deadline: duration.default(120_000), interval: duration.default(2_000) }).strict().default({ deadline: 120_000, interval: 2_000 }),
    connectors: z
      .object({
        mqtt: MqttConnectorSchema.optional(),
        sim: z.array(SimConnectorSchema).default([]),
        webhooks: z.record(z.string(), WebhookTargetSchema).default({}),
        commands: z.record(z.string(), CommandSchema).default({}),
      })
      .strict()
      .default({ sim: [], webhooks: {}, commands: {} }),
    playbooks: z.array(PlaybookSchema).default([]),
  })
  .strict();
export type RespondSettings = z.infer<typeof RespondSettingsSchema>;

/** The settings when the config says nothing: no connectors, no playbooks, automatic response off. */
export function defaultSettings(): RespondSettings {
  return RespondSettingsSchema.parse({});
}
