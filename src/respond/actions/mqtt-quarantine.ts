/**
 * Quarantine on the broker: the device's MQTT client loses its roles and gets a role of its own that allows only its
 * control topic, so it can still be told what to do (and updated) but can no longer publish telemetry, receive other
 * devices' data or subscribe elsewhere. The change kicks the client (DISCONNECT 152); when it reconnects its
 * publishes outside the control topic are refused (PUBACK 135). The quarantine role sits above every other role and
 * ends in deny-all, so roles the client gets through groups do not leak access back.
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { type ActionCall, type ApplyResult, defineAction } from "../action.ts";
import { brokerOptions, brokerUsername } from "../connectors/broker-target.ts";
import { type DynsecClient, type DynsecCommand, type Persistence, withDynsec } from "../connectors/dynsec.ts";
import { savedClient } from "../connectors/dynsec-file.ts";

const Params = z
  .object({
    /** The device's username on the broker when it is not the inventory's mqtt_client_id. */
    username: z.string().min(1).optional(),
    /** Topics the quarantined device may still use; `{username}` is replaced. */
    control_topics: z.array(z.string().min(1)).min(1).default(["devices/{username}/control/#"]),
  })
  .strict();
type P = z.output<typeof Params>;

const ACL_TYPES_ALLOW = ["publishClientSend", "publishClientReceive", "subscribePattern"] as const;
const ACL_TYPES_DENY = ["publishClientSend", "publishClientReceive", "subscribePattern", "subscribeLiteral"] as const;
const QUARANTINE_PRIORITY = 1000;

function roleName(username: string): string {
  return `longwatch-quarantine-${username}`;
}

function topics(p: P, username: string): string[] {
  return p.control_topics.map((t) => t.replaceAll("{username}", username));
}

function roleAcls(p: P, username: string): DynsecCommand["acls"] {
  return [...topics(p, username).flatMap((topic) => ACL_TYPES_ALLOW.map((acltype) => ({ acltype, topic, priority: 10, allow: true }))), ...ACL_TYPES_DENY.map((acltype) => ({ acltype, topic: "#", priority: 0, allow: false }))];
}

function persistenceWarning(p: Persistence, errors: string[]): string[] {
  if (p === "failed") return [`The broker could not save its dynamic-security configuration (${errors[0] ?? "see its log"}): the change is live now but is lost when the broker restarts. Make dynamic-security.json writable by the broker.`];
  if (p === "unknown") return ["Cannot tell whether the broker saved the change: it does not publish its log (add `log_dest topic` to mosquitto.conf) and no config_file is configured to read back."];
  return [];
}

async function current(c: DynsecClient, username: string) {
  const info = await c.getClient(username);
  if (!info) throw new LongwatchError("not_found", `the broker has no dynamic-security client ${username}`, { username });
  return info;
}

