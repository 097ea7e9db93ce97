/**
 * One record on its way through the detection engine. Readers fill it with byte ranges of its cells (`set`), `decode`
 * turns those into numbers and hashes once, and detectors read the typed values. It is reused for every record, so
 * the hot path allocates nothing; `text(field)` makes a string only when an alert needs one.
 */
import { EVENT_WORDS, F, FIELD_COUNT, FIELD_MAX_LEN, FIELD_NAMES, FIELD_TYPE_CODES, KIND, KIND_EVENTS, KIND_WORDS, T } from "./fields.ts";
import type { RowViews, Slot } from "./batch.ts";
import { hashBytes, looksIPv6, mix32, parseIPv4, parseNum, parseTs, Vocab } from "./bytes.ts";

const EMPTY = new Uint8Array(0);
const kinds = new Vocab(KIND_WORDS);
const events = new Vocab(EVENT_WORDS);
const utf8 = new TextDecoder();
const encoder = new TextEncoder();
/** Ranges at or above this offset point into the record's own scratch buffer (`setText`), not the reader's. */
const AUX = 0x40000000;

/**
 * Bounds of each numeric field, as typed arrays the per-cell code indexes by field number: the smallest value (0 for
 * counts, codes and ports; -Infinity or minus the range in degrees for the signed ones) and the largest.
 */
const MIN = new Float64Array(FIELD_COUNT);
const MAX = new Float64Array(FIELD_COUNT).fill(Infinity);
MIN[F.value] = -Infinity;
MIN[F.lat] = -90;
MAX[F.lat] = 90;
MIN[F.lon] = -180;
MAX[F.lon] = 180;
for (const f of FIELD_NAMES.keys()) if (FIELD_TYPE_CODES[f] === T.int) MAX[f] = 4294967295;
MAX[F.duration] = 10 * 365 * 86_400; // ten years: a longer "connection" is a broken exporter
MAX[F.src_port] = MAX[F.dst_port] = 65535;
MAX[F.mcc] = MAX[F.mnc] = 999;

/**
 * The latest time a record may carry: the last instant a JavaScript Date can represent (year 275760). Epoch seconds
 * beyond it would make every date computation fail, so they are rejected as they are read.
 */
export const MAX_TS = 8.64e15;

/** The largest value a numeric field may hold (the smallest is 0 unless the field is signed). */
export function fieldMax(f: number): number {
  return MAX[f]!;
}

export class Rec {
  // The per-field arrays are re-pointed at a batch row when the record shows one (`showRow`); never keep them.
  buf: Uint8Array<ArrayBufferLike> = EMPTY;
  start: Int32Array<ArrayBufferLike> = new Int32Array(FIELD_COUNT).fill(-1);
  end: Int32Array<ArrayBufferLike> = new Int32Array(FIELD_COUNT);
  /** Numbers (IPv4 addresses as unsigned 32-bit values, -1 for IPv6); NaN when absent. */
  num: Float64Array<ArrayBufferLike> = new Float64Array(FIELD_COUNT).fill(NaN);
  /** 32-bit hashes of text and address fields; 0 when absent. Identifiers are hashed on demand (`idHash`). */
  hash: Int32Array<ArrayBufferLike> = new Int32Array(FIELD_COUNT);
  private setList: Uint8Array<ArrayBufferLike> = new Uint8Array(FIELD_COUNT);
  private setCount = 0;
  /**
   * 1 for fields a reader already decoded while splitting (`setDecoded`, `setTs`, `setWord`): `decode` skips them.
   * Every way of setting a field sets its flag, so `reset` need not clear them.
   */
  private readonly ready = new Uint8Array(FIELD_COUNT);
  /** At least the number of set fields not yet decoded (each `set` counts one, each field marked ready takes it back). */
  private pending = 0;
  private aux = new Uint8Array(1024);
  private auxLen = 0;

