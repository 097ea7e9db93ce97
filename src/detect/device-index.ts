/**
 * Dense device numbers from identifiers, without a JS string or object per device. Identifier bytes live in one
 * arena; an open-addressing table maps (hash, bytes) to an entry, each entry to its device. Several identifiers
 * (device_id, ICCID, IMEI, MAC …) can name the same device. IPv4 addresses have their own integer table so flows
 * and sessions resolve without touching text.
 */
import { hashBytes, mix32 } from "./read/bytes.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class DeviceIndex {
  /** Number of devices; device numbers are 0 … count-1. */
  count = 0;
  /**
   * The identifier table, open addressing, 4 ints a slot: hash, arena offset, length, device + 1 (0 = empty). What a
   * probe compares sits in one slot, so a lookup in a table of millions costs two cache misses (the slot and the
   * identifier's bytes), not one per array.
   */
  private slots = new Int32Array(4 << 12);
  private entries = 0;
  private arena = new Uint8Array(1 << 15);
  private arenaLen = 0;
  /** For each device, where its name is in the arena. */
  private nameStart = new Int32Array(1 << 10);
  private nameLen = new Uint16Array(1 << 10);
  /** IPv4 address → device, open addressing, 2 ints a slot: address, device + 1 (0 = empty). */
  private ips = new Int32Array(2 << 12);
  private ipCount = 0;

  /** The device an identifier names, or -1. */
  lookup(b: Uint8Array, s: number, e: number, h = hashBytes(b, s, e)): number {
    const t = this.slots;
    const mask = (t.length >> 2) - 1;
    const len = e - s;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const k = i << 2;
      const d = t[k + 3]!;
      if (d === 0) return -1;
      if (t[k] === h && t[k + 2] === len && this.same(t[k + 1]!, b, s, len)) return d - 1;
    }
  }

  lookupString(id: string): number {
    const b = encoder.encode(id);
    return this.lookup(b, 0, b.length, hashBytes(b, 0, b.length));
  }

  /** A new device named by these bytes; returns its number. */
  create(b: Uint8Array, s: number, e: number, h = hashBytes(b, s, e)): number {
    const d = this.count++;
    if (d >= this.nameStart.length) {
      this.nameStart = grow(this.nameStart, this.nameStart.length * 2);
      this.nameLen = grow(this.nameLen, this.nameStart.length);
    }
    this.nameStart[d] = this.insert(b, s, e, h, d);
    this.nameLen[d] = e - s;
    return d;
  }

  createString(id: string): number {
    const b = encoder.encode(id);
    return this.create(b, 0, b.length);
  }

  /** Makes another identifier name `device` (no-op when it already names a device). */
  alias(b: Uint8Array, s: number, e: number, device: number, h = hashBytes(b, s, e)): void {
    if (this.lookup(b, s, e, h) < 0) this.insert(b, s, e, h, device);
  }

  aliasString(id: string, device: number): void {
    const b = encoder.encode(id);
    this.alias(b, 0, b.length, device);
  }

  /** The bytes of the device's name (a view, valid until the next device or identifier is added). */
  nameBytes(device: number): Uint8Array {
    const s = this.nameStart[device]!;
    return this.arena.subarray(s, s + this.nameLen[device]!);
  }

  name(device: number): string {
    const s = this.nameStart[device]!;
    return decoder.decode(this.arena.subarray(s, s + this.nameLen[device]!));
  }

  /** The device an IPv4 address (unsigned 32-bit) belongs to, or -1. */
  lookupIPv4(ip: number): number {
    const t = this.ips;
    const mask = (t.length >> 1) - 1;
    const key = ip | 0;
    for (let i = mix32(ip) & mask; ; i = (i + 1) & mask) {
      const v = t[2 * i + 1]!;
      if (v === 0) return -1;
      if (t[2 * i] === key) return v - 1;
    }
  }

  /** Binds an IPv4 address to a device (a session's address moves to whoever holds it now). */
  bindIPv4(ip: number, device: number): void {
    if ((this.ipCount + 1) * 4 > this.ips.length) this.rehashIp(this.ips.length);
    const t = this.ips;
    const mask = (t.length >> 1) - 1;
    const key = ip | 0;
    for (let i = mix32(ip) & mask; ; i = (i + 1) & mask) {
      const v = t[2 * i + 1]!;
      if (v === 0) {
        t[2 * i] = key;
        t[2 * i + 1] = device + 1;
        this.ipCount++;
        return;
      }
      if (t[2 * i] === key) {
        t[2 * i + 1] = device + 1;
        return;
      }
    }
  }

  /** Bytes held, for the bytes-per-device figure. */
  bytes(): number {
    return this.slots.byteLength + this.arena.byteLength + this.nameStart.byteLength + this.nameLen.byteLength + this.ips.byteLength;
  }

  /** The identifiers (each slot's hash, arena range and device), the arena, the names and the IPv4 bindings. */
  save(): Record<string, Uint8Array> {
    const view = (a: ArrayBufferView, n: number, per: number) => new Uint8Array(a.buffer, a.byteOffset, n * per);
    const ids = new Int32Array(this.entries * 4);
    let n = 0;
    for (let k = 0; k < this.slots.length; k += 4) if (this.slots[k + 3] !== 0) ids.set(this.slots.subarray(k, k + 4), 4 * n++);
    return {
      ids: view(ids, ids.length, 4),
      arena: view(this.arena, this.arenaLen, 1),
      nameStart: view(this.nameStart, this.count, 4),
      nameLen: view(this.nameLen, this.count, 2),
      ips: view(this.ips, this.ips.length, 4),
    };
  }

  static load(parts: Readonly<Record<string, Uint8Array>>, devices: number): DeviceIndex {
    const x = new DeviceIndex();
    const as = <T>(ctor: new (b: ArrayBuffer) => T, name: string): T => {
      const src = parts[name];
      if (!src) throw new Error(`device index part "${name}" missing`);
      return new ctor(src.slice().buffer as ArrayBuffer);
    };
    const ids = as(Int32Array, "ids");
    const arena = as(Uint8Array, "arena");
    const starts = as(Int32Array, "nameStart");
    const lens = as(Uint16Array, "nameLen");
    if (starts.length < devices || lens.length < devices) throw new Error("device index: fewer names than devices");
    x.arena = grow(arena, Math.max(1 << 15, arena.length));
    x.arenaLen = arena.length;
    x.count = devices;
    x.nameStart = grow(starts, Math.max(1 << 10, devices));
    x.nameLen = grow(lens, Math.max(1 << 10, devices));
    for (let k = 0; k < ids.length; k += 4) x.place(ids[k]!, ids[k + 1]!, ids[k + 2]!, ids[k + 3]!);
    x.ips = as(Int32Array, "ips");
    for (let i = 1; i < x.ips.length; i += 2) if (x.ips[i] !== 0) x.ipCount++;
    return x;
  }

  /** Adds an identifier's bytes to the arena and the table; returns where its bytes are. */
  private insert(b: Uint8Array, s: number, e: number, h: number, device: number): number {
    const len = e - s;
    if (len > 65535) throw new Error("identifier longer than 65535 bytes");
    if (this.arenaLen + len > this.arena.length) this.arena = grow(this.arena, Math.max(this.arena.length * 2, this.arenaLen + len));
    const at = this.arenaLen;
    this.arena.set(b.subarray(s, e), at);
    this.arenaLen += len;
    this.place(h, at, len, device + 1);
    return at;
  }

  private place(h: number, at: number, len: number, devicePlusOne: number): void {
    if ((this.entries + 1) * 8 > this.slots.length) this.rehash(this.slots.length * 2);
    const t = this.slots;
    const mask = (t.length >> 2) - 1;
    let i = h & mask;
    while (t[(i << 2) + 3] !== 0) i = (i + 1) & mask;
    const k = i << 2;
    t[k] = h;
    t[k + 1] = at;
    t[k + 2] = len;
    t[k + 3] = devicePlusOne;
    this.entries++;
  }

  private same(at: number, b: Uint8Array, s: number, len: number): boolean {
    const a = this.arena;
    for (let i = 0; i < len; i++) if (a[at + i] !== b[s + i]) return false;
    return true;
  }

  private rehash(ints: number): void {
    const old = this.slots;
    this.slots = new Int32Array(ints);
    this.entries = 0;
    for (let k = 0; k < old.length; k += 4) if (old[k + 3] !== 0) this.place(old[k]!, old[k + 1]!, old[k + 2]!, old[k + 3]!);
  }

  private rehashIp(ints: number): void {
    const old = this.ips;
    this.ips = new Int32Array(ints * 2);
    this.ipCount = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.bindIPv4(old[i]! >>> 0, old[i + 1]! - 1);
  }
}

function grow<T extends Int32Array | Uint16Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a.subarray(0, Math.min(a.length, n)) as never);
  return b;
}

