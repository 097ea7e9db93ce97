/**
 * Starts the pipeline's pushed-to-it sources from the config: the MQTT subscriber (each batch journaled before its
 * PUBACKs go out) and the Zeek followers (each chunk journaled with the position after it, and resumed from the
 * last journaled position on restart).
 */
import { hasUtf16Bom } from "../../formats/utf8-feed.ts";
import { resolveSecret } from "../../transport/secret.ts";
import { type MqttMessage, type MqttSource, type MqttSourceStats, startMqttSource } from "../../transport/sources/mqtt-source.ts";
import { type FollowPosition, followZeekLog, type ZeekFollower, type ZeekFollowStats } from "../../transport/sources/zeek-follow.ts";
import type { PipelineConfig } from "./config.ts";
import type { IngestOrigin, IngestResult, PipelineLog } from "./types.ts";

export interface SourcesStats {
  mqtt?: MqttSourceStats;
  zeek: (ZeekFollowStats & { path: string })[];
}

export interface RunningSources {
  stats(): SourcesStats;
  stop(deadlineMs: number): Promise<void>;
}

export interface SourceDeps {
  config: PipelineConfig;
  positions: Record<string, string>;
  /** `taken`: call once the batch is journaled, to acknowledge it before detection (BatchHandler). */
  ingestMqtt(batch: readonly MqttMessage[], taken?: () => void): Promise<IngestResult>;
  ingestZeek(body: Uint8Array, origin: IngestOrigin, position: { source: string; value: string; firstLine: number; headerLines: number }): Promise<IngestResult>;
  log: PipelineLog;
  env?: NodeJS.ProcessEnv;
}

export const zeekSource = (path: string) => `zeek:${path}`;

export async function startSources(d: SourceDeps): Promise<RunningSources> {
  const c = d.config;
  let mqtt: MqttSource | undefined;
  if (c.mqtt) {
    const m = c.mqtt;
    const password = resolveSecret(undefined, m.password_env, "mqtt.password", d.env);
    mqtt = startMqttSource({
      url: m.url,
      topics: m.topics,
      handler: (batch, taken) => d.ingestMqtt(batch, taken),
      maxInFlight: m.max_in_flight,
      ...(m.share_group !== undefined ? { shareGroup: m.share_group } : {}),
      ...(m.client_id !== undefined ? { clientId: m.client_id } : {}),
      ...(m.username !== undefined ? { username: m.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(m.broker_config !== undefined ? { brokerConfigFile: m.broker_config } : {}),
      onWarning: (msg, detail) => d.log("warn", msg, detail),
      onError: (msg, detail) => d.log("error", msg, detail),
    });
  }
  const followers: { path: string; f: ZeekFollower }[] = c.follow.map((z) => {
    const source = zeekSource(z.path);
    const saved = d.positions[source];
    const from = saved !== undefined ? (JSON.parse(saved) as FollowPosition) : undefined;
    // Each chunk is decoded on its own: the first place a log is not what it is read as is said once per file.
    const warned = new Set<string>();
    const f = followZeekLog({
      path: z.path,
      ...(from ? { from } : z.start_at_end ? { startAtEnd: true } : {}),
      handler: async (chunk) => {
        const header = Buffer.from(chunk.header);
        const body = chunk.header ? Buffer.concat([header, chunk.lines]) : chunk.lines;
        const headerLines = chunk.header ? chunk.header.split("\n").length - 1 : 0;
        if (chunk.firstLine === 1 && !warned.has(chunk.file) && hasUtf16Bom(chunk.header ? header : chunk.lines)) {
          warned.add(chunk.file);
          d.log("error", `${chunk.file}: UTF-16 text (byte order mark); a followed log must be UTF-8 or a single-byte encoding (its lines are split at their bytes): convert it (iconv -f UTF-16 -t UTF-8)`, { path: chunk.file });
        }
        const r = await d.ingestZeek(body, { source, name: chunk.file, ...(z.encoding ? { encoding: z.encoding } : {}) }, { source, value: JSON.stringify(chunk.position), firstLine: chunk.firstLine, headerLines });
        const w = r.warnings?.[0];
        if (w && !warned.has(chunk.file)) {
          warned.add(chunk.file);
          // The reader counted bytes of this chunk (its header, then its lines): say where in the file the byte is.
          const reason = w.offset === undefined ? w.reason : w.reason.replace(`at byte ${w.offset}`, `at byte ${chunk.position.offset - chunk.lines.length + w.offset - header.length}`);
          d.log("warn", `${chunk.file}:${w.line}: ${reason}`, { path: chunk.file, line: w.line });
        }
        return { accepted: r.accepted, rejected: r.rejected };
      },
      onWarning: (msg, detail) => d.log("warn", msg, detail),
      onError: (msg, detail) => d.log("error", msg, detail),
    });
    return { path: z.path, f };
  });
  return {
    stats: () => ({ ...(mqtt ? { mqtt: mqtt.stats() } : {}), zeek: followers.map(({ path, f }) => ({ path, ...f.stats() })) }),
    async stop(deadlineMs) {
      await Promise.all([mqtt?.stop(deadlineMs), ...followers.map(({ f }) => f.stop(deadlineMs))]);
    },
  };
}
