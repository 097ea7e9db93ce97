/**
 * Small fixed-size summaries, so per-device sets stay bounded whatever a device does.
 *
 * - `DeviceBloom`: each device's learned destinations in a few words of a column — two generations of a Bloom filter;
 *   when the current one fills, it becomes the previous one and a new one starts, and anything still in use is
 *   copied forward on its next hit. A steady set of destinations stays known; old ones age out.
 * - `CountMin`: fleet-wide counts per key (how many flows went to a destination) in a fixed table.
 * - `distinctEstimate`: linear counting over a bitmap, for "how many different addresses in this window".
 */
import type { Column, Columns } from "./columns.ts";
import { mix32 } from "./read/bytes.ts";

export class DeviceBloom {
  private readonly words: Column<Uint32Array>;
  private readonly fill: Column<Uint8Array>;
  private readonly half: number;
  private readonly bits: number;

  /** `wordsPerGeneration` 32-bit words per generation; a generation takes about `capacity` items before it rotates. */
  constructor(
    columns: Columns,
    name: string,
    wordsPerGeneration = 4,
    private readonly capacity = 16,
  ) {
    this.half = wordsPerGeneration;
    this.bits = wordsPerGeneration * 32;
    this.words = columns.u32(`${name}.bloom`, wordsPerGeneration * 2);
    this.fill = columns.u8(`${name}.fill`);
  }

  has(device: number, h: number): boolean {
    const base = device * this.half * 2;
    return this.inGen(base, h) || this.inGen(base + this.half, h);
  }

  /** Adds `h` (no-op when already in the current generation). */
  add(device: number, h: number): void {
    const base = device * this.half * 2;
    if (this.inGen(base, h)) return;
    const w = this.words.a;
    if (this.fill.a[device]! >= this.capacity) {
      for (let i = 0; i < this.half; i++) {
        w[base + this.half + i] = w[base + i]!;
        w[base + i] = 0;
      }
      this.fill.a[device] = 0;
    }
    const h2 = mix32(h) | 1;
    for (let k = 0; k < 3; k++) {
      const bit = ((h + k * h2) >>> 0) % this.bits;
      w[base + (bit >>> 5)]! |= 1 << (bit & 31);
    }
    this.fill.a[device]!++;
  }

  clear(device: number): void {
    this.words.a.fill(0, device * this.half * 2, (device + 1) * this.half * 2);
    this.fill.a[device] = 0;
  }

  private inGen(base: number, h: number): boolean {
    const w = this.words.a;
    const h2 = mix32(h) | 1;
    for (let k = 0; k < 3; k++) {
      const bit = ((h + k * h2) >>> 0) % this.bits;
      if ((w[base + (bit >>> 5)]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

export class CountMin {
  readonly table: Uint32Array;
  private readonly mask: number;

  constructor(
    private readonly rows = 4,
    widthBits = 16,
  ) {
    this.table = new Uint32Array(rows << widthBits);
    this.mask = (1 << widthBits) - 1;
  }

  add(h: number, by = 1): void {
    for (let r = 0; r < this.rows; r++) {
      const i = (r * (this.mask + 1)) + (mix32(h + r * 0x9e3779b9) & this.mask);
      this.table[i] = Math.min(0xffffffff, this.table[i]! + by);
    }
  }

  estimate(h: number): number {
    let m = 0xffffffff;
    for (let r = 0; r < this.rows; r++) m = Math.min(m, this.table[(r * (this.mask + 1)) + (mix32(h + r * 0x9e3779b9) & this.mask)]!);
    return m;
  }
}

/** Sets the bit for `h` in a 64-bit map held as two words at `a[i]`, `a[i+1]`. */
export function setBit64(a: Uint32Array, i: number, h: number): void {
  const bit = mix32(h) & 63;
  a[i + (bit >>> 5)]! |= 1 << (bit & 31);
}

/** Linear-counting estimate of distinct items in a 64-bit map. */
export function distinct64(a: Uint32Array, i: number): number {
  const ones = popcount(a[i]!) + popcount(a[i + 1]!);
  const zeros = 64 - ones;
  return zeros === 0 ? 64 * Math.log(64) : -64 * Math.log(zeros / 64);
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
