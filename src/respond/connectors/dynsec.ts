/**
 * A thin client of Mosquitto's dynamic-security plugin: commands go to `$CONTROL/dynamic-security/v1` as
 * `{"commands":[…]}` with a correlation id each, and answers come back on `…/v1/response`.
 *
 * The plugin answers success even when it could not save its configuration (the change then lives only until the
 * broker restarts). The broker says so only in its log, so the client also listens to the broker's log topics
 * (`log_dest topic` in mosquitto.conf): after each batch of commands it knows whether the save failed ("Error saving
 * Dynamic security plugin config"), succeeded (the plugin's own audit line arrived and no error did), or cannot be
 * told (no log line arrived: the broker does not publish its log).
 */
import { randomUUID } from "node:crypto";
import { connectAsync, type MqttClient } from "mqtt";
import { LongwatchError } from "../../core/errors.ts";

const CONTROL = "$CONTROL/dynamic-security/v1";
const RESPONSE = `${CONTROL}/response`;
const LOG_ERROR = "$SYS/broker/log/E";
const LOG_INFO = "$SYS/broker/log/I";
/** How long after the last answer log lines may still arrive (the broker publishes them in the same loop). */
const LOG_GRACE_MS = 150;

export type DynsecCommand = Record<string, unknown> & { command: string };

export interface DynsecResponse {
  command: string;
  data?: Record<string, unknown>;
  error?: string;
}

/** Whether the broker saved the configuration after a batch of changes. */
export type Persistence = "saved" | "failed" | "unknown";

export interface DynsecResult {
  responses: DynsecResponse[];
  persistence: Persistence;
  /** The broker's own words when saving failed. */
  saveErrors: string[];
}

export interface DynsecClientInfo {
  username: string;
  clientid?: string;
  roles: { rolename: string; priority?: number }[];
  groups: { groupname: string; priority?: number }[];
  disabled: boolean;
}

export interface DynsecOptions {
  url: string;
  username: string;
  password: string;
  timeoutMs: number;
}

const MODIFYING = /^(create|delete|modify|add|remove|set|enable|disable)/;

export class DynsecClient {
  private readonly pending = new Map<string, { resolve(r: DynsecResponse): void }>();
  private logLines: { at: number; level: "E" | "I"; text: string }[] = [];

  private constructor(
    private readonly client: MqttClient,
    private readonly timeoutMs: number,
    private readonly username: string,
  ) {
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
  }