  kind = -1;
  event = -1;
  /**
   * Event time: when the record became known. For most records the time it carries; for a Zeek connection its end
   * (`ts + duration`), since Zeek logs a connection when it ends — windows count it then, and alerts are dated then.
   */
  ts = NaN;
  /** When what the record describes began: a flow's start (Zeek's `ts`); equal to `ts` for everything else. */
  began = NaN;
  /** Set by readers of Zeek logs: `ts` is the connection's start, so `decode` moves event time to its end. */
  zeekTime = false;
  /** Index of the input the record came from, and its line there (for evidence and rejects). */
  source = 0;
  line = 0;

  // Filled by the engine when it resolves the device.
  device = -1;
  /** For flows: true when the device started the flow (it is the source), false when it was contacted. */
  outbound = true;
  /** For flows: the field holding the other end's address and port, from the device's point of view. */
  remoteIp: number = F.dst_ip;
  remotePort: number = F.dst_port;

  /** Starts a new record over `buf`; the ranges given to `set` point into it. */
  reset(buf: Uint8Array): void {
    for (let i = 0; i < this.setCount; i++) {
      const f = this.setList[i]!;
      this.start[f] = -1;
      this.num[f] = NaN;
      this.hash[f] = 0;
    }
    this.setCount = 0;
    this.pending = 0;
    this.auxLen = 0;
    this.buf = buf;
    this.kind = -1;
    this.event = -1;
    this.ts = NaN;
    this.zeekTime = false;
    this.device = -1;
  }

  set(f: number, s: number, e: number): void {
    if (this.start[f]! < 0) this.setList[this.setCount++] = f;
    this.start[f] = s;
    this.end[f] = e;
    this.ready[f] = 0;
    this.pending++;
  }

  /*
   * Cells a reader decoded itself on its fast path (see the helpers below). The values must be exactly what `decode`
   * would make of the bytes, and valid; anything else goes through `set`, and `decode` reads or rejects it.
   */
  setDecoded(f: number, s: number, e: number, num: number, hash: number): void {
    this.set(f, s, e);
    this.num[f] = num;
    this.hash[f] = hash;
    this.ready[f] = 1;
    this.pending--;
  }
  setTs(f: number, s: number, e: number, ts: number): void {
    this.set(f, s, e);
    this.ts = ts;
    this.ready[f] = 1;
    this.pending--;
  }
  /** `kind` or `event`, as the word's number (`wordOf`). */
  setWord(f: number, s: number, e: number, code: number): void {
    this.set(f, s, e);
    if (f === F.kind) this.kind = code;
    else this.event = code;
    this.ready[f] = 1;
    this.pending--;
  }

  /** Sets a field from a string (slow paths: quoted CSV, JSON values, mapped values). */
  setText(f: number, value: string): void {
    const need = this.auxLen + value.length * 3;
    if (need > this.aux.length) {
      const bigger = new Uint8Array(Math.max(need, this.aux.length * 2));
      bigger.set(this.aux.subarray(0, this.auxLen));
      this.aux = bigger;
    }
    const n = encoder.encodeInto(value, this.aux.subarray(this.auxLen)).written;
    this.set(f, AUX + this.auxLen, AUX + this.auxLen + n);
    this.auxLen += n;
  }

  /** The buffer a field's bytes are in, and their range there (for lookups that hash bytes). */
  fieldBuf(f: number): Uint8Array {
    return this.start[f]! >= AUX ? this.aux : this.buf;
  }
  fieldStart(f: number): number {
    const s = this.start[f]!;
    return s >= AUX ? s - AUX : s;
  }
  fieldEnd(f: number): number {
    const e = this.end[f]!;
    return this.start[f]! >= AUX ? e - AUX : e;
  }

  /** The hash of an identifier field's bytes (computed once per record: most records carry identifiers never looked up). */
  idHash(f: number): number {
    let h = this.hash[f]!;
    if (h === 0) h = this.hash[f] = hashBytes(this.fieldBuf(f), this.fieldStart(f), this.fieldEnd(f));
    return h;
  }

  has(f: number): boolean {
    return this.start[f]! >= 0;
  }

  text(f: number): string | undefined {
    const s = this.start[f]!;
    if (s < 0) return undefined;
    return s >= AUX ? utf8.decode(this.aux.subarray(s - AUX, this.end[f]! - AUX)) : utf8.decode(this.buf.subarray(s, this.end[f]));
  }

