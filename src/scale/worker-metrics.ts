/**
 * `longwatch worker --metrics-listen HOST:PORT`: the worker's own /metrics, in the same Prometheus text as serve's —
 * the units it holds and, when its config has a `respond:` section, the playbooks' counters (the detector playbooks
 * run in the workers, and the time-to-live sweep in the one holding partition 0) and their queue's sink counters.
 * Only counts, no device data, and no token: bind it to 127.0.0.1 or a network only Prometheus reaches.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { AutoResponder } from "../serve/pipeline/auto-respond.ts";
import { promWriter, respondFamilies, sinkFamilies } from "../serve/pipeline/metrics.ts";

export interface WorkerMetricsSource {
  name: string;
  /** Units held now (partitions; -1 is the fleet stage). */
  held: () => number[];
  responder?: AutoResponder | undefined;
}

export function renderWorkerMetrics(w: WorkerMetricsSource): string {
  const { family, text } = promWriter(w.name);
  const held = w.held();
  // Two families: a count beside per-unit samples in one family would make sum() report twice the units held.
  family("longwatch_worker_units", "gauge", "Units this worker holds under lease (partitions, and the fleet stage).", [["", held.length]]);
  family("longwatch_worker_unit_held", "gauge", "1 for each unit this worker holds under lease (a partition's number, or unit=\"fleet\" for the fleet stage).", held.map((u): [string, number] => [`unit="${u < 0 ? "fleet" : u}"`, 1]));
  if (w.responder) {
    sinkFamilies(family, [w.responder.stats()]);
    respondFamilies(family, w.responder.respondStats());
  }
  return text();
}

/** Serves GET /metrics; resolves with its URL once listening (port 0: any free port). */
export async function serveWorkerMetrics(host: string, port: number, render: () => string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found: this worker serves only GET /metrics\n");
      return;
    }
    const body = render();
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" }).end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const shown = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    url: `http://${shown}:${a.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
