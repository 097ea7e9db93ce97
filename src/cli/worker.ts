/**
 * `longwatch worker --nats URL --store postgres://…`: consumes the records stream under leases in the shared store
 * and detects — per-device detectors on its share of the partitions, fleet-wide ones in the fleet stage — until it is
 * stopped (SIGTERM/SIGINT: last checkpoints, leases released). docs/scale.md.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { readYamlText, yamlProblemText } from "../formats/yaml.ts";
import { allDetectors } from "../detect/detectors/index.ts";
import { readInventoryFiles, readInventoryStore, type DetectInventory } from "../detect/inventory.ts";
import { loadReference } from "../detect/reference.ts";
import { connectNats, manager, readStream, safeUrl } from "../scale/nats.ts";
import { parseRespondSettings } from "../respond/config.ts";
import { defaultWorkerName, ScaleWorker } from "../scale/worker.ts";
import { renderWorkerMetrics, serveWorkerMetrics } from "../scale/worker-metrics.ts";
import { parseListen } from "../serve/listen.ts";
import { type AutoResponder, createAutoResponder, wantsResponder } from "../serve/pipeline/auto-respond.ts";
import { StoreDeadLetters } from "../serve/pipeline/dead-letters.ts";
import type { PipelineLog } from "../serve/pipeline/types.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { addNatsFlags, checkStreamNames, intFlag, type NatsFlags, natsUrl } from "./scale-flags.ts";
import { openCliStore, storeChoice } from "./store.ts";

interface WorkerFlags extends NatsFlags {
  name?: string;
  inventory?: string;
  models?: string;
  detectors?: string;
  config?: string;
  localNet?: string[];
  leaseSeconds: string;
  checkpointSeconds: string;
  holdSeconds: string;
  idleSeconds?: string;
  quietSeconds: string;
  metricsListen?: string;
}

export const workerCommand: CommandModule = {
  register(program, ctx) {
    const cmd = program.command("worker").description("consume the JetStream records stream and detect, sharing partitions with other workers through the store");
    addNatsFlags(cmd)
      .option("--name <name>", "this worker's name, unique per stream (default host-pid-random)")
      .option("--inventory <file>", "devices to resolve identifiers through (default: the devices in the store)")
      .option("--models <file>", "device models (YAML/JSON)")
      .option("--detectors <ids>", "comma-separated detector ids (default: all)")
      .option("--config <file>", "YAML: detector parameters (detectors: {id: {param: value}}), disable: [ids], local_nets, and respond: (playbooks run on the alerts, as in serve)")
      .option("--local-net <cidr...>", "networks the devices live in (default: private IPv4 and IPv6 ranges)")
      .option("--lease-seconds <s>", "lease time: a worker that stops renewing loses its partitions after this", "15")
      .option("--checkpoint-seconds <s>", "shortest time between commits of state and alerts (and acknowledgements); a large state waits 9× its last checkpoint's duration (docs/scale.md)", "2")
      .option("--hold-seconds <s>", "records are held this long (event time) to put stragglers in order", "2")
      .option("--idle-seconds <s>", "move event time on with the wall clock when records lag it by more than this (live feeds; default: only records move it)")
      .option("--quiet-seconds <s>", "a partition (or the fleet stage) with no new message for this long processes the records it holds for ordering", "5")
      .option("--metrics-listen <host:port>", "serve this worker's Prometheus /metrics here (units held, the playbooks' counters; no token: keep it on 127.0.0.1 or a private network; port 0: any free port)")
      .action(async (o: WorkerFlags, c: Command) => runWorker(ctx, o, c));
  },
};

function seconds(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: "${v}" is not a positive number of seconds`);
  return n * 1000;
}

async function runWorker(ctx: CliContext, o: WorkerFlags, c: Command): Promise<void> {
  checkStreamNames(o);
  const url = natsUrl(o, ctx.io.env);
  const partitions = intFlag("--partitions", o.partitions, 1, 4096);
  const text = o.config ? readFileSync(o.config, "utf8") : undefined;
  const read = text !== undefined ? readYamlText(text, { uniqueKeys: false }) : undefined;
  if (read && !read.ok) throw new UsageError(`--config ${yamlProblemText(o.config!, read)}`);
  // The same respond: section as serve's config file: its playbooks run on the alerts this worker commits.
  const respond = text !== undefined ? parseRespondSettings(text, o.config!) : undefined;
  const config = read?.ok ? ((read.value ?? {}) as { detectors?: Record<string, unknown>; disable?: string[]; local_nets?: string[] }) : {};
  const known = new Set<string>(allDetectors.map((d) => d.id));
  const chosen = (o.detectors ? o.detectors.split(",").map((s) => s.trim()).filter(Boolean) : [...known]).filter((id) => !(config.disable ?? []).includes(id));
  for (const id of chosen) if (!known.has(id)) throw new UsageError(`no detector "${id}"; \`longwatch detectors\` lists them`);
  const detectors = allDetectors.filter((d) => chosen.includes(d.id));
  const fleetWide = detectors.filter((d) => d.fleetWide);
  const metricsAt = o.metricsListen !== undefined ? parseListen(o.metricsListen, "--metrics-listen") : undefined;
  const where = storeChoice(c, ctx);
  const store = (await openCliStore(ctx, where.url))!;
  const nc = await connectNats(url, "longwatch worker");
  let worker: ScaleWorker | undefined;
  let responder: AutoResponder | undefined;
  let deadLetters: StoreDeadLetters | undefined;
  let metrics: { url: string; close: () => Promise<void> } | undefined;
  try {
    const layout = await readStream(await manager(nc), o.stream, o.subjectPrefix);
    if (!layout) throw new UsageError(`no stream ${o.stream} on ${safeUrl(url)}: publish records first (longwatch publish, or serve --nats)`);
    if (partitions !== undefined && partitions !== layout.partitions) throw new UsageError(`--partitions ${partitions}: stream ${o.stream} has ${layout.partitions}`);
    const inventory: DetectInventory = o.inventory || o.models ? await readInventoryFiles(o.inventory, o.models, (i) => ctx.err(`warning ${i.file}:${i.line ?? ""} ${i.reason}`)) : await readInventoryStore(store);
    const localNets = o.localNet ?? config.local_nets;
    const reference = loadReference({});
    const stamp = () => new Date().toISOString();
    const name = o.name ?? defaultWorkerName();
    if (respond && wantsResponder(respond)) {
      const log: PipelineLog = (level, message) => ctx.err(`${stamp()} ${name} respond ${level}: ${message}`);
      // One process of the deployment sweeps the time-to-live: the worker that holds partition 0 at the time.
      responder = createAutoResponder({ store, settings: respond, env: ctx.io.env, now: Date.now, deadLetters: (deadLetters = new StoreDeadLetters(store, (m) => log("error", m))), log, sweepIf: () => worker?.held().includes(0) ?? false });
    }
    const r = responder;
    worker = new ScaleWorker({
      nc,
      store,
      layout,
      name,
      ...(r ? { onCommitted: (alerts) => alerts.forEach((alert) => r.offer({ alert, change: alert.state === "resolved" ? "resolve" : alert.count === 1 ? "open" : "update" })), onTaken: () => void r.catchUp() } : {}),
      engine: {
        detectors,
        ...(config.detectors ? { params: config.detectors } : {}),
        ...(localNets ? { localNets } : {}),
        reference,
      },
      inventory,
      leaseMs: seconds("--lease-seconds", o.leaseSeconds),
      checkpointMs: seconds("--checkpoint-seconds", o.checkpointSeconds),
      holdMs: seconds("--hold-seconds", o.holdSeconds),
      quietMs: seconds("--quiet-seconds", o.quietSeconds),
      ...(o.idleSeconds ? { idleMs: seconds("--idle-seconds", o.idleSeconds) } : {}),
      log: (line) => ctx.err(`${new Date().toISOString()} ${line}`),
    });
    ctx.err(`${stamp()} ${worker.name} working on ${o.stream} (${layout.partitions} partitions${fleetWide.length ? " + fleet stage" : ""}) from ${safeUrl(url)}, store ${store.location}${respond ? `; ${respond.playbooks.length} playbook(s), automatic response ${respond.automatic.enabled ? "on" : "off"}` : ""}`);
    if (metricsAt) {
      const w = worker;
      metrics = await serveWorkerMetrics(metricsAt.host, metricsAt.port, () => renderWorkerMetrics({ name: w.name, held: () => w.held(), responder: r }));
      ctx.err(`${stamp()} ${worker.name} metrics on ${metrics.url}`);
    }
    await worker.start();
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once("SIGTERM", done);
      process.once("SIGINT", done);
    });
    ctx.err(`${new Date().toISOString()} ${worker.name} stopping: last checkpoints, leases released`);
  } finally {
    await worker?.stop().catch((e: unknown) => ctx.err(`stop: ${(e as Error).message}`));
    // After the units' last checkpoints: what they committed is queued; what the deadline leaves is dead-lettered.
    await responder?.shutdown(10_000).catch((e: unknown) => ctx.err(`stop: the playbooks: ${(e as Error).message}`));
    await deadLetters?.flush();
    await metrics?.close();
    await nc.drain().catch(() => nc.close());
    await store.close();
  }
}
