/**
 * A minimal DER (ASN.1 Distinguished Encoding Rules) reader over bytes: just what X.509 needs. It works on offsets into
 * one buffer and never copies, because certificate parsing sits on the import hot path (100k certificates per fleet).
 *
 * Malformed input raises a DerError with the byte offset; the certificate parser catches it at its boundary and turns it
 * into an `{ error }` result, so no caller ever sees an exception.
 */

export class DerError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

/** One Tag-Length-Value element: `start` is where its header begins, `body`..`end` its contents. */
export interface Tlv {
  tag: number;
  start: number;
  body: number;
  end: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

/** Reads the element starting at `pos`; its contents must end at or before `limit`. */
export function readTlv(b: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new DerError("truncated: element header runs past the end", pos);
  const tag = b[pos]!;
  // X.509 only uses low tag numbers; the multi-byte form (0x1f) means this is not a certificate.
  if ((tag & 0x1f) === 0x1f) throw new DerError(`unsupported multi-byte tag 0x${hex2(tag)}`, pos);
  let len = b[pos + 1]!;
  let body = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError("indefinite length (BER, not DER)", pos);
    if (n > 4) throw new DerError(`length of ${n} bytes is too large`, pos);
    if (body + n > limit) throw new DerError("truncated: length bytes run past the end", pos);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[body + i]!;
    body += n;
  }
  const end = body + len;
  if (end > limit) throw new DerError(`truncated: element of ${len} bytes runs past the end`, pos);
  return { tag, start: pos, body, end };
}

/** Reads an element and checks its tag; `what` names the field for the error message. */
export function expect(b: Uint8Array, pos: number, limit: number, tag: number, what: string): Tlv {
  const t = readTlv(b, pos, limit);
  if (t.tag !== tag) throw new DerError(`expected ${what} (tag 0x${hex2(tag)}) but found tag 0x${hex2(t.tag)}`, pos);
  return t;
}

/** Every element directly inside a constructed element. */
export function children(b: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.body; p < parent.end; ) {
    const t = readTlv(b, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's contents, e.g. `1.2.840.113549.1.1.11`. */
export function oidString(b: Uint8Array, t: Tlv): string {
  if (t.tag !== TAG.OID) throw new DerError(`expected an OID but found tag 0x${hex2(t.tag)}`, t.start);
  if (t.end === t.body) throw new DerError("empty OID", t.start);
  if ((b[t.end - 1]! & 0x80) !== 0) throw new DerError("OID ends inside a sub-identifier", t.start);
  let out = "";
  let v = 0;
  let first = true;
  for (let i = t.body; i < t.end; i++) {
    const x = b[i]!;
    // Past 2^46 the next step would lose precision; no real OID arc is that large.
    if (v > 2 ** 46) throw new DerError("OID sub-identifier is too large", i);
    v = v * 128 + (x & 0x7f);
    if (x & 0x80) continue;
    if (first) {
      // The first sub-identifier packs the first two arcs as 40·a + b (a ≤ 2).
      const a = v < 80 ? Math.floor(v / 40) : 2;
      out = `${a}.${v - a * 40}`;
      first = false;
    } else out += `.${v}`;
    v = 0;
  }
  return out;
}

/** The magnitude bytes of a non-negative INTEGER: its contents without the leading 0x00 sign byte(s). */
export function unsignedRange(b: Uint8Array, t: Tlv): { start: number; end: number } {
  if (t.tag !== TAG.INTEGER) throw new DerError(`expected an INTEGER but found tag 0x${hex2(t.tag)}`, t.start);
  let s = t.body;
  while (s < t.end - 1 && b[s] === 0) s++;
  return { start: s, end: t.end };
}

/** Bit length of the unsigned big-endian number in b[start..end). */
export function bitLength(b: Uint8Array, start: number, end: number): number {
  let s = start;
  while (s < end && b[s] === 0) s++;
  if (s === end) return 0;
  return (end - s - 1) * 8 + (32 - Math.clz32(b[s]!));
}

/** A small non-negative INTEGER (lengths, versions, salt sizes); larger values are an error. */
export function smallInt(b: Uint8Array, t: Tlv): number {
  if (t.tag !== TAG.INTEGER) throw new DerError(`expected an INTEGER but found tag 0x${hex2(t.tag)}`, t.start);
  if (t.end === t.body) throw new DerError("empty INTEGER", t.start);
  if (t.end - t.body > 6 || (b[t.body]! & 0x80) !== 0) throw new DerError("INTEGER out of range", t.start);
  let v = 0;
  for (let i = t.body; i < t.end; i++) v = v * 256 + b[i]!;
  return v;
}

export function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** DER contents of a dotted OID (the inverse of oidString), for building lookup tables. */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new Error(`not an OID: ${dotted}`);
  const out: number[] = [];
  const push = (v: number) => {
    const bytes = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Uint8Array.from(out);
}

/**
 * A map from OIDs to values that is looked up with the OID's raw bytes. Turning every OID of a certificate into a
 * dotted string just to find it in a Map costs more than the rest of the parse (certificates hold dozens of OIDs),
 * so lookups hash the bytes and compare them instead; only unknown OIDs are ever turned into text.
 */
export class OidTable<T> {
  private readonly buckets = new Map<number, { bytes: Uint8Array; value: T }[]>();

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [dotted, value] of entries) {
      const bytes = encodeOid(dotted);
      const h = hashBytes(bytes, 0, bytes.length);
      const list = this.buckets.get(h);
      if (list) list.push({ bytes, value });
      else this.buckets.set(h, [{ bytes, value }]);
    }
  }

  /** The value for the OID element `t` of `b`, or undefined. */
  get(b: Uint8Array, t: Tlv): T | undefined {
    if (t.tag !== TAG.OID) throw new DerError(`expected an OID but found tag 0x${hex2(t.tag)}`, t.start);
    const list = this.buckets.get(hashBytes(b, t.body, t.end));
    if (list === undefined) return undefined;
    const len = t.end - t.body;
    for (const e of list) {
      if (e.bytes.length !== len) continue;
      let i = 0;
      while (i < len && e.bytes[i] === b[t.body + i]) i++;
      if (i === len) return e.value;
    }
    return undefined;
  }
}

/** FNV-1a over a byte range. */
function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  // Kept within 30 bits so it stays a small integer: Map lookups with heap-number keys are several times slower.
  return h & 0x3fffffff;
}