  static async connect(o: DynsecOptions): Promise<DynsecClient> {
    let client: MqttClient;
    try {
      client = await connectAsync(o.url, { username: o.username, password: o.password, protocolVersion: 5, clean: true, reconnectPeriod: 0, connectTimeout: o.timeoutMs, clientId: `longwatch-respond-${randomUUID().slice(0, 8)}` });
    } catch (e) {
      throw new LongwatchError("upstream_failed", `cannot connect to the MQTT broker at ${o.url} as ${o.username}: ${(e as Error).message}`, { url: o.url }, { cause: e });
    }
    const c = new DynsecClient(client, o.timeoutMs, o.username);
    const granted = await client.subscribeAsync([RESPONSE, LOG_ERROR, LOG_INFO], { qos: 0 });
    if ((granted[0]?.qos ?? 128) >= 128) {
      await client.endAsync(true);
      throw new LongwatchError("forbidden", `${o.username} may not subscribe to ${RESPONSE}: give it the dynamic-security admin role`);
    }
    return c;
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === RESPONSE) {
      let doc: { responses?: (DynsecResponse & { correlationData?: string })[] };
      try {
        doc = JSON.parse(payload.toString("utf8")) as typeof doc;
      } catch {
        return;
      }
      for (const r of doc.responses ?? []) {
        const p = r.correlationData !== undefined ? this.pending.get(r.correlationData) : undefined;
        if (p) {
          this.pending.delete(r.correlationData!);
          const out: DynsecResponse = { command: r.command };
          if (r.data !== undefined) out.data = r.data;
          if (r.error !== undefined) out.error = r.error;
          p.resolve(out);
        }
      }
    } else if (topic === LOG_ERROR || topic === LOG_INFO) {
      this.logLines.push({ at: Date.now(), level: topic === LOG_ERROR ? "E" : "I", text: payload.toString("utf8") });
      if (this.logLines.length > 1000) this.logLines.splice(0, 500);
    }
  }

  /** Sends the commands as one message and waits for every answer; says whether the broker saved the changes. */
  async run(commands: readonly DynsecCommand[]): Promise<DynsecResult> {
    const sentAt = Date.now();
    const ids = commands.map(() => randomUUID());
    const answers = ids.map(
      (id) =>
        new Promise<DynsecResponse>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.pending.delete(id);
            reject(new LongwatchError("upstream_failed", `the broker's dynamic-security plugin did not answer within ${this.timeoutMs} ms (is the plugin loaded?)`));
          }, this.timeoutMs);
          this.pending.set(id, {
            resolve: (r) => {
              clearTimeout(timer);
              resolve(r);
            },
          });
        }),
    );
    await this.client.publishAsync(CONTROL, JSON.stringify({ commands: commands.map((c, i) => ({ ...c, correlationData: ids[i] })) }), { qos: 1 });
    const responses = await Promise.all(answers);
    if (!commands.some((c) => MODIFYING.test(c.command))) return { responses, persistence: "saved", saveErrors: [] };
    await new Promise((r) => setTimeout(r, LOG_GRACE_MS));
    const lines = this.logLines.filter((l) => l.at >= sentAt);
    const saveErrors = lines.filter((l) => l.level === "E" && /dynamic security plugin config/i.test(l.text)).map((l) => l.text.replace(/^\d+: /, ""));
    const audit = lines.some((l) => l.level === "I" && l.text.includes(`dynsec: `) && l.text.includes(`/${this.username} |`));
    return { responses, saveErrors, persistence: saveErrors.length > 0 ? "failed" : audit ? "saved" : "unknown" };
  }

  /** Runs the commands and throws on the first that the plugin refused. */
  async runOk(commands: readonly DynsecCommand[]): Promise<DynsecResult> {
    const r = await this.run(commands);
    const bad = r.responses.find((x) => x.error !== undefined);
    if (bad) throw new LongwatchError("upstream_failed", `the broker refused ${bad.command}: ${bad.error}`, { command: bad.command, error: bad.error });
    return r;
  }

  async getClient(username: string): Promise<DynsecClientInfo | undefined> {
    const [r] = (await this.run([{ command: "getClient", username }])).responses;
    if (!r || r.error !== undefined) {
      if (r?.error && /not found/i.test(r.error)) return undefined;
      throw new LongwatchError("upstream_failed", `getClient ${username}: ${r?.error ?? "no answer"}`);
    }
    const c = (r.data?.client ?? {}) as { username?: string; clientid?: string; roles?: { rolename: string; priority?: number }[]; groups?: { groupname: string; priority?: number }[]; disabled?: boolean };
    const out: DynsecClientInfo = { username: c.username ?? username, roles: c.roles ?? [], groups: c.groups ?? [], disabled: c.disabled === true };
    if (c.clientid !== undefined) out.clientid = c.clientid;
    return out;
  }

  async getRole(rolename: string): Promise<{ rolename: string; acls: { acltype: string; topic: string; allow: boolean; priority?: number }[] } | undefined> {
    const [r] = (await this.run([{ command: "getRole", rolename }])).responses;
    if (!r || r.error !== undefined) return undefined;
    const role = (r.data?.role ?? {}) as { rolename?: string; acls?: { acltype: string; topic: string; allow: boolean; priority?: number }[] };
    return { rolename: role.rolename ?? rolename, acls: role.acls ?? [] };
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Opens a client, runs `fn`, always closes. */
export async function withDynsec<T>(o: DynsecOptions, fn: (c: DynsecClient) => Promise<T>): Promise<T> {
  const c = await DynsecClient.connect(o);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}
