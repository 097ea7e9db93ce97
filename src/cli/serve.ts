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
import { parseListen, startService } from "../serve/service.ts";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CommandModule } from "./command.ts";
import type { CliContext } from "./context.ts";
import type { Store } from "../store/store.ts";
import { withStore } from "./store.ts";
import { VERSION } from "./version.ts";
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
      .option("--check", "validate the configuration and exit")
      .action(async (f: ServeFlags, cmd: Command) => {
        const config = effectiveConfig(ctx, f);
        checkTlsFiles(config.http);
        const pc = pipelineOf(ctx, f, config);
        if (f.check) {
          ctx.out(`Configuration OK: listen ${config.http.listen}${config.http.tls ? " (HTTPS)" : ""}${pc.mqtt ? `, MQTT ${pc.mqtt.url}` : ""}${pc.follow.length ? `, following ${pc.follow.length} Zeek log(s)` : ""}, ${pc.sinks.length} sink(s).`);
          return;
        }
        await withStore(cmd, ctx, (store, choice) => serveUntilStopped(ctx, store, choice.url, config, pc, choice.dataDir));
      });
  },
};

/**
 * Runs the ingest pipeline and the HTTP API on an open store until SIGTERM or SIGINT, printing the address (and a first
 * admin token); `longwatch demo` uses it too.
 */
export async function serveUntilStopped(ctx: CliContext, store: Store, storeUrl: string, config: ServeConfig, pc: PipelineConfig, dataDir: string): Promise<void> {
  const log = jsonLogger((line) => ctx.io.stderr.write(line), config.http.log.level);
  const pipeline = createPipeline({ store, config: pc, log, dataDir });
  await pipeline.start();
  const service = await startService({ store, storeUrl, config: config.http, dataDir, log, version: VERSION, ingest: pipeline, metricsText: () => renderPrometheus(pipeline.metrics()) }).catch(async (e: unknown) => {
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