export const mqttQuarantine = defineAction({
  id: "mqtt-quarantine",
  title: "Quarantine the device on the MQTT broker",
  target: "device",
  reversible: true,
  description: "Swaps the device's broker roles for a quarantine role that allows only its control topic; telemetry publishes are refused, the control channel stays open. Reversing gives the roles back.",
  escalation: "mqtt-disable",
  params: Params,

  async plan({ ctx, target, params }: ActionCall<P>) {
    const username = await brokerUsername(ctx, target, params.username);
    const after = { username, roles: [roleName(username)], control_topics: topics(params, username) };
    if (ctx.offline) return { summary: `Quarantine MQTT client ${username}: only ${after.control_topics.join(", ")} stays allowed.`, before: null, after, noop: false, warnings: [] };
    return withDynsec(brokerOptions(ctx), async (c) => {
      const info = await current(c, username);
      const before = { username, roles: info.roles.map((r) => r.rolename), groups: info.groups.map((g) => g.groupname), disabled: info.disabled };
      const noop = before.roles.length === 1 && before.roles[0] === roleName(username);
      return { summary: `Quarantine MQTT client ${username}: roles ${before.roles.join(", ") || "(none)"} → ${roleName(username)}; only ${after.control_topics.join(", ")} stays allowed.`, before, after, noop, warnings: [] };
    });
  },

  async apply({ ctx, target, params }: ActionCall<P>) {
    const username = await brokerUsername(ctx, target, params.username);
    return withDynsec(brokerOptions(ctx), async (c) => {
      const info = await current(c, username);
      const role = roleName(username);
      const previous = info.roles.filter((r) => r.rolename !== role);
      const cmds: DynsecCommand[] = [];
      if (!(await c.getRole(role))) cmds.push({ command: "createRole", rolename: role, textdescription: `Longwatch quarantine of ${username}`, acls: roleAcls(params, username) });
      if (!info.roles.some((r) => r.rolename === role)) cmds.push({ command: "addClientRole", username, rolename: role, priority: QUARANTINE_PRIORITY });
      for (const r of previous) cmds.push({ command: "removeClientRole", username, rolename: r.rolename });
      const res = cmds.length ? await c.runOk(cmds) : { persistence: "saved" as Persistence, saveErrors: [] };
      const after = { username, roles: [role], control_topics: topics(params, username) };
      return { after, receipt: { username, role, previous_roles: previous, persistence: res.persistence, save_errors: res.saveErrors }, warnings: persistenceWarning(res.persistence, res.saveErrors) };
    });
  },

  async verify({ ctx, params }: ActionCall<P>, applied: ApplyResult) {
    const { username, role } = applied.receipt as { username: string; role: string };
    return withDynsec(brokerOptions(ctx), async (c) => {
      const info = await current(c, username);
      const roles = info.roles.map((r) => r.rolename);
      const acls = (await c.getRole(role))?.acls ?? [];
      const observed = { username, roles, role_acls: acls.length };
      if (roles.length !== 1 || roles[0] !== role) return { ok: false, observed, reason: `the client's roles read back as ${roles.join(", ") || "(none)"}, not only ${role}`, warnings: [] };
      if (!topics(params, username).every((t) => acls.some((a) => a.topic === t && a.allow))) return { ok: false, observed, reason: `role ${role} does not allow the control topics`, warnings: [] };
      const saved = savedClient(ctx.settings.connectors.mqtt?.config_file, username);
      if (saved === null || (saved && (saved.roles.length !== 1 || saved.roles[0] !== role))) return { ok: false, observed: { ...observed, saved }, reason: "the broker's saved configuration does not hold the quarantine: it would be lost at the next restart", warnings: [] };
      const persistence = applied.receipt.persistence as Persistence;
      if (saved === undefined && persistence === "failed") return { ok: false, observed, reason: "the broker could not save the quarantine: it is live now but is lost at the next restart", warnings: persistenceWarning(persistence, applied.receipt.save_errors as string[]) };
      return { ok: true, observed: { ...observed, ...(saved ? { saved: true } : {}) }, warnings: saved ? [] : persistenceWarning(persistence, []) };
    });
  },

  async reverse({ ctx }: ActionCall<P>, applied: ApplyResult) {
    const { username, role, previous_roles } = applied.receipt as { username: string; role: string; previous_roles: { rolename: string; priority?: number }[] };
    return withDynsec(brokerOptions(ctx), async (c) => {
      const info = await current(c, username);
      const cmds: DynsecCommand[] = previous_roles.filter((r) => !info.roles.some((x) => x.rolename === r.rolename)).map((r) => ({ command: "addClientRole", username, rolename: r.rolename, ...(r.priority !== undefined ? { priority: r.priority } : {}) }));
      if (info.roles.some((r) => r.rolename === role)) cmds.push({ command: "removeClientRole", username, rolename: role });
      if (await c.getRole(role)) cmds.push({ command: "deleteRole", rolename: role });
      const res = cmds.length ? await c.runOk(cmds) : { persistence: "saved" as Persistence, saveErrors: [] };
      return { after: { username, roles: previous_roles.map((r) => r.rolename) }, warnings: persistenceWarning(res.persistence, res.saveErrors) };
    });
  },
});
