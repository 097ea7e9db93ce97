/**
 * Per-device state as columns: one typed array per value, indexed by the dense device number, allocated by the
 * detectors through this registry. Columns grow together (doubling) as devices appear, their bytes per device are
 * known exactly, and they snapshot to disk as raw bytes — no object per device anywhere.
 */

type ArrayCtor = Int16ArrayConstructor | Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Uint16ArrayConstructor | Uint8ArrayConstructor | Int8ArrayConstructor;
export type Typed = Int16Array | Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array | Int8Array;

/** A column handle: read `.a` each time (it is replaced when the column grows). `width` slots per device. */
export interface Column<T extends Typed> {
  readonly name: string;
  readonly width: number;
  a: T;
}

interface Entry {
  col: Column<Typed>;
  ctor: ArrayCtor;
  fill: number;
}

export class Columns {
  private readonly entries: Entry[] = [];
  capacity: number;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
  }

  f64(name: string, width = 1, fill = 0): Column<Float64Array> {
    return this.add(name, Float64Array, width, fill) as Column<Float64Array>;
  }
  f32(name: string, width = 1, fill = 0): Column<Float32Array> {
    return this.add(name, Float32Array, width, fill) as Column<Float32Array>;
  }
  i32(name: string, width = 1, fill = 0): Column<Int32Array> {
    return this.add(name, Int32Array, width, fill) as Column<Int32Array>;
  }
  u32(name: string, width = 1, fill = 0): Column<Uint32Array> {
    return this.add(name, Uint32Array, width, fill) as Column<Uint32Array>;
  }
  u16(name: string, width = 1, fill = 0): Column<Uint16Array> {
    return this.add(name, Uint16Array, width, fill) as Column<Uint16Array>;
  }
  i16(name: string, width = 1, fill = 0): Column<Int16Array> {
    return this.add(name, Int16Array, width, fill) as Column<Int16Array>;
  }
  u8(name: string, width = 1, fill = 0): Column<Uint8Array> {
    return this.add(name, Uint8Array, width, fill) as Column<Uint8Array>;
  }
  i8(name: string, width = 1, fill = 0): Column<Int8Array> {
    return this.add(name, Int8Array, width, fill) as Column<Int8Array>;
  }

  private add(name: string, ctor: ArrayCtor, width: number, fill: number): Column<Typed> {
    if (this.entries.some((e) => e.col.name === name)) throw new Error(`state column "${name}" declared twice`);
    const a = new ctor(this.capacity * width);
    if (fill !== 0) a.fill(fill);
    const col: Column<Typed> = { name, width, a };
    this.entries.push({ col, ctor, fill });
    return col;
  }

  /** Makes room for device numbers below `n`. */
  ensure(n: number): void {
    if (n <= this.capacity) return;
    let cap = this.capacity;
    while (cap < n) cap *= 2;
    for (const e of this.entries) {
      const bigger = new e.ctor(cap * e.col.width);
      bigger.set(e.col.a as never);
      if (e.fill !== 0) bigger.fill(e.fill, this.capacity * e.col.width);
      e.col.a = bigger;
    }
    this.capacity = cap;
  }

  /** Bytes of state each device costs across all columns. */
  bytesPerDevice(): number {
    return this.entries.reduce((sum, e) => sum + e.col.width * e.ctor.BYTES_PER_ELEMENT, 0);
  }

  /** Bytes allocated in all (including room not yet used). */
  allocatedBytes(): number {
    return this.entries.reduce((sum, e) => sum + e.col.a.byteLength, 0);
  }

  /** Per column: name, bytes per device. */
  layout(): { name: string; bytes: number }[] {
    return this.entries.map((e) => ({ name: e.col.name, bytes: e.col.width * e.ctor.BYTES_PER_ELEMENT }));
  }

  /** The first `devices` devices' state, column by column, as byte views (for snapshots). */
  save(devices: number): { name: string; bytes: Uint8Array }[] {
    return this.entries.map((e) => ({ name: e.col.name, bytes: new Uint8Array(e.col.a.buffer, e.col.a.byteOffset, devices * e.col.width * e.ctor.BYTES_PER_ELEMENT) }));
  }

  /** Restores columns saved by `save`; throws when the layout differs (detectors or their parameters changed). */
  load(devices: number, saved: ReadonlyMap<string, Uint8Array>): void {
    this.ensure(devices);
    for (const e of this.entries) {
      const bytes = saved.get(e.col.name);
      const want = devices * e.col.width * e.ctor.BYTES_PER_ELEMENT;
      if (bytes === undefined || bytes.byteLength !== want) throw new Error(`state column "${e.col.name}" is missing or has another size`);
      new Uint8Array(e.col.a.buffer, e.col.a.byteOffset, want).set(bytes);
    }
  }
}
