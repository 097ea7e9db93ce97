/**
 * Disable on the broker: the plugin's `disableClient` kicks the device (DISCONNECT 152) and refuses every reconnect
 * (CONNACK 135) until `enableClient`. The escalation of a quarantine, for a device that must not talk at all.
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { type ActionCall, type ApplyResult, defineAction } from "../action.ts";
import { brokerOptions, brokerUsername } from "../connectors/broker-target.ts";
import { type Persistence, withDynsec } from "../connectors/dynsec.ts";
import { savedClient } from "../connectors/dynsec-file.ts";

const Params = z.object({ username: z.string().min(1).optional() }).strict();
type P = z.output<typeof Params>;

function warn(p: Persistence, errors: string[]): string[] {
  if (p === "failed") return [`The broker could not save its dynamic-security configuration (${errors[0] ?? "see its log"}): the client is disabled now but enabled again when the broker restarts.`];
  if (p === "unknown") return ["Cannot tell whether the broker saved the change (add `log_dest topic` to mosquitto.conf, or configure config_file)."];
  return [];
}

export const mqttDisable = defineAction({
  id: "mqtt-disable",
  title: "Disable the device's MQTT client",
  target: "device",
  reversible: true,
  description: "Disables the device's client on the broker: it is disconnected and every reconnect is refused. Reversing enables it again.",
  params: Params,

  async plan({ ctx, target, params }: ActionCall<P>) {
    const username = await brokerUsername(ctx, target, params.username);
    const after = { username, disabled: true };
    if (ctx.offline) return { summary: `Disable MQTT client ${username}: it is disconnected and cannot reconnect.`, before: null, after, noop: false, warnings: [] };
    return withDynsec(brokerOptions(ctx), async (c) => {
      const info = await c.getClient(username);
      if (!info) throw new LongwatchError("not_found", `the broker has no dynamic-security client ${username}`, { username });
      return { summary: `Disable MQTT client ${username}: it is disconnected and cannot reconnect.`, before: { username, disabled: info.disabled }, after, noop: info.disabled, warnings: [] };
    });
  },

  async apply({ ctx, target, params }: ActionCall<P>) {
    const username = await brokerUsername(ctx, target, params.username);
    return withDynsec(brokerOptions(ctx), async (c) => {
      const info = await c.getClient(username);
      if (!info) throw new LongwatchError("not_found", `the broker has no dynamic-security client ${username}`, { username });
      const res = info.disabled ? { persistence: "saved" as Persistence, saveErrors: [] } : await c.runOk([{ command: "disableClient", username }]);
      return { after: { username, disabled: true }, receipt: { username, was_disabled: info.disabled, persistence: res.persistence, save_errors: res.saveErrors }, warnings: warn(res.persistence, res.saveErrors) };
    });
  },

  async verify({ ctx }: ActionCall<P>, applied: ApplyResult) {
    const username = applied.receipt.username as string;
    return withDynsec(brokerOptions(ctx), async (c) => {
      const info = await c.getClient(username);
      const observed = { username, disabled: info?.disabled ?? null };
      if (!info?.disabled) return { ok: false, observed, reason: `client ${username} reads back as enabled`, warnings: [] };
      const saved = savedClient(ctx.settings.connectors.mqtt?.config_file, username);
      if (saved === null || saved?.disabled === false) return { ok: false, observed, reason: "the broker's saved configuration does not hold the change: it would be lost at the next restart", warnings: [] };
      const p = applied.receipt.persistence as Persistence;
      if (saved === undefined && p === "failed") return { ok: false, observed, reason: "the broker could not save the change: it is lost at the next restart", warnings: warn(p, applied.receipt.save_errors as string[]) };
      return { ok: true, observed, warnings: saved ? [] : warn(p, []) };
    });
  },

  async reverse({ ctx }: ActionCall<P>, applied: ApplyResult) {
    const username = applied.receipt.username as string;
    if (applied.receipt.was_disabled === true) return { after: { username, disabled: true }, warnings: ["The client was already disabled before this response; it stays disabled."] };
    return withDynsec(brokerOptions(ctx), async (c) => {
      const res = await c.runOk([{ command: "enableClient", username }]);
      return { after: { username, disabled: false }, warnings: warn(res.persistence, res.saveErrors) };
    });
  },
});