  /**
   * Fills the record from a plain object with the canonical field names (what a live transport receives as JSON) and
   * decodes it; returns null or the reason it is rejected. Values may be strings or numbers; null means absent.
   */
  fromObject(o: Readonly<Record<string, unknown>>, defaultKind = -1): string | null {
    this.reset(EMPTY);
    for (const name of FIELD_NAMES) {
      const v = o[name];
      if (v === undefined || v === null) continue;
      if (typeof v !== "string" && typeof v !== "number") return `${name}: expected text or a number`;
      this.setText(F[name], String(v));
    }
    return this.decode(defaultKind);
  }

  /** The fields present, in the canonical order, for rejects files, evidence and tests. */
  fields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let f = 0; f < FIELD_COUNT; f++) if (this.has(f)) out[FIELD_NAMES[f]!] = this.text(f)!;
    return out;
  }

  /** The range of `buf` this record's cells span (those not in its scratch bytes): [lo, hi), hi < 0 when none. */
  spanLo = 0;
  spanHi = -1;
  measure(): void {
    let lo = 0x7fffffff;
    let hi = -1;
    for (let i = 0; i < this.setCount; i++) {
      const f = this.setList[i]!;
      const s = this.start[f]!;
      if (s >= AUX) continue;
      if (s < lo) lo = s;
      if (this.end[f]! > hi) hi = this.end[f]!;
    }
    this.spanLo = lo;
    this.spanHi = hi;
  }

  /** Bytes of the record's scratch buffer (cells set from strings). */
  get scratchBytes(): number {
    return this.auxLen;
  }

  /** The row the record is bound to (`bindRow`): where its field count is kept. */
  private rowCounts: Uint8Array | undefined;
  private row = 0;

  /**
   * Binds the record to row `k` of a batch slot: the readers then write its cells straight into the row. The row's
   * field list says what the record that used it before had set, so the next `reset` clears exactly that.
   */
  bindRow(rows: RowViews, k: number): void {
    this.pointAt(rows, k);
    this.setList = rows.list[k]!;
    this.setCount = rows.slot.count[k]!;
    this.rowCounts = rows.slot.count;
    this.row = k;
  }

  /** Keeps the field count with the row (after each record read into it, kept or not). */
  leaveRow(): void {
    this.rowCounts![this.row] = this.setCount;
  }

  /** Moves the bound record, as read, to row `k` of another slot (a record that did not fit its batch). */
  moveToRow(rows: RowViews, k: number): void {
    const { start, end, num, hash, setList } = this;
    const n = this.setCount;
    const to = rows.list[k]!;
    const rs = rows.start[k]!;
    const rn = rows.num[k]!;
    const rh = rows.hash[k]!;
    for (let i = 0, stale = rows.slot.count[k]!; i < stale; i++) {
      const f = to[i]!;
      rs[f] = -1;
      rn[f] = NaN;
      rh[f] = 0;
    }
    const re = rows.end[k]!;
    for (let i = 0; i < n; i++) {
      const f = setList[i]!;
      to[i] = f;
      rs[f] = start[f]!;
      re[f] = end[f]!;
      rn[f] = num[f]!;
      rh[f] = hash[f]!;
    }
    rows.slot.count[k] = n;
    this.pointAt(rows, k);
    this.setList = to;
    this.rowCounts = rows.slot.count;
    this.row = k;
  }

  /**
   * Completes the bound row: cells in `buf` move to their offset + `shift` in the row's bytes (the caller copies
   * those bytes there), scratch cells to `auxAt` in `bytes`, where their bytes are copied.
   */
  finishRow(slot: Slot, shift: number, bytes: Uint8Array, auxAt: number): void {
    if (this.auxLen > 0) bytes.set(this.aux.subarray(0, this.auxLen), auxAt);
    const { start, end, setList } = this;
    for (let i = 0; i < this.setCount; i++) {
      const f = setList[i]!;
      const s = start[f]!;
      const moved = s >= AUX ? s - AUX + auxAt : s + shift;
      start[f] = moved;
      end[f] = moved + (end[f]! - s);
    }
    const k = this.row;
    slot.ts[k] = this.ts;
    slot.began[k] = this.began;
    slot.line[k] = this.line;
    slot.kind[k] = this.kind;
    slot.event[k] = this.event;
  }

  private pointAt(rows: RowViews, k: number): void {
    this.start = rows.start[k]!;
    this.end = rows.end[k]!;
    this.num = rows.num[k]!;
    this.hash = rows.hash[k]!;
  }

  /**
   * Shows row `k` of a batch (which the worker read a record into: `bindRow` … `finishRow`): the record's arrays
   * become views of that row, `buf` its bytes.
   */
  showRow(rows: RowViews, k: number, bytes: Uint8Array): void {
    const slot = rows.slot;
    this.buf = bytes;
    this.pointAt(rows, k);
    this.ts = slot.ts[k]!;
    this.began = slot.began[k]!;
    this.line = slot.line[k]!;
    this.kind = slot.kind[k]!;
    this.event = slot.event[k]!;
    this.device = -1;
  }

  /**
   * Decodes every cell that was set. Returns null when the record is usable, or the reason it is rejected.
   * `defaultKind` applies when the record has no `kind` cell (a file of one kind, or a Zeek log).
   */
  decode(defaultKind: number): string | null {
    for (let i = 0; i < this.setCount && this.pending > 0; i++) {
      const f = this.setList[i]!;
      if (this.ready[f] === 1) continue;
      let s = this.start[f]!;
      let e = this.end[f]!;
      let b = this.buf;
      if (s >= AUX) {
        b = this.aux;
        s -= AUX;
        e -= AUX;
      }
      switch (FIELD_TYPE_CODES[f]) {
        case T.ts:
          this.ts = parseTs(b, s, e);
          if (this.ts !== this.ts) return this.bad(f, yearBefore1970(b, s, e) ? "is before 1970: an implausible time (a device clock that was never set?)" : "is not an ISO 8601 date-time or epoch seconds");
          if (this.ts > MAX_TS) return this.bad(f, "is beyond the latest date a clock can show (year 275760)");
          break;
        case T.num: {
          const v = parseNum(b, s, e);
          if (v !== v) return this.bad(f, "is not a number");
          if (v < MIN[f]! || v > MAX[f]!) return this.bad(f, MIN[f] === 0 ? "is negative" : `is outside ±${MAX[f]}`);
          this.num[f] = v;
          break;
        }
        case T.int: {
          const v = parseNum(b, s, e);
          if (!(v >= 0) || v % 1 !== 0 || v > MAX[f]!) return this.bad(f, `is not a whole number in 0-${MAX[f]}`);
          this.num[f] = v;
          break;
        }
        case T.ip: {
          const v4 = parseIPv4(b, s, e);
          if (v4 >= 0) {
            this.num[f] = v4;
            this.hash[f] = mix32(v4) | 1;
          } else if (looksIPv6(b, s, e)) {
            this.num[f] = -1;
            this.hash[f] = hashBytes(b, s, e);
          } else return this.bad(f, "is not an IPv4 or IPv6 address");
          break;
        }
        case T.raw:
          if (e - s > FIELD_MAX_LEN[f]!) return this.bad(f, `is longer than ${FIELD_MAX_LEN[f]} characters`);
          break;
        case T.enum:
          if (f === F.kind) {
            this.kind = kinds.lookup(b, s, e);
            if (this.kind < 0) return this.bad(f, `is not one of ${KIND_WORDS.join(", ")}`);
          } else {
            this.event = events.lookup(b, s, e);
            if (this.event < 0) return this.bad(f, "is not a known event");
          }
          break;
        case T.id: {
          // Not hashed here: only the identifier that names the device is looked up (`idHash`).
          if (e - s > FIELD_MAX_LEN[f]!) return this.bad(f, `is longer than ${FIELD_MAX_LEN[f]} characters`);
          const v = identifierNumber(f, b, s, e);
          if (v === -1) return this.bad(f, f === F.imei ? "is not an IMEI (14-16 digits)" : f === F.imsi ? "is not an IMSI (6-15 digits)" : "is not an ICCID (18-22 digits)");
          this.num[f] = v;
          break;
        }
        default:
          if (e - s > FIELD_MAX_LEN[f]!) return this.bad(f, `is longer than ${FIELD_MAX_LEN[f]} characters`);
          this.hash[f] = hashBytes(b, s, e);
      }
    }
    if (this.kind < 0) this.kind = defaultKind;
    // A record with Zeek's own field names (id.orig_h …) is a Zeek connection: a flow, whatever the file's kind.
    if (this.kind < 0 && this.zeekTime) this.kind = KIND.flow;
    if (this.kind < 0) return "kind: missing (add a kind column, or give the file's kind)";
    if (this.ts !== this.ts) return "ts: missing";
    this.began = this.ts;
    if (this.zeekTime && this.kind === KIND.flow) {
      const d = this.num[F.duration]!;
      if (d > 0) this.ts = this.began + Math.round(d * 1000);
    }
    return this.checkKind();
  }

  private checkKind(): string | null {
    const k = this.kind;
    if (k === KIND.flow) {
      if (!this.has(F.dst_ip)) return "flow: needs dst_ip";
      if (!this.has(F.src_ip) && !this.hasIdentifier()) return "flow: needs src_ip or an identifier of its device";
      return null;
    }
    if (k === KIND.connectivity || k === KIND.broker) {
      if (this.event < 0) return `${KIND_WORDS[k]}: needs an event`;
      if ((KIND_EVENTS[k]! & (1 << this.event)) === 0) return this.bad(F.event, `is not a ${KIND_WORDS[k]} event`);
    } else if (k === KIND.metric) {
      if (!this.has(F.metric) || !this.has(F.value)) return "metric: needs metric and value";
    }
    if (!this.hasIdentifier()) return "no identifier: needs one of device_id, mqtt_client_id, iccid, imsi, imei, mac, ip";
    return null;
  }

  hasIdentifier(): boolean {
    return this.has(F.device_id) || this.has(F.mqtt_client_id) || this.has(F.iccid) || this.has(F.imsi) || this.has(F.imei) || this.has(F.mac) || this.has(F.ip);
  }

  private bad(f: number, why: string): string {
    const t = this.text(f) ?? "";
    return `${FIELD_NAMES[f]}: "${t.length > 40 ? `${t.slice(0, 40)}…` : t}" ${why}`;
  }
}

