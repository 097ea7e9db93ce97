/**
 * bench:quality on real Zeek captures (../shared/data/zeek-labelled, GPL-2.0): each conn.log is replayed as
 * `longwatch detect` would (every detector, sorted by event time), and its alerts are judged against what the capture
 * documents — per-flow labels where the file has them, else the documented attacker or C&C endpoint.
 *
 * An alert is a true positive when it points at what the capture says is malicious: for labelled files, the line
 * that triggered it is labelled Malicious, or the endpoint it names is the remote end of a Malicious flow of that
 * device; for the others, it concerns the documented attacker host (and, where a C&C endpoint is documented, names
 * it). Recall: documented attacks (a device and, where known, its C&C) with at least one true-positive alert; time to
 * detect from the attack's first flow. Alerts per device-day: all alerts over (devices seen × days the capture spans).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Alert } from "../src/core/record.ts";
import type { ReferenceData } from "../src/detect/fleet.ts";
import { runDetection } from "../src/detect/run.ts";

export interface ZeekCase {
  file: string;
  what: string;
  localNets?: string[];
  /** Documented attacks: a device doing something malicious, from a time, optionally toward one endpoint. */
  attacks: { device: string; endpoint?: string; port?: number }[];
  labelled: boolean;
}

export const ZEEK_CASES: ZeekCase[] = [
  { file: "001-zeek-scenario-malicious.conn.log", what: "NjRAT, C&C attempts every ~10 s (labelled)", attacks: [{ device: "192.168.1.115", endpoint: "41.108.179.197" }], labelled: true },
  { file: "002-zeek-scenario-port-scanning.conn.log", what: "Nmap scans of three local /24s", attacks: [{ device: "172.16.1.11" }], labelled: false },
  { file: "003-zeek-scenario-malicious.conn.log", what: "Android RAT, C&C on 1337/tcp", attacks: [{ device: "10.8.0.61", endpoint: "147.32.83.234", port: 1337 }], labelled: false },
  { file: "005-zeek-scenario-malicious.conn.log", what: "Simda botnet, DGA HTTP", attacks: [{ device: "192.168.1.116" }], labelled: false },
  { file: "008-zeek-mixed.conn.log", what: "normal host, attacked from the Internet (labelled)", localNets: ["147.32.81.167/32"], attacks: [], labelled: true },
  { file: "010-zeek-mixed.conn.log", what: "normal host, attacked from the Internet (labelled)", localNets: ["147.32.83.234/32"], attacks: [], labelled: true },
];

export interface ZeekScore {
  file: string;
  what: string;
  alerts: number;
  tp: number;
  attacks: number;
  caught: number;
  ttdSeconds: number[];
  deviceDays: number;
  byDetector: Record<string, { n: number; tp: number }>;
  records: number;
}

interface Flow {
  line: number;
  ts: number;
  src: string;
  dst: string;
  dport: number;
  malicious: boolean;
}

function readFlows(path: string): Flow[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const out: Flow[] = [];
  let cols: string[] = [];
  lines.forEach((l, i) => {
    if (l.startsWith("#fields")) cols = l.split("\t").slice(1);
    if (l.startsWith("{")) {
      const o = JSON.parse(l) as Record<string, unknown>;
      out.push({ line: i + 1, ts: Number(o.ts) * 1000, src: String(o["id.orig_h"]), dst: String(o["id.resp_h"]), dport: Number(o["id.resp_p"]), malicious: false });
      return;
    }
    if (l.startsWith("#") || l === "") return;
    const c = l.split("\t");
    const get = (n: string) => c[cols.indexOf(n)] ?? "";
    out.push({ line: i + 1, ts: Number(get("ts")) * 1000, src: get("id.orig_h"), dst: get("id.resp_h"), dport: Number(get("id.resp_p")), malicious: get("label") === "Malicious" });
  });
  return out;
}

/** The remote endpoint an alert names, from its evidence (destination, target …) or its key. */
function endpointOf(a: Alert): string | undefined {
  const e = a.evidence as Record<string, unknown>;
  for (const k of ["destination", "target", "host"]) if (typeof e[k] === "string") return String(e[k]).replace(/:\d+$/, "");
  const m = /^(?:dest|host|target):(.+)$/.exec(a.key);
  return m?.[1];
}

function lineOf(a: Alert): number | undefined {
  const at = (a.evidence as { record?: { at?: string } }).record?.at;
  const m = at ? /:(\d+)$/.exec(at) : null;
  return m ? Number(m[1]) : undefined;
}

export function scoreZeek(dir: string, reference: ReferenceData, now: number): ZeekScore[] | undefined {
  if (!existsSync(join(dir, ZEEK_CASES[0]!.file))) return undefined;
  return ZEEK_CASES.map((c) => {
    const path = join(dir, c.file);
    const flows = readFlows(path);
    const r = runDetection({ files: [path], reference, now, ...(c.localNets ? { localNets: c.localNets } : {}), onReject: () => {} });
    const byLine = new Map(flows.map((f) => [f.line, f]));
    const maliciousEnds = new Map<string, Set<string>>();
    for (const f of flows) if (f.malicious) for (const [dev, other] of [[f.src, f.dst], [f.dst, f.src]] as const) (maliciousEnds.get(dev) ?? maliciousEnds.set(dev, new Set()).get(dev)!).add(other);
    const tpOf = (a: Alert): boolean => {
      if (c.labelled) {
        const line = lineOf(a);
        if (line !== undefined && byLine.get(line)?.malicious) return true;
        const ep = endpointOf(a);
        return ep !== undefined && (maliciousEnds.get(a.device_id)?.has(ep) ?? false);
      }
      return c.attacks.some((t) => a.device_id === t.device && (t.endpoint === undefined || endpointOf(a) === t.endpoint));
    };
    const byDetector: Record<string, { n: number; tp: number }> = {};
    let tp = 0;
    for (const a of r.alerts) {
      const ok = tpOf(a);
      if (ok) tp++;
      const x = (byDetector[a.detector] ??= { n: 0, tp: 0 });
      x.n++;
      if (ok) x.tp++;
    }
    const ttd: number[] = [];
    let caught = 0;
    for (const t of c.attacks) {
      const mine = flows.filter((f) => f.src === t.device && (t.endpoint === undefined || f.dst === t.endpoint) && (t.port === undefined || f.dport === t.port));
      const start = Math.min(...mine.map((f) => f.ts));
      const hits = r.alerts.filter((a) => a.device_id === t.device && tpOf(a)).map((a) => Date.parse(a.first_seen));
      if (hits.length > 0) {
        caught++;
        ttd.push((Math.min(...hits) - start) / 1000);
      }
    }
    const span = Math.max(...flows.map((f) => f.ts)) - Math.min(...flows.map((f) => f.ts));
    const days = Math.max(span, 3_600_000) / 86_400_000;
    return { file: c.file, what: c.what, alerts: r.alerts.length, tp, attacks: c.attacks.length, caught, ttdSeconds: ttd, deviceDays: r.engine.devices() * days, byDetector, records: r.replay.used };
  });
}
