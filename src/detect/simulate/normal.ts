/**
 * Normal behaviour of each simulated device for one hour: a cellular attach and data session at its first report,
 * then at its own rhythm a flow to its model's cloud, an MQTT publish, a session update with the running byte total
 * and a bytes metric; trackers also sync time daily. Volumes follow a daily curve (busier by day) with log-normal
 * noise, and 1% of reports are three times larger (firmware chatter) so detectors must cope with harmless spikes.
 */
import type { SimFleet } from "./fleet.ts";
import type { Random } from "./random.ts";
import type { SimWriter } from "./writer.ts";

export interface DeviceOverride {
  /** From this time on the device sends nothing of its normal traffic (silenced, or its SIM is elsewhere). */
  silentFrom?: number;
}

export interface NormalOptions {
  fleet: SimFleet;
  start: number;
  /** Multiplies every model's report interval (the benchmark uses sparse fleets). */
  intervalFactor: number;
  overrides: ReadonlyMap<number, DeviceOverride>;
}

const HOUR = 3_600_000;

export function rhythm(ts: number): number {
  const h = (ts % 86_400_000) / HOUR;
  return 1 + 0.5 * Math.sin((2 * Math.PI * (h - 9)) / 24);
}

/** Running byte totals of each device's session (session_update carries totals). */
export class SessionTotals {
  private readonly up: Float64Array;
  constructor(size: number) {
    this.up = new Float64Array(size);
  }
  add(n: number, bytes: number): number {
    return (this.up[n]! += bytes);
  }
}

export function normalHour(w: SimWriter, r: Random, o: NormalOptions, totals: SessionTotals, hourStart: number): void {
  const { fleet } = o;
  for (let n = 0; n < fleet.size; n++) {
    const model = fleet.model(n);
    const every = model.everyMinutes * 60 * o.intervalFactor;
    const stop = o.overrides.get(n)?.silentFrom ?? Infinity;
    const ip = fleet.ip(n);
    const id = fleet.id(n);
    const [lat, lon] = fleet.position(n);
    const phase = fleet.phase(n, every);
    const firstReport = o.start + phase * 1000;
    // Reports of this device inside [hourStart, hourStart + 1 h).
    let k = Math.max(0, Math.ceil((hourStart - firstReport) / (every * 1000)));
    for (let t = firstReport + k * every * 1000; t < hourStart + HOUR; t = firstReport + ++k * every * 1000) {
      if (t >= stop) break;
      if (k === 0) {
        w.emit("connectivity", t - 2000, [fleet.iccid(n), fleet.imsi(n), fleet.imei(n), "attach", 262, 1, 4711, 10000 + (n % 5000), "LTE-M", "iot.example", undefined, undefined, undefined, undefined, lat, lon], id);
        w.emit("connectivity", t - 1000, [fleet.iccid(n), fleet.imsi(n), fleet.imei(n), "session_start", 262, 1, 4711, 10000 + (n % 5000), "LTE-M", "iot.example", ip, 0, 0, undefined, lat, lon], id);
        w.emit("broker", t - 500, [fleet.client(n), "connect", undefined, undefined, ip], id);
      }
      let bytes = Math.round(r.logNormal(model.bytes * rhythm(t), 0.25));
      if (r.next() < 0.01) bytes *= 3;
      const back = r.int(300, 800);
      w.emit("flow", t, [ip, r.int(30000, 60000), r.pick(model.cloudIps), model.port, "tcp", bytes, back, Math.ceil(bytes / 400) + 3, Math.ceil(back / 400) + 2, (r.int(200, 1500) / 1000).toFixed(3), "SF", model.cloudName], id);
      w.emit("broker", t + 100, [fleet.client(n), "publish", `fleet/${model.id}/${fleet.id(n)}/telemetry`, Math.round(bytes / 3), ip], id);
      w.emit("metric", t + 200, [fleet.id(n), "aws:all-bytes-out", bytes + 120], id);
      w.emit("connectivity", t + 300, [fleet.iccid(n), fleet.imsi(n), fleet.imei(n), "session_update", 262, 1, 4711, 10000 + (n % 5000), "LTE-M", "iot.example", ip, totals.add(n, bytes + 120), undefined, undefined, lat, lon], id);
      if (model.id === "tracker-t2" && k % Math.max(1, Math.round(86400 / every)) === 1) {
        w.emit("flow", t + 400, [ip, 123, "162.159.200.1", 123, "udp", 48, 48, 1, 1, "0.030", "SF", "pool.ntp.org"], id);
      }
    }
  }
}
