/**
 * Start-up checks of the MQTT broker, for the pitfalls measured with Debian bookworm's Mosquitto 2.0.11: it silently
 * stops delivering shared subscriptions to resumed sessions after a restart (fixed in 2.0.12; Longwatch re-subscribes
 * on every connect to avoid it) and sends retained messages to new shared subscriptions (fixed in 2.0.13; Longwatch
 * skips retained messages). Its persistence is a snapshot every `autosave_interval` (1800 s by default), and per
 * client it queues at most `max_queued_messages` (1000) and drops the rest, so a long outage of Longwatch loses
 * records unless those are raised. The version comes from `$SYS/broker/version`; settings are only visible when the
 * broker's configuration file is readable here.
 */
import { connect, type IClientOptions, type IConnackPacket, type MqttClient } from "mqtt";
import { errorText } from "../result.ts";

export interface BrokerFacts {
  /** e.g. "mosquitto version 2.0.11"; undefined when $SYS is not readable. */
  version?: string;
  sharedSubscriptionAvailable?: boolean;
  maximumQoS?: number;
}

export function versionWarnings(version: string | undefined, shared: boolean): string[] {
  const m = version ? /mosquitto version (\d+)\.(\d+)\.(\d+)/i.exec(version) : null;
  if (!m) return [];
  const v = [Number(m[1]), Number(m[2]), Number(m[3])] as const;
  const older = (a: number, b: number, c: number) => v[0] < a || (v[0] === a && (v[1] < b || (v[1] === b && v[2] < c)));
  const out: string[] = [];
  if (older(2, 0, 12))
    out.push(`the broker is ${version}: before 2.0.12, Mosquitto stops delivering shared subscriptions to a resumed session after it restarts. Longwatch re-subscribes on every connect to work around it; upgrade the broker to be safe.`);
  if (shared && older(2, 0, 13)) out.push(`the broker is ${version}: before 2.0.13, Mosquitto sends retained messages to new shared subscriptions. Longwatch skips retained messages (retained: skip).`);
  return out;
}

/** Warnings from a mosquitto.conf text: settings under which an outage of Longwatch or of the broker loses records. */
export function configWarnings(conf: string): string[] {
  const settings = new Map<string, string>();
  for (const line of conf.split(/\r?\n/)) {
    const m = /^\s*([a-z_]+)\s+(.*?)\s*$/.exec(line);
    if (m && !settings.has(m[1]!)) settings.set(m[1]!, m[2]!);
  }
  const out: string[] = [];
  if (settings.get("persistence") !== "true")
    out.push("the broker runs without persistence: when it restarts, sessions and the QoS 1 messages queued for Longwatch are gone. Set persistence true.");
  else {
    const autosave = Number(settings.get("autosave_interval") ?? 1800);
    if (!(autosave <= 60)) out.push(`the broker saves its state every ${autosave} s (autosave_interval): a crash of the broker loses up to that much of what was queued. Set autosave_interval 60 or less.`);
  }
  if (!settings.has("max_queued_messages"))
    out.push("max_queued_messages is at its default of 1000: while Longwatch is down, the broker keeps only the first 1000 QoS 1 messages per client and drops the rest. Raise it to cover the outage you must survive.");
  return out;
}

/** Connects once with a throwaway client to read the broker's version and CONNACK properties. Never throws. */
export async function probeBroker(url: string, auth: Pick<IClientOptions, "username" | "password"> = {}, timeoutMs = 3000): Promise<BrokerFacts & { error?: string }> {
  try {
    const c: MqttClient = connect(url, { protocolVersion: 5, clean: true, reconnectPeriod: 0, connectTimeout: timeoutMs, ...auth });
    const ack = await new Promise<IConnackPacket>((resolve, reject) => {
      c.once("connect", resolve);
      c.once("error", reject);
      c.once("close", () => reject(new Error("connection closed before CONNACK")));
    }).catch((e: unknown) => {
      c.end(true);
      throw e;
    });
    const facts: BrokerFacts = {};
    const props = ack.properties;
    if (props?.sharedSubscriptionAvailable !== undefined) facts.sharedSubscriptionAvailable = props.sharedSubscriptionAvailable;
    if (props?.maximumQoS !== undefined) facts.maximumQoS = props.maximumQoS;
    const version = await new Promise<string | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), timeoutMs);
      c.on("message", (topic, payload) => {
        if (topic === "$SYS/broker/version") {
          clearTimeout(t);
          resolve(payload.toString("utf8"));
        }
      });
      c.subscribe("$SYS/broker/version", { qos: 0 }, (err) => {
        if (err) {
          clearTimeout(t);
          resolve(undefined);
        }
      });
    });
    if (version !== undefined) facts.version = version;
    await c.endAsync(true);
    return facts;
  } catch (e) {
    return { error: errorText(e) };
  }
}
