/**
 * Writes simulated records per kind (connectivity.csv, flows.csv, broker.csv, metrics.csv — or .ndjson), each in
 * event-time order. Generation runs an hour at a time; records land in one bucket per second of that hour (a
 * counting sort), so ordering costs nothing however large the fleet.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

export const SIM_COLUMNS = {
  connectivity: ["ts", "iccid", "imsi", "imei", "event", "mcc", "mnc", "lac", "cell_id", "rat", "apn", "ip", "bytes_up", "bytes_down", "sms_count", "lat", "lon"],
  flow: ["ts", "src_ip", "src_port", "dst_ip", "dst_port", "proto", "bytes_out", "bytes_in", "packets_out", "packets_in", "duration", "conn_state", "dns_name"],
  broker: ["ts", "mqtt_client_id", "event", "topic", "bytes", "src_ip"],
  metric: ["ts", "device_id", "metric", "value"],
} as const;
export type SimKind = keyof typeof SIM_COLUMNS;
export type Cell = string | number | undefined;

const FILES: Record<SimKind, string> = { connectivity: "connectivity", flow: "flows", broker: "broker", metric: "metrics" };

export class SimWriter {
  private readonly fds = new Map<SimKind, number>();
  private readonly buckets = new Map<SimKind, string[][]>();
  private readonly tsText: string[] = [];
  readonly counts: Record<SimKind, number> = { connectivity: 0, flow: 0, broker: 0, metric: 0 };
  private hourStart = 0;

  /**
   * With `deviceIds`, every record also carries a device_id column (right after ts), so a replay names devices
   * without an inventory — the benchmark's canonical files. Without it, records name their device the way real
   * sources do (ICCID, address, client id).
   */
  constructor(
    readonly dir: string,
    readonly format: "csv" | "ndjson",
    readonly deviceIds = false,
  ) {
    mkdirSync(join(dir, "records"), { recursive: true });
    for (const kind of Object.keys(SIM_COLUMNS) as SimKind[]) {
      const fd = openSync(this.path(kind), "w");
      this.fds.set(kind, fd);
      const cols: string[] = [...SIM_COLUMNS[kind]];
      if (deviceIds && kind !== "metric") cols.splice(1, 0, "device_id");
      if (format === "csv") writeSync(fd, `${cols.join(",")}\n`);
      this.buckets.set(kind, Array.from({ length: 3600 }, () => []));
    }
  }

  /** Record files go into records/, apart from the inventory, so `records/*` names exactly them. */
  path(kind: SimKind): string {
    return join(this.dir, "records", `${FILES[kind]}.${this.format}`);
  }

  files(): string[] {
    return (Object.keys(SIM_COLUMNS) as SimKind[]).map((k) => this.path(k));
  }

  beginHour(startMs: number): void {
    this.hourStart = startMs;
    for (let s = 0; s < 3600; s++) this.tsText[s] = new Date(startMs + s * 1000).toISOString().replace(".000Z", "Z");
  }

  /** One record; `values` in the kind's column order after `ts`. Times outside the current hour are dropped. */
  emit(kind: SimKind, ts: number, values: readonly Cell[], deviceId?: string): void {
    const sec = Math.floor((ts - this.hourStart) / 1000);
    if (sec < 0 || sec >= 3600) return;
    const t = this.tsText[sec]!;
    const id = this.deviceIds && kind !== "metric" ? deviceId : undefined;
    let line: string;
    if (this.format === "csv") {
      line = this.deviceIds && kind !== "metric" ? `${t},${id ?? ""}` : t;
      for (const v of values) line += v === undefined ? "," : `,${v}`;
    } else {
      const cols = SIM_COLUMNS[kind];
      line = `{"kind":"${kind}","ts":"${t}"${id !== undefined ? `,"device_id":"${id}"` : ""}`;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v === undefined) continue;
        line += typeof v === "number" ? `,"${cols[i + 1]}":${v}` : `,"${cols[i + 1]}":${JSON.stringify(v)}`;
      }
      line += "}";
    }
    this.buckets.get(kind)![sec]!.push(line);
    this.counts[kind]++;
  }

  endHour(): void {
    for (const [kind, buckets] of this.buckets) {
      const fd = this.fds.get(kind)!;
      let out = "";
      for (const b of buckets) {
        if (b.length === 0) continue;
        out += `${b.join("\n")}\n`;
        b.length = 0;
        if (out.length > 1 << 20) {
          writeSync(fd, out);
          out = "";
        }
      }
      if (out) writeSync(fd, out);
    }
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
  }
}