/** The number of `kind` or `event` bytes whose FNV hash is `h`, or -1 when they are not a known word. */
export function wordOf(f: number, b: Uint8Array, s: number, e: number, h: number): number {
  return (f === F.kind ? kinds : events).lookup(b, s, e, h);
}

/**
 * The digits of an IMEI, IMSI or ICCID as a number (-1 when they are not one); NaN for identifiers that are not
 * numbers. An IMEI is kept as its 14-digit body (TAC + serial): the check digit and IMEISV's version digits vary.
 */
export function identifierNumber(f: number, b: Uint8Array, s: number, e: number): number {
  if (f === F.imei) return digits(b, s, e, 14, 16, 14);
  if (f === F.imsi) return digits(b, s, e, 6, 15);
  if (f === F.iccid) return digits(b, s, e, 18, 22);
  return NaN;
}

/** A string of digits as a number (exact up to 15 digits, a hash beyond), or -1 when it is not digits. */
function digits(b: Uint8Array, s: number, e: number, min: number, max: number, keep = 15): number {
  let end = e;
  if (max === 22 && end > s && (b[end - 1] === 70 || b[end - 1] === 102)) end--; // ICCIDs may carry a filler F
  let v = 0;
  for (let i = s; i < end; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) return -1;
    if (i - s < keep) v = v * 10 + c;
  }
  const n = end - s;
  return n < min || n > max ? -1 : v;
}

/** An ISO date whose year is before 1970 (epoch time starts there; such dates come from clocks that were never set). */
function yearBefore1970(b: Uint8Array, s: number, e: number): boolean {
  if (e - s < 10 || b[s + 4] !== 45) return false;
  let y = 0;
  for (let i = s; i < s + 4; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return false;
    y = y * 10 + d;
  }
  return y < 1970;
}
