/** Resolves a device to its dynamic-security username and the broker connection the config names. */
import { LongwatchError } from "../../core/errors.ts";
import type { ActionContext, Target } from "../action.ts";
import type { DynsecOptions } from "./dynsec.ts";

export function brokerOptions(ctx: ActionContext): DynsecOptions {
  const m = ctx.settings.connectors.mqtt;
  if (!m) throw new LongwatchError("invalid_config", "respond.connectors.mqtt is not configured: say which broker to use (url, username, password)");
  return { url: m.url, username: m.username, password: ctx.secrets.get(m.password, "respond.connectors.mqtt.password"), timeoutMs: m.timeout };
}

/** The device's username on the broker: the given one, or the inventory field the connector names. */
export async function brokerUsername(ctx: ActionContext, target: Target, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const d = await ctx.device(target.id);
  if (!d) throw new LongwatchError("not_found", `no device ${target.id} in the inventory`, { device_id: target.id });
  const from = ctx.settings.connectors.mqtt?.username_from ?? "mqtt_client_id";
  return from === "mqtt_client_id" ? (d.mqtt_client_id ?? d.device_id) : d.device_id;
}
