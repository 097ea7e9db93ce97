/**
 * Names the device of each record the way detection will, so all the records of one device reach one partition
 * whichever identifier they carry (device_id, client id, ICCID, IMSI, IMEI, MAC, IP). It is the detection engine
 * with no detectors: the same inventory aliases, the same IPv4 bindings from sessions (a flow from an address goes
 * where the session that holds the address went), the same rejects (a time too far ahead, a flow with no local end).
 */
import type { Device, DeviceModel } from "../core/fleet.ts";
import { Engine } from "../detect/engine.ts";
import type { Rec } from "../detect/read/rec.ts";
import { partitionOf } from "./partition.ts";

export interface RouterOptions {
  partitions: number;
  localNets?: readonly string[];
  /** Wall clock for the future bound (default Date.now) and the bound (default one day). */
  clock?: () => number;
  maxFutureMs?: number;
  /** How far behind the clock a record may be (default: no bound). */
  maxPastMs?: number;
  inventory?: { devices: Iterable<Device>; models: readonly DeviceModel[] };
}

export class PartitionRouter {
  readonly engine: Engine;
  /** Partition of each device number, -1 until first asked. */
  private parts = new Int16Array(1 << 12).fill(-1);

  constructor(private readonly o: RouterOptions) {
    this.engine = new Engine({
      detectors: [],
      sink: () => {},
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.maxFutureMs !== undefined ? { maxFutureMs: o.maxFutureMs } : {}),
      ...(o.maxPastMs !== undefined ? { maxPastMs: o.maxPastMs } : {}),
      ...(o.localNets ? { localNets: o.localNets } : {}),
    });
    if (o.inventory) this.engine.addInventory(o.inventory.devices, o.inventory.models);
  }

  /** The record's partition, or why detection would reject it (then it is not published). */
  route(rec: Rec): number | string {
    const why = this.engine.check(rec) ?? this.engine.ingest(rec);
    if (why !== null) return why;
    return this.partitionOfDevice(rec.device);
  }

  /** The device key a record was resolved to by the last `route` (for tests and messages). */
  deviceKey(device: number): string {
    return this.engine.index.name(device);
  }

  private partitionOfDevice(d: number): number {
    if (d >= this.parts.length) {
      const next = new Int16Array(Math.max(this.parts.length * 2, d + 1)).fill(-1);
      next.set(this.parts);
      this.parts = next;
    }
    let p = this.parts[d]!;
    if (p < 0) {
      p = partitionOf(this.engine.index.name(d), this.o.partitions);
      this.parts[d] = p;
    }
    return p;
  }
}
