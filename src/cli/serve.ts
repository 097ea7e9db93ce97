/**
 * `longwatch serve`: the running service. Opens one store for the life of the process, serves the HTTP API (docs/serve.md),
 * prints a one-time admin token on a store no one can sign in to yet, logs JSON lines to stderr, and on SIGTERM or
 * SIGINT stops taking requests, lets those in progress finish, closes the store and exits 0. `--check` validates
 * the configuration (and the TLS files) and exits.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { LongwatchError } from "../core/errors.ts";
import { type HttpConfig, loadServeConfig, type ServeConfig, serveConfig } from "../serve/config.ts";
import { jsonLogger } from "../serve/log.ts";
import { parseListen } from "../serve/listen.ts";
import { startService } from "../serve/service.ts";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CommandModule } from "./command.ts";
import type { CliContext } from "./context.ts";
import type { Store } from "../store/store.ts";
import { withStore } from "./store.ts";
import { VERSION } from "./version.ts";
import { NatsIngest, type NatsIngestOptions } from "../serve/pipeline/nats-ingest.ts";
import { safeUrl } from "../scale/nats.ts";
import { DEFAULT_PARTITIONS, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX } from "../scale/partition.ts";
import { checkStreamNames, intFlag } from "./scale-flags.ts";
import { createPipeline, type PipelineConfig, pipelineConfig, renderPrometheus } from "../serve/pipeline/index.ts";

interface ServeFlags {
  listen?: string;
  config?: string;
  tlsCert?: string;
  tlsKey?: string;
  metricsPublic?: boolean;
  logLevel?: HttpConfig["log"]["level"];
  check?: boolean;
  mqtt?: string;
  mqttTopic?: string[];
  mqttShare?: string;
  mqttClientId?: string;
  follow?: string[];
  nats?: string;
  stream: string;
  subjectPrefix: string;
  partitions?: string;
}

/** The ingest pipeline's config: the file's pipeline keys with --mqtt/--mqtt-topic/--follow over them. */
function pipelineOf(ctx: CliContext, f: ServeFlags, c: ServeConfig): PipelineConfig {
  const p = pipelineConfig(c.pipeline, {
    ...(f.mqtt !== undefined ? { mqtt: f.mqtt } : {}),
    ...(f.mqttTopic ? { mqttTopic: f.mqttTopic } : {}),
    ...(f.mqttShare !== undefined ? { mqttShare: f.mqttShare } : {}),
    ...(f.mqttClientId !== undefined ? { mqttClientId: f.mqttClientId } : {}),
    ...(f.follow ? { follow: f.follow.map((x) => resolve(ctx.io.cwd, x)) } : {}),
  }, f.config ?? "config");
  return p;
}

/** `--nats` and the stream flags, checked; undefined when serve detects in-process. */
function natsIngestOf(f: ServeFlags): NatsIngestOptions | undefined {
  const url = f.nats;
  if (!url) {
    if (f.partitions !== undefined) throw new LongwatchError("usage", "--partitions needs --nats URL");
    return undefined;
  }
  checkStreamNames(f);
  const partitions = intFlag("--partitions", f.partitions, 1, 4096);
  return { url, stream: f.stream, prefix: f.subjectPrefix, ...(partitions !== undefined ? { partitions } : {}) };
}

/** The config file (if any) with the flags over it. */
export function effectiveConfig(ctx: CliContext, f: ServeFlags): ServeConfig {
  const base = f.config ? loadServeConfig(resolve(ctx.io.cwd, f.config)) : serveConfig({});
  const http = { ...base.http };
  if (f.listen !== undefined) {
    parseListen(f.listen);
    http.listen = f.listen;
  }
  if ((f.tlsCert === undefined) !== (f.tlsKey === undefined)) throw new LongwatchError("usage", "--tls-cert and --tls-key go together");
  if (f.tlsCert && f.tlsKey) http.tls = { cert: resolve(ctx.io.cwd, f.tlsCert), key: resolve(ctx.io.cwd, f.tlsKey) };
  else if (http.tls && f.config) http.tls = { cert: resolve(ctx.io.cwd, f.config, "..", http.tls.cert), key: resolve(ctx.io.cwd, f.config, "..", http.tls.key) };
  if (f.metricsPublic) http.metrics_public = true;
  if (f.logLevel) http.log = { level: f.logLevel };
  return { ...base, http };
}

function checkTlsFiles(c: HttpConfig): void {
  if (!c.tls) return;
  for (const [what, file] of [["cert", c.tls.cert], ["key", c.tls.key]] as const) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new LongwatchError("file_not_found", `--tls-${what} ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`, { file });
    }
    if (!text.includes(what === "cert" ? "-----BEGIN CERTIFICATE-----" : "PRIVATE KEY-----")) throw new LongwatchError("invalid_config", `--tls-${what} ${file}: not a PEM ${what === "cert" ? "certificate" : "private key"}`, { key: `tls.${what}` });
  }
}

