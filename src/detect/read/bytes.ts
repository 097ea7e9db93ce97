/**
 * Decoding values straight from bytes, without making strings: the detection readers call these once per cell, so
 * they are written as plain loops over a Uint8Array. Each returns NaN (or -1) when the bytes are not what was asked
 * for, and the caller turns that into a reject reason.
 */

/** FNV-1a, 32 bits, over bytes. Never returns 0, which callers use for "absent". */
export function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h === 0 ? 1 : h;
}

/** The same hash over a string's UTF-16 code units; equal to hashBytes for ASCII text. */
export function hashString(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return h === 0 ? 1 : h;
}

/**
 * The same hash over a string's UTF-8 bytes, as hashBytes over `new TextEncoder().encode(t)` gives (a lone surrogate
 * counts as U+FFFD, as TextEncoder writes it), without making the bytes: detectors call it once per record.
 */
export function hashUtf8(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) {
    let c = t.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < t.length ? t.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), 0x01000193);
    } else if (c < 0x10000) {
      h = Math.imul(h ^ (0xe0 | (c >> 12)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
    } else {
      h = Math.imul(h ^ (0xf0 | (c >> 18)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), 0x01000193);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
    }
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
  }
  return h === 0 ? 1 : h;
}

/** A 32-bit integer mix (from murmur3's finaliser), for hashing numbers into sketches. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const latin1 = new TextDecoder("latin1");

/** Reads a decimal number: integers and simple fractions in a loop, anything else (exponents …) through Number(). */
export function parseNum(b: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (i < e && (b[i] === 45 || b[i] === 43)) {
    neg = b[i] === 45;
    i++;
  }
  if (i >= e) return NaN;
  let v = 0;
  let digits = 0;
  const intStart = i;
  for (; i < e; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    digits++;
  }
  if (i === e) return digits > 15 ? slowNum(b, s, e) : neg ? -v : v;
  if (b[i] === 46) {
    let scale = 1;
    i++;
    for (; i < e; i++) {
      const c = b[i]! - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      scale *= 10;
      digits++;
    }
    // One correctly rounded division of two exact integers gives what Number() gives, while the digits fit 2^53.
    if (i === e && digits <= 15 && (digits > 0 || i - intStart > 1)) return (neg ? -v : v) / scale;
  }
  return slowNum(b, s, e);
}

function slowNum(b: Uint8Array, s: number, e: number): number {
  const t = latin1.decode(b.subarray(s, e)).trim();
  if (t === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return NaN;
  return Number(t);
}

/** An IPv4 address as an unsigned 32-bit number, or -1. */
export function parseIPv4(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || digits === 3) return -1;
      if (digits === 1 && part === 0) return -1; // no leading zeros: 010 is ambiguous (octal in some tools)
      part = part * 10 + d;
      digits++;
      if (part > 255) return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

/** Loose IPv6 shape check (hex groups, colons, an optional dotted tail); exact parsing happens only where needed. */
export function looksIPv6(b: Uint8Array, s: number, e: number): boolean {
  if (e - s < 2 || e - s > 45) return false;
  let colons = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 58) colons++;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46 || c === 37)) return false;
  }
  return colons >= 2 && colons <= 7;
}

export function formatIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

// Days from 1970-01-01 to the first of each month in a non-leap year.
const MONTH_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

function digits2(b: Uint8Array, i: number): number {
  const a = b[i]! - 48;
  const c = b[i + 1]! - 48;
  return a >= 0 && a <= 9 && c >= 0 && c <= 9 ? a * 10 + c : NaN;
}

/**
 * A timestamp as epoch milliseconds: ISO 8601 (`2026-11-25T10:00:00Z`, a fraction, `+02:00`, a space for `T`, no zone
 * meaning UTC) or epoch seconds with a fraction. NaN when it is neither.
 */
export function parseTs(b: Uint8Array, s: number, e: number): number {
  if (e - s >= 10 && b[s + 4] === 45) return parseIso(b, s, e);
  const v = parseNum(b, s, e);
  return v >= 0 ? Math.round(v * 1000) : NaN;
}

