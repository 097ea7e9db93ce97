/**
 * Everything the engine learned as a stream of byte chunks, and back: live ingest's checkpoints go through it, so a
 * caller can write the state into a store transaction (or a file) piece by piece — no single buffer of the whole
 * state, which for a large fleet would pass the 2 GiB a Node buffer may hold.
 *
 * Layout: "LWST", u32 version, u32 header length, the header (JSON: clock, detectors, where each part is, the
 * detectors' and alert book's small state), then each part's bytes (device index, state columns, typed arrays that
 * detectors keep outside the columns, and whatever the caller adds), then a CRC-32 of everything before it. The
 * chunks are views of the engine's own arrays: read them all before the engine processes another record.
 */
import { crc32 } from "node:zlib";
import { LongwatchError } from "../core/errors.ts";
import { DeviceIndex } from "./device-index.ts";
import type { Engine } from "./engine.ts";

export const STATE_VERSION = 3;
const MAGIC = [0x4c, 0x57, 0x53, 0x54]; // "LWST"
/** Parts are handed out in slices of at most this, so no consumer needs a buffer of a whole column. */
const SLICE = 64 << 20;

interface PartInfo {
  name: string;
  length: number;
}

interface Header {
  version: number;
  now: number | null;
  tickDue: number | null;
  devices: number;
  detectors: string[];
  parts: PartInfo[];
  fleet: unknown;
  detectorState: Record<string, unknown>;
  alerts: unknown;
  stats: Engine["stats"];
  extra: unknown;
}

type TypedName = "Uint8Array" | "Int8Array" | "Uint16Array" | "Int16Array" | "Uint32Array" | "Int32Array" | "Float32Array" | "Float64Array";
const TYPED = { Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array } as const;

/** Replaces typed arrays inside a JSON-able value by references to parts, collecting their bytes. */
function extractArrays(value: unknown, prefix: string, parts: { name: string; bytes: Uint8Array }[]): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const type = (Object.keys(TYPED) as TypedName[]).find((t) => value instanceof TYPED[t]);
    if (type === undefined) throw new Error(`cannot save a ${value.constructor.name}`);
    const name = `${prefix}#${parts.length}`;
    parts.push({ name, bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) });
    return { $part: name, type };
  }
  if (Array.isArray(value)) return value.map((v) => extractArrays(v, prefix, parts));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, extractArrays(v, prefix, parts)]));
  return value;
}

function restoreArrays(value: unknown, parts: ReadonlyMap<string, Uint8Array>): unknown {
  if (Array.isArray(value)) return value.map((v) => restoreArrays(v, parts));
  if (value !== null && typeof value === "object") {
    const o = value as { $part?: string; type?: TypedName };
    if (typeof o.$part === "string" && o.type !== undefined && o.type in TYPED) {
      const bytes = parts.get(o.$part)!;
      const ctor = TYPED[o.type];
      const out = new ctor(bytes.byteLength / ctor.BYTES_PER_ELEMENT);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restoreArrays(v, parts)]));
  }
  return value;
}

/**
 * The engine's state (plus the caller's `extra`, whose typed arrays become parts too) as chunks. Consume it before
 * the engine moves on: the chunks are views of its live arrays. With `crc: false` the stream stops before its
 * CRC-32 tail: a caller that copies the chunks (a checkpoint taken while records keep flowing) computes it over the
 * copies later and ends the stream with `stateTail` — half the time the copy holds the engine is the CRC.
 */
export function* encodeState(engine: Engine, extra: unknown = null, o: { crc?: boolean } = {}): Generator<Uint8Array> {
  const sum = o.crc !== false;
  const devices = engine.devices();
  const parts: { name: string; bytes: Uint8Array }[] = [];
  for (const [name, bytes] of Object.entries(engine.index.save())) parts.push({ name: `index:${name}`, bytes });
  for (const c of engine.columns.save(devices)) parts.push({ name: `column:${c.name}`, bytes: c.bytes });
  const detectorState = extractArrays(engine.saveDetectors(), "detector", parts) as Record<string, unknown>;
  const extraValue = extractArrays(extra, "extra", parts);
  const header: Header = {
    version: STATE_VERSION,
    now: Number.isFinite(engine.now) ? engine.now : null,
    tickDue: Number.isFinite(engine.tickDue) ? engine.tickDue : null,
    devices,
    detectors: engine.detectorIds(),
    parts: parts.map((p) => ({ name: p.name, length: p.bytes.byteLength })),
    fleet: engine.fleet.save(),
    detectorState,
    alerts: engine.book.save(),
    stats: engine.stats,
    extra: extraValue,
  };
  const json = Buffer.from(JSON.stringify(header));
  const head = new Uint8Array(12);
  head.set(MAGIC);
  const view = new DataView(head.buffer);
  view.setUint32(4, STATE_VERSION, true);
  view.setUint32(8, json.byteLength, true);
  let crc = sum ? crc32(head) : 0;
  yield head;
  if (sum) crc = crc32(json, crc);
  yield json;
  for (const p of parts) {
    for (let at = 0; at < p.bytes.byteLength; at += SLICE) {
      const slice = p.bytes.subarray(at, Math.min(p.bytes.byteLength, at + SLICE));
      if (sum) crc = crc32(slice, crc);
      yield slice;
    }
  }
  if (sum) yield stateTail(crc);
}

