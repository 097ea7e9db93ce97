/**
 * Certificate validity times (RFC 5280 4.1.2.5) to ISO 8601 UTC strings, read digit by digit without Date so it costs
 * next to nothing. UTCTime years 50–99 mean 19xx and 00–49 mean 20xx. Times must be in UTC (`Z`), as RFC 5280
 * requires; seconds may be missing (older BER encoders left them out) and fractions of a second are dropped.
 */
import { DerError, TAG, type Tlv } from "./der.ts";

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function readTime(b: Uint8Array, t: Tlv): string {
  const utc = t.tag === TAG.UTC_TIME;
  if (!utc && t.tag !== TAG.GENERALIZED_TIME) throw new DerError(`expected a UTCTime or GeneralizedTime but found tag 0x${t.tag.toString(16)}`, t.start);
  let p = t.body;
  const yearDigits = utc ? 2 : 4;
  let year = digitsAt(b, p, yearDigits, t.end);
  p += yearDigits;
  const month = digitsAt(b, p, 2, t.end);
  const day = digitsAt(b, p + 2, 2, t.end);
  const hour = digitsAt(b, p + 4, 2, t.end);
  const minute = digitsAt(b, p + 6, 2, t.end);
  p += 8;
  let second = 0;
  if (p < t.end && b[p] !== 0x5a) {
    second = digitsAt(b, p, 2, t.end);
    p += 2;
  }
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) throw new DerError("malformed time: expected digits", t.start);
  if (utc) year += year >= 50 ? 1900 : 2000;
  if (!utc && p < t.end && (b[p] === 0x2e || b[p] === 0x2c)) {
    p++;
    while (p < t.end && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
  }
  if (p !== t.end - 1 || b[p] !== 0x5a) throw new DerError("malformed time: must end in Z (UTC)", p);
  const leap = month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 1 : 0;
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]! + leap || hour > 23 || minute > 59 || second > 59) {
    throw new DerError("malformed time: date or time out of range", t.start);
  }
  return `${TWO_DIGITS[Math.floor(year / 100)]}${TWO_DIGITS[year % 100]}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}Z`;
}

/** The n-digit decimal number at b[p..], or -1 when a character is not a digit or the field is cut short. */
function digitsAt(b: Uint8Array, p: number, n: number, end: number): number {
  if (p + n > end) return -1;
  let v = 0;
  for (let i = p; i < p + n; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** "00" … "99": formatting a date this way is much cheaper than String(n).padStart for every field. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
