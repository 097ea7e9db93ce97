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
  private table = new Int32Array(1 << 12); // entry + 1, 0 = empty
  private entries = 0;
  private entryHash = new Int32Array(1 << 11);
  private entryStart = new Int32Array(1 << 11);
  private entryLen = new Uint16Array(1 << 11);
  private entryDevice = new Int32Array(1 << 11);
  private arena = new Uint8Array(1 << 15);
  private arenaLen = 0;
  /** For each device, the entry holding its name. */
  private nameEntry = new Int32Array(1 << 10);
  private ipKeys = new Uint32Array(1 << 12);
  private ipVals = new Int32Array(1 << 12); // device + 1, 0 = empty
  private ipCount = 0;

  /** The device an identifier names, or -1. */
  lookup(b: Uint8Array, s: number, e: number, h = hashBytes(b, s, e)): number {
    const mask = this.table.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const slot = this.table[i]!;
      if (slot === 0) return -1;
      const en = slot - 1;
      if (this.entryHash[en] === h && this.same(en, b, s, e)) return this.entryDevice[en]!;
    }
  }

  lookupString(id: string): number {
    const b = encoder.encode(id);
    return this.lookup(b, 0, b.length, hashBytes(b, 0, b.length));
  }

  /** A new device named by these bytes; returns its number. */
  create(b: Uint8Array, s: number, e: number, h = hashBytes(b, s, e)): number {
    const d = this.count++;
    if (d >= this.nameEntry.length) this.nameEntry = grow(this.nameEntry, this.nameEntry.length * 2);
    this.nameEntry[d] = this.insert(b, s, e, h, d);
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

  name(device: number): string {
    const en = this.nameEntry[device]!;
    const s = this.entryStart[en]!;
    return decoder.decode(this.arena.subarray(s, s + this.entryLen[en]!));
  }

  /** The device an IPv4 address (unsigned 32-bit) belongs to, or -1. */
  lookupIPv4(ip: number): number {
    const mask = this.ipKeys.length - 1;
    for (let i = mix32(ip) & mask; ; i = (i + 1) & mask) {
      const v = this.ipVals[i]!;
      if (v === 0) return -1;
      if (this.ipKeys[i] === ip) return v - 1;
    }
  }

  /** Binds an IPv4 address to a device (a session's address moves to whoever holds it now). */
  bindIPv4(ip: number, device: number): void {
    if ((this.ipCount + 1) * 2 > this.ipKeys.length) this.rehashIp(this.ipKeys.length * 2);
    const mask = this.ipKeys.length - 1;
    for (let i = mix32(ip) & mask; ; i = (i + 1) & mask) {
      const v = this.ipVals[i]!;
      if (v === 0) {
        this.ipKeys[i] = ip;
        this.ipVals[i] = device + 1;
        this.ipCount++;
        return;
      }
      if (this.ipKeys[i] === ip) {
        this.ipVals[i] = device + 1;
        return;
      }
    }
  }

  /** Bytes held, for the bytes-per-device figure. */
  bytes(): number {
    return this.table.byteLength + this.entryHash.byteLength + this.entryStart.byteLength + this.entryLen.byteLength + this.entryDevice.byteLength + this.arena.byteLength + this.nameEntry.byteLength + this.ipKeys.byteLength + this.ipVals.byteLength;
  }

  save(): Record<string, Uint8Array> {
    const view = (a: ArrayBufferView, n: number, per: number) => new Uint8Array(a.buffer, a.byteOffset, n * per);
    return {
      entryHash: view(this.entryHash, this.entries, 4),
      entryStart: view(this.entryStart, this.entries, 4),
      entryLen: view(this.entryLen, this.entries, 2),
      entryDevice: view(this.entryDevice, this.entries, 4),
      arena: view(this.arena, this.arenaLen, 1),
      nameEntry: view(this.nameEntry, this.count, 4),
      ipKeys: view(this.ipKeys, this.ipKeys.length, 4),
      ipVals: view(this.ipVals, this.ipVals.length, 4),
    };
  }

  static load(parts: Readonly<Record<string, Uint8Array>>, devices: number): DeviceIndex {
    const x = new DeviceIndex();
    const as = <T>(ctor: new (b: ArrayBuffer) => T, name: string): T => {
      const src = parts[name];
      if (!src) throw new Error(`device index part "${name}" missing`);
      return new ctor(src.slice().buffer as ArrayBuffer);
    };
    const hashes = as(Int32Array, "entryHash");
    const starts = as(Int32Array, "entryStart");
    const lens = as(Uint16Array, "entryLen");
    const devs = as(Int32Array, "entryDevice");
    const arena = as(Uint8Array, "arena");
    const names = as(Int32Array, "nameEntry");
    x.count = devices;
    x.nameEntry = grow(new Int32Array(0), Math.max(1024, devices));
    for (let d = 0; d < devices; d++) x.nameEntry[d] = names[d]!;
    // Re-insert entries in order so entry numbers (and so name entries) stay the same.
    for (let en = 0; en < hashes.length; en++) x.insert(arena, starts[en]!, starts[en]! + lens[en]!, hashes[en]!, devs[en]!);
    x.ipKeys = as(Uint32Array, "ipKeys");
    x.ipVals = as(Int32Array, "ipVals");
    x.ipCount = x.ipVals.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
    return x;
  }

  private insert(b: Uint8Array, s: number, e: number, h: number, device: number): number {
    const len = e - s;
    if (len > 65535) throw new Error("identifier longer than 65535 bytes");
    if ((this.entries + 1) * 2 > this.table.length) this.rehash(this.table.length * 2);
    const en = this.entries++;
    if (en >= this.entryHash.length) {
      const n = this.entryHash.length * 2;
      this.entryHash = grow(this.entryHash, n);
      this.entryStart = grow(this.entryStart, n);
      this.entryLen = grow(this.entryLen, n);
      this.entryDevice = grow(this.entryDevice, n);
    }
    if (this.arenaLen + len > this.arena.length) this.arena = grow(this.arena, Math.max(this.arena.length * 2, this.arenaLen + len));
    this.arena.set(b.subarray(s, e), this.arenaLen);
    this.entryHash[en] = h;
    this.entryStart[en] = this.arenaLen;
    this.entryLen[en] = len;
    this.entryDevice[en] = device;
    this.arenaLen += len;
    const mask = this.table.length - 1;
    let i = h & mask;
    while (this.table[i] !== 0) i = (i + 1) & mask;
    this.table[i] = en + 1;
    return en;
  }

  private same(en: number, b: Uint8Array, s: number, e: number): boolean {
    const len = this.entryLen[en]!;
    if (len !== e - s) return false;
    const a = this.arena;
    const st = this.entryStart[en]!;
    for (let i = 0; i < len; i++) if (a[st + i] !== b[s + i]) return false;
    return true;
  }

  private rehash(size: number): void {
    const t = new Int32Array(size);
    const mask = size - 1;
    for (let en = 0; en < this.entries; en++) {
      let i = this.entryHash[en]! & mask;
      while (t[i] !== 0) i = (i + 1) & mask;
      t[i] = en + 1;
    }
    this.table = t;
  }

  private rehashIp(size: number): void {
    const keys = this.ipKeys;
    const vals = this.ipVals;
    this.ipKeys = new Uint32Array(size);
    this.ipVals = new Int32Array(size);
    this.ipCount = 0;
    for (let i = 0; i < keys.length; i++) if (vals[i] !== 0) this.bindIPv4(keys[i]!, vals[i]! - 1);
  }
}

function grow<T extends Int32Array | Uint16Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a.subarray(0, Math.min(a.length, n)) as never);
  return b;
}