/** The end of a state stream: the CRC-32 (zlib's, as `crc32(bytes, previous)` chains it) of everything before it. */
export function stateTail(crc: number): Uint8Array {
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc >>> 0, true);
  return tail;
}

/**
 * Reads a state stream chunk by chunk (`push`), checking it as it goes, and restores it into a fresh engine built
 * with the same detectors and parameters (`apply`). Anything wrong — another format or version, a cut-off or
 * changed stream, other detectors — is a `state_invalid` error that says what.
 */
export class StateDecoder {
  private stage: "head" | "header" | "parts" | "tail" | "done" = "head";
  private need = 12;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private crc = 0;
  private header: Header | undefined;
  private part = 0;
  private partAt = 0;
  private readonly parts = new Map<string, Uint8Array>();

  push(chunk: Uint8Array): void {
    let c = chunk;
    while (c.byteLength > 0) {
      if (this.stage === "parts") {
        c = this.fillPart(c);
        continue;
      }
      if (this.stage === "done") throw invalid("the stream goes on after its end");
      const take = Math.min(c.byteLength, this.need - this.pendingBytes);
      this.pending.push(c.subarray(0, take));
      this.pendingBytes += take;
      c = c.subarray(take);
      if (this.pendingBytes === this.need) this.step(concat(this.pending, this.need));
    }
  }

  /** Restores the state read into `engine`; returns the caller's `extra` (with its typed arrays). */
  apply(engine: Engine): unknown {
    if (this.stage !== "done") throw invalid(`the stream ended early (in its ${this.stage})`);
    const h = this.header!;
    const want = engine.detectorIds().join(",");
    if (h.detectors.join(",") !== want) throw invalid(`the state was made with other detectors (${h.detectors.join(", ")}); use the same detectors`);
    const byPrefix = (prefix: string) => new Map([...this.parts].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    if (!Number.isInteger(h.devices) || h.devices < 0) throw invalid(`its header names ${String(h.devices)} devices`);
    let index: DeviceIndex;
    try {
      index = DeviceIndex.load(Object.fromEntries(byPrefix("index:")), h.devices);
    } catch (e) {
      throw invalid((e as Error).message);
    }
    if (index.count !== h.devices) throw invalid(`its device index holds ${index.count} devices where the header counts ${h.devices}`);
    engine.fleet.load(h.fleet);
    engine.restoreIndex(index, h.now ?? -Infinity, h.tickDue ?? -Infinity);
    try {
      engine.columns.load(h.devices, byPrefix("column:"));
    } catch (e) {
      throw invalid((e as Error).message);
    }
    engine.loadDetectors(restoreArrays(h.detectorState, this.parts) as Record<string, unknown>);
    engine.book.load(h.alerts);
    Object.assign(engine.stats, h.stats);
    return restoreArrays(h.extra, this.parts);
  }

  private step(bytes: Uint8Array): void {
    this.pending = [];
    this.pendingBytes = 0;
    if (this.stage === "head") {
      if (MAGIC.some((b, i) => bytes[i] !== b)) throw invalid("not a Longwatch detection state");
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const version = view.getUint32(4, true);
      if (version !== STATE_VERSION) throw invalid(`version ${version}; this Longwatch reads version ${STATE_VERSION}`);
      this.crc = crc32(bytes);
      this.stage = "header";
      this.need = view.getUint32(8, true);
    } else if (this.stage === "header") {
      this.crc = crc32(bytes, this.crc);
      try {
        this.header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")) as Header;
      } catch {
        throw invalid("its header is not valid JSON");
      }
      this.stage = "parts";
      this.nextPart();
    } else if (this.stage === "tail") {
      const got = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
      if (got !== this.crc >>> 0) throw invalid("its checksum does not match (the stream was cut or changed)");
      this.stage = "done";
    }
  }

  private nextPart(): void {
    const parts = this.header!.parts;
    while (this.part < parts.length && parts[this.part]!.length === 0) this.parts.set(parts[this.part++]!.name, new Uint8Array(0));
    if (this.part >= parts.length) {
      this.stage = "tail";
      this.need = 4;
      return;
    }
    const p = parts[this.part]!;
    this.parts.set(p.name, new Uint8Array(p.length));
    this.partAt = 0;
  }

  private fillPart(c: Uint8Array): Uint8Array {
    const p = this.header!.parts[this.part]!;
    const target = this.parts.get(p.name)!;
    const take = Math.min(c.byteLength, p.length - this.partAt);
    const slice = c.subarray(0, take);
    target.set(slice, this.partAt);
    this.crc = crc32(slice, this.crc);
    this.partAt += take;
    if (this.partAt === p.length) {
      this.part++;
      this.nextPart();
    }
    return c.subarray(take);
  }
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function invalid(why: string): LongwatchError {
  return new LongwatchError("state_invalid", `detection state: ${why}`);
}

/** Restores a state stream (sync or async chunks) into `engine`; returns the caller's `extra`. */
export async function decodeState(engine: Engine, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<unknown> {
  const d = new StateDecoder();
  for await (const c of chunks) d.push(c);
  return d.apply(engine);
}
