/**
 * The configuration of alert sinks, as zod schemas the service embeds in its config file (`sinks:` list), and the
 * factory that turns a validated list into running sinks. Every sink has the same pipeline settings (filter, queue,
 * timeout, retries) beside its own target settings; secrets are named by environment variable (`secret_env`).
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { resolveSecret, envName } from "../secret.ts";
import type { DeadLetterStore } from "./dead-letter.ts";
import { compileFilter, SinkFilterSchema, type GroupLookup } from "./filter.ts";
import { mqttPublishDeliverer, MqttPublishTargetSchema } from "./mqtt-publish.ts";
import { createQueuedSink } from "./queued-sink.ts";
import { RetrySchema } from "./retry.ts";
import type { AlertNotice, AlertSink, Deliverer, ShutdownReport, SinkStats } from "./sink.ts";
import { smtpDeliverer, SmtpTargetSchema } from "./smtp.ts";
import { syslogDeliverer, SyslogTargetSchema } from "./syslog.ts";
import { webhookDeliverer, WebhookTargetSchema } from "./webhook.ts";

const pipeline = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "is not a sink name (letters, digits, _ . -; up to 64)"),
  filter: SinkFilterSchema.default(SinkFilterSchema.parse({})),
  queue_size: z.number().int().min(1).max(1_000_000).default(10_000).describe("Alerts waiting beyond this are dropped and dead-lettered."),
  timeout_ms: z.number().int().min(100).max(600_000).default(10_000).describe("Per attempt."),
  retry: RetrySchema.default(RetrySchema.parse({})),
  concurrency: z.number().int().min(1).max(64).default(1).describe("Alerts delivered at once; 1 keeps them in order."),
};

const signing = {
  secret_env: envName.optional().describe("Environment variable holding the signing secret."),
  secret: z.string().min(16).optional().describe("The signing secret itself (tests only: prefer secret_env)."),
};

export const WebhookSinkSchema = z.object({ type: z.literal("webhook"), ...pipeline, ...WebhookTargetSchema.shape, ...signing }).strict();
export const SyslogSinkSchema = z.object({ type: z.literal("syslog"), ...pipeline, ...SyslogTargetSchema.shape }).strict();
export const SmtpSinkSchema = z.object({ type: z.literal("smtp"), ...pipeline, ...SmtpTargetSchema.shape }).strict();
export const MqttSinkSchema = z.object({ type: z.literal("mqtt"), ...pipeline, ...MqttPublishTargetSchema.shape, ...signing }).strict();

export const SinkConfigSchema = z.discriminatedUnion("type", [WebhookSinkSchema, SyslogSinkSchema, SmtpSinkSchema, MqttSinkSchema]);
export type SinkConfig = z.infer<typeof SinkConfigSchema>;

export const SinksConfigSchema = z.array(SinkConfigSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `sink name ${s.name} is used twice` });
    seen.add(s.name);
  });
});

export interface SinkDeps {
  readonly deadLetters: DeadLetterStore;
  readonly groupsOf?: GroupLookup;
  readonly env?: NodeJS.ProcessEnv;
  readonly onError?: (message: string, detail: Record<string, unknown>) => void;
  readonly now?: () => number;
}

function deliverer(c: SinkConfig, at: string, env: NodeJS.ProcessEnv | undefined, now: () => number): Deliverer {
  switch (c.type) {
    case "webhook":
      return webhookDeliverer(c, resolveSecret(c.secret, c.secret_env, `${at}.secret`, env), now);
    case "syslog":
      return syslogDeliverer(c, now);
    case "smtp":
      if (c.username !== undefined && c.password_env === undefined) throw new LongwatchError("invalid_config", `${at}: username is set but password_env is not`, { key: `${at}.password_env` });
      return smtpDeliverer(c, resolveSecret(undefined, c.password_env, `${at}.password`, env));
    case "mqtt":
      return mqttPublishDeliverer(c, resolveSecret(undefined, c.password_env, `${at}.password`, env), resolveSecret(c.secret, c.secret_env, `${at}.secret`, env), now);
  }
}

/** Running sinks for a validated list; `at` prefixes config keys in errors (e.g. "sinks"). Throws invalid_config for a missing secret. */
export function createSinks(list: readonly SinkConfig[], deps: SinkDeps, at = "sinks"): AlertSink[] {
  const now = deps.now ?? Date.now;
  const made = list.map((c, i) => ({ c, d: deliverer(c, `${at}[${i}]`, deps.env, now) }));
  return made.map(({ c, d }) =>
    createQueuedSink({
      name: c.name,
      deliverer: d,
      deadLetters: deps.deadLetters,
      retry: c.retry,
      queueSize: c.queue_size,
      timeoutMs: c.timeout_ms,
      concurrency: c.concurrency,
      filter: compileFilter(c.filter, deps.groupsOf),
      now,
      ...(deps.onError ? { onError: deps.onError } : {}),
    }),
  );
}

/** Several sinks as one: each alert is offered to every sink; shutdown shares one deadline. */
export function fanOut(sinks: readonly AlertSink[]) {
  return {
    sinks,
    offer(n: AlertNotice): void {
      for (const s of sinks) s.offer(n);
    },
    stats: (): SinkStats[] => sinks.map((s) => s.stats()),
    /** Each sink's undelivered alerts (AlertSink.pending), by sink name; sinks that keep none are left out. */
    pending(): Record<string, AlertNotice[]> {
      const out: Record<string, AlertNotice[]> = {};
      for (const s of sinks) {
        const p = s.pending?.();
        if (p?.length) out[s.name] = p;
      }
      return out;
    },
    shutdown: (deadlineMs?: number): Promise<ShutdownReport[]> => Promise.all(sinks.map((s) => s.shutdown(deadlineMs))),
  };
}
