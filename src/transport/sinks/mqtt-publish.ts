/**
 * MQTT sink: publishes each alert's JSON (the webhook body) to a topic built from the alert, e.g.
 * `longwatch/alerts/{severity}/{detector}/{device_id}`, so subscribers pick what they want with wildcards. With a
 * secret, an MQTT 5 user property carries the same HMAC signature as webhooks. While the broker is unreachable an
 * attempt fails at once (retryable) instead of piling up in the client's offline queue.
 */
import { connect, type MqttClient } from "mqtt";
import { z } from "zod";
import { SUCCESS, errorText, retryable, type IoResult } from "../result.ts";
import { SIGNATURE_HEADER, signBody } from "../../formats/signature.ts";
import { envName } from "../secret.ts";
import { deliveryId, type WebhookBody } from "./webhook.ts";
import type { AlertNotice, Deliverer } from "./sink.ts";

const PLACEHOLDERS = ["severity", "detector", "device_id", "model_id", "change"] as const;

export const MqttPublishTargetSchema = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?):\/\//, "is not an mqtt://, mqtts://, ws:// or wss:// URL"),
    topic: z
      .string()
      .min(1)
      .default("longwatch/alerts/{severity}/{detector}/{device_id}")
      .refine((t) => !/[+#]/.test(t) && [...t.matchAll(/\{([^}]*)\}/g)].every((m) => (PLACEHOLDERS as readonly string[]).includes(m[1]!)), `may use the placeholders {${PLACEHOLDERS.join("}, {")}} and no wildcards`),
    qos: z.union([z.literal(0), z.literal(1)]).default(1),
    retain: z.boolean().default(false),
    client_id: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password_env: envName.optional(),
  })
  .strict();
export type MqttPublishTarget = z.infer<typeof MqttPublishTargetSchema>;

/** A topic level from alert text: MQTT wildcards, level separators and NUL are replaced so a device id cannot change the topic's shape. */
function level(s: string | undefined): string {
  return (s ?? "-").replace(/[+#/]/g, "_").split(String.fromCharCode(0)).join("_") || "_";
}

export function alertTopic(template: string, n: AlertNotice): string {
  const vals: Record<(typeof PLACEHOLDERS)[number], string | undefined> = { severity: n.alert.severity, detector: n.alert.detector, device_id: n.alert.device_id, model_id: n.alert.model_id, change: n.change };
  return template.replace(/\{([a-z_]+)\}/g, (_m, k: string) => level(vals[k as (typeof PLACEHOLDERS)[number]]));
}

export function mqttPublishDeliverer(t: MqttPublishTarget, password: string | undefined, secret: string | undefined, now: () => number = Date.now): Deliverer {
  let client: MqttClient | undefined;
  const get = () =>
    (client ??= connect(t.url, {
      protocolVersion: 5,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      queueQoSZero: false,
      ...(t.client_id !== undefined ? { clientId: t.client_id } : {}),
      ...(t.username !== undefined ? { username: t.username } : {}),
      ...(password !== undefined ? { password } : {}),
    }).on("error", () => {}));
  return {
    type: "mqtt",
    async deliver(n, signal): Promise<IoResult> {
      const c = get();
      if (!c.connected && !(await connected(c, 2000, signal))) return retryable("not connected to the broker");
      const body: WebhookBody = { delivery: deliveryId(n), change: n.change, sent_at: new Date(now()).toISOString(), alert: n.alert };
      const text = JSON.stringify(body);
      try {
        await c.publishAsync(alertTopic(t.topic, n), text, {
          qos: t.qos,
          retain: t.retain,
          properties: { contentType: "application/json", ...(secret !== undefined ? { userProperties: { [SIGNATURE_HEADER]: signBody(text, secret) } } : {}) },
        });
        return SUCCESS;
      } catch (e) {
        return retryable(errorText(e));
      }
    },
    close: async () => {
      await client?.endAsync().catch(() => undefined);
    },
  };
}

/** Waits up to `ms` for the client to (re)connect; true when it is connected. */
function connected(c: MqttClient, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      c.off("connect", done);
      signal.removeEventListener("abort", done);
      resolve(c.connected);
    };
    const timer = setTimeout(done, ms);
    c.on("connect", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
