/**
 * Observed flows per device × destination × day, counted on the detection hot path: an open-addressing table over
 * typed arrays (no object per row), doubling up to `maxRows`; beyond that new rows are counted as dropped, never
 * silently lost. The rows go to the store after a run (flow-observation repository) for the privacy report, the
 * learned MUD file, intel sightings and "which devices talked to this endpoint".
 */
import { mix32 } from "../detect/read/bytes.ts";

export interface LedgerRow {
  device: number;
  entry: number;
  day: number;
  flows: number;
  bytesOut: number;
  bytesIn: number;
  firstTs: number;
  lastTs: number;
}

export class FlowLedger {
  private cap: number;
  private dev: Int32Array;
  private ent: Uint32Array;
  private day: Uint16Array;
  private flows: Uint32Array;
  private out: Float64Array;
  private inn: Float64Array;
  private first: Float64Array;
  private last: Float64Array;
  size = 0;
  dropped = 0;

  constructor(private readonly maxRows = 4_000_000, initial = 1024) {
    this.cap = initial;
    [this.dev, this.ent, this.day, this.flows, this.out, this.inn, this.first, this.last] = this.alloc(initial);
  }

  add(device: number, entry: number, ts: number, bytesOut: number, bytesIn: number): void {
    const day = Math.floor(ts / 86_400_000) & 0xffff;
    let i = this.slot(device, entry, day);
    if (this.dev[i] === -1) {
      if (this.size >= this.maxRows) {
        this.dropped++;
        return;
      }
      if ((this.size + 1) * 2 > this.cap) {
        this.grow();
        i = this.slot(device, entry, day);
      }
      this.dev[i] = device;
      this.ent[i] = entry;
      this.day[i] = day;
      this.first[i] = ts;
      this.last[i] = ts;
      this.size++;
    }
    this.flows[i]!++;
    if (bytesOut > 0) this.out[i]! += bytesOut;
    if (bytesIn > 0) this.inn[i]! += bytesIn;
    if (ts < this.first[i]!) this.first[i] = ts;
    if (ts > this.last[i]!) this.last[i] = ts;
  }

  /** Forgets every row (a replay that starts again on a fresh engine counts its records again). */
  clear(): void {
    this.size = 0;
    this.dropped = 0;
    this.dev.fill(-1);
    this.flows.fill(0);
    this.out.fill(0);
    this.inn.fill(0);
  }

  *rows(): Generator<LedgerRow> {
    for (let i = 0; i < this.cap; i++) {
      if (this.dev[i] === -1) continue;
      yield { device: this.dev[i]!, entry: this.ent[i]!, day: this.day[i]!, flows: this.flows[i]!, bytesOut: this.out[i]!, bytesIn: this.inn[i]!, firstTs: this.first[i]!, lastTs: this.last[i]! };
    }
  }

  bytes(): number {
    return this.cap * (4 + 4 + 2 + 4 + 8 * 4);
  }

  private slot(device: number, entry: number, day: number): number {
    const mask = this.cap - 1;
    let i = mix32(Math.imul(device, 0x9e3779b1) ^ Math.imul(entry, 0x85ebca6b) ^ day) & mask;
    while (this.dev[i] !== -1 && !(this.dev[i] === device && this.ent[i] === entry && this.day[i] === day)) i = (i + 1) & mask;
    return i;
  }

  private alloc(n: number): [Int32Array, Uint32Array, Uint16Array, Uint32Array, Float64Array, Float64Array, Float64Array, Float64Array] {
    return [new Int32Array(n).fill(-1), new Uint32Array(n), new Uint16Array(n), new Uint32Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  }

  private grow(): void {
    const old = { dev: this.dev, ent: this.ent, day: this.day, flows: this.flows, out: this.out, inn: this.inn, first: this.first, last: this.last, cap: this.cap };
    this.cap *= 2;
    [this.dev, this.ent, this.day, this.flows, this.out, this.inn, this.first, this.last] = this.alloc(this.cap);
    for (let j = 0; j < old.cap; j++) {
      if (old.dev[j] === -1) continue;
      const i = this.slot(old.dev[j]!, old.ent[j]!, old.day[j]!);
      this.dev[i] = old.dev[j]!;
      this.ent[i] = old.ent[j]!;
      this.day[i] = old.day[j]!;
      this.flows[i] = old.flows[j]!;
      this.out[i] = old.out[j]!;
      this.inn[i] = old.inn[j]!;
      this.first[i] = old.first[j]!;
      this.last[i] = old.last[j]!;
    }
  }
}