const MONTH_LEN = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The last date asked for and its start: records come in time order, so most share their date with the previous one. */
let lastDate = -1;
let lastDateMs = NaN;

/** Epoch milliseconds at the start of a date, NaN for a day the month does not have. */
function dayStart(y: number, mo: number, d: number): number {
  const key = (y * 100 + mo) * 100 + d;
  if (key === lastDate) return lastDateMs;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const monthLen = mo === 2 ? (leap ? 29 : 28) : MONTH_LEN[mo - 1]!;
  if (d > monthLen) return NaN;
  const y1 = y - 1;
  const days = (y - 1970) * 365 + (Math.floor(y1 / 4) - 492) - (Math.floor(y1 / 100) - 19) + (Math.floor(y1 / 400) - 4) + MONTH_DAYS[mo - 1]! + (leap && mo > 2 ? 1 : 0) + d - 1;
  lastDate = key;
  lastDateMs = days * 86_400_000;
  return lastDateMs;
}

function parseIso(b: Uint8Array, s: number, e: number): number {
  const y = digits2(b, s) * 100 + digits2(b, s + 2);
  const mo = digits2(b, s + 5);
  const d = digits2(b, s + 8);
  if (b[s + 7] !== 45 || !(mo >= 1 && mo <= 12) || !(d >= 1 && d <= 31) || !(y >= 1970)) return NaN;
  let ms = dayStart(y, mo, d);
  if (ms !== ms) return NaN;
  let i = s + 10;
  if (i === e) return ms;
  if (b[i] !== 84 && b[i] !== 32 && b[i] !== 116) return NaN;
  if (e - i < 6) return NaN;
  const h = digits2(b, i + 1);
  const mi = digits2(b, i + 4);
  if (b[i + 3] !== 58 || !(h <= 23) || !(mi <= 59)) return NaN;
  ms += h * 3_600_000 + mi * 60_000;
  i += 6;
  if (i < e && b[i] === 58) {
    const sec = digits2(b, i + 1);
    if (!(sec <= 60)) return NaN;
    ms += sec * 1000;
    i += 3;
    if (i < e && (b[i] === 46 || b[i] === 44)) {
      let scale = 100;
      i++;
      const from = i;
      for (; i < e; i++) {
        const c = b[i]! - 48;
        if (c < 0 || c > 9) break;
        ms += c * scale;
        scale /= 10;
      }
      if (i === from) return NaN;
    }
  }
  if (i === e || ((b[i] === 90 || b[i] === 122) && i + 1 === e)) return Math.round(ms);
  if (b[i] !== 43 && b[i] !== 45) return NaN;
  const sign = b[i] === 43 ? -1 : 1;
  const oh = digits2(b, i + 1);
  const om = e - i === 6 && b[i + 3] === 58 ? digits2(b, i + 4) : e - i === 5 ? digits2(b, i + 3) : e - i === 3 ? 0 : NaN;
  if (!(oh <= 23) || !(om <= 59)) return NaN;
  return Math.round(ms + sign * (oh * 3_600_000 + om * 60_000));
}

/** A fixed vocabulary of words, looked up from bytes without making a string. */
export class Vocab {
  private readonly codes = new Map<number, number>();
  private readonly words: Uint8Array[] = [];

  constructor(words: readonly string[]) {
    words.forEach((w, i) => {
      const bytes = new TextEncoder().encode(w);
      this.words.push(bytes);
      this.codes.set(hashBytes(bytes, 0, bytes.length), i);
    });
  }

  /** The word's number, or -1. */
  lookup(b: Uint8Array, s: number, e: number, h = hashBytes(b, s, e)): number {
    const code = this.codes.get(h);
    if (code === undefined) return -1;
    const w = this.words[code]!;
    if (w.length !== e - s) return -1;
    for (let i = 0; i < w.length; i++) if (w[i] !== b[s + i]) return -1;
    return code;
  }
}