/** 3600000 → "1h", 90000 → "90s": the config's own duration units. */
function fmtMs(ms: number): string {
  for (const [unit, n] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000]] as const) if (ms % n === 0) return `${ms / n}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}

export const serveCommand: CommandModule = {
  register(program, ctx) {
    program
      .command("serve")
      .description("run the service: the HTTP API (tokens and roles, OpenAPI at /api/v1/openapi.json), on the store")
      .option("--listen <host:port>", "where the API listens (default 127.0.0.1:8080; port 0: any free port)")
      .option("--config <file>", "longwatch.yaml: listen, tls, session, login, log, metrics_public (docs/serve.md)")
      .option("--tls-cert <file>", "serve HTTPS with this PEM certificate (chain)")
      .option("--tls-key <file>", "… and this PEM private key")
      .option("--metrics-public", "serve /metrics without a token")
      .addOption(new Option("--log-level <level>").choices(["debug", "info", "warn", "error"]))
      .option("--mqtt <url>", "take records from this MQTT broker (mqtt://host:1883); QoS 1 messages are acknowledged once journaled")
      .option("--mqtt-topic <template...>", "topic templates naming an identifier level, e.g. fleet/{device_id}/records")
      .option("--mqtt-share <group>", "subscribe as $share/<group>/… so several instances split the topics")
      .option("--mqtt-client-id <id>", "MQTT client id (keep it across restarts: the broker keeps unacknowledged messages for it)")
      .option("--follow <conn.log...>", "follow growing Zeek conn.log files across rotation")
      .option("--nats <url>", "scale-out ingest: publish records to this JetStream (nats://host:4222) for `longwatch worker` instead of detecting here (docs/scale.md)")
      .option("--stream <name>", "with --nats: the records stream", DEFAULT_STREAM)
      .option("--subject-prefix <prefix>", "with --nats: records go to <prefix>.<partition>", DEFAULT_SUBJECT_PREFIX)
      .option("--partitions <n>", `with --nats: partition count of a new stream (default ${DEFAULT_PARTITIONS}; an existing stream's is read from it)`)
      .option("--check", "validate the configuration and exit")
      .action(async (f: ServeFlags, cmd: Command) => {
        const config = effectiveConfig(ctx, f);
        checkTlsFiles(config.http);
        const pc = pipelineOf(ctx, f, config);
        const nats = natsIngestOf(f);
        if (f.check) {
          const a = config.respond.automatic;
          const respond = `respond: automatic ${a.enabled ? `on (at most ${a.budget.devices} devices per ${fmtMs(a.budget.per)}, reversed after ${fmtMs(a.ttl)} unless confirmed)` : "off"}, ${config.respond.playbooks.length} playbook(s)`;
          ctx.out(`Configuration OK: listen ${config.http.listen}${config.http.tls ? " (HTTPS)" : ""}${pc.mqtt ? `, MQTT ${pc.mqtt.url}` : ""}${pc.follow.length ? `, following ${pc.follow.length} Zeek log(s)` : ""}, ${pc.sinks.length} sink(s)${nats ? `, publishing to ${nats.stream} on ${safeUrl(nats.url)}` : ""}; ${respond}.`);
          return;
        }
        await withStore(cmd, ctx, (store, choice) => serveUntilStopped(ctx, store, choice.url, config, pc, choice.dataDir, nats));
      });
  },
};

/**
 * Runs the ingest pipeline and the HTTP API on an open store until SIGTERM or SIGINT, printing the address (and a first
 * admin token); `longwatch demo` uses it too.
 */
export async function serveUntilStopped(ctx: CliContext, store: Store, storeUrl: string, config: ServeConfig, pc: PipelineConfig, dataDir: string, nats?: NatsIngestOptions): Promise<void> {
  const log = jsonLogger((line) => ctx.io.stderr.write(line), config.http.log.level);
  // With --nats this instance is the ingest tier: records go to JetStream, workers detect (docs/scale.md).
  const publisher = nats ? new NatsIngest({ store, config: pc, log, dataDir, nats, respond: config.respond }) : undefined;
  const detecting = publisher ? undefined : createPipeline({ store, config: pc, log, dataDir, respond: config.respond });
  const pipeline = publisher ?? detecting!;
  await pipeline.start();
  const metricsText = publisher ? () => publisher.prometheus() : () => renderPrometheus(detecting!.metrics());
  const service = await startService({ store, storeUrl, config: config.http, dataDir, log, version: VERSION, ingest: pipeline, metricsText, respond: config.respond, afterScan: () => pipeline.scanned() }).catch(async (e: unknown) => {
    await pipeline.stop();
    throw e;
  });
  if (service.adminToken) {
    ctx.out(`No one can sign in to this store yet, so here is an admin token. It is shown only now; keep it in a secret store:\n\n  ${service.adminToken}\n\nUse it as Authorization: Bearer <token>, or to sign in to the dashboard; make more with \`longwatch token create\`.`);
  }
  ctx.out(`Longwatch is serving on ${service.url} (store ${store.location}); the dashboard is at ${service.url}/`);
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      log("info", "stopping", { signal });
      // Requests first, then the pipeline: its sources' last batches are acknowledged, it drains and checkpoints.
      void service
        .close()
        .then(() => pipeline.stop())
        .then(done, (e: unknown) => (log("error", "stopping the pipeline failed", { error: (e as Error).message }), done()));
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
  log("info", "stopped", {});
}
