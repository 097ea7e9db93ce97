/**
 * Distinguished names as RFC 4514 strings: last RDN first, `,` between RDNs, `+` inside a multi-valued RDN, short
 * attribute names where known and the dotted OID otherwise, values of unknown type as `#` + hex of their DER.
 *
 * Certificate names are attacker-controlled text that ends up in terminals and reports, so besides the RFC 4514
 * escapes every control character is written as `\XX` (an ESC in a subject must never reach a terminal raw).
 */
import { DerError, expect, OidTable, oidString, readTlv, TAG, type Tlv } from "./der.ts";
import { NAME_ATTRIBUTES } from "./x509-oids.ts";

const attributeNames = new OidTable(NAME_ATTRIBUTES);

/**
 * Issuer names repeat across a fleet (a few CAs sign every device certificate), so their renderings are kept, keyed by
 * their DER bytes. Bounded: the cache is dropped when it fills up, which only costs re-rendering.
 */
const issuerNames = new Map<string, string>();
const ISSUER_CACHE_SIZE = 4096;

/** renderName for names that are likely to repeat; the result is the same, only cheaper the second time. */
export function renderRepeatedName(b: Buffer, name: Tlv): string {
  const key = b.toString("latin1", name.start, name.end);
  const known = issuerNames.get(key);
  if (known !== undefined) return known;
  const text = renderName(b, name);
  if (issuerNames.size >= ISSUER_CACHE_SIZE) issuerNames.clear();
  issuerNames.set(key, text);
  return text;
}

export function renderName(b: Buffer, name: Tlv): string {
  if (name.tag !== TAG.SEQUENCE) throw new DerError("a name must be a SEQUENCE", name.start);
  // Walk the RDNs in encoded order and prepend each one: RFC 4514 lists them last first.
  let out = "";
  for (let p = name.body; p < name.end; ) {
    const rdn = readTlv(b, p, name.end);
    if (rdn.tag !== TAG.SET) throw new DerError("a relative distinguished name must be a SET", rdn.start);
    let text = "";
    for (let q = rdn.body; q < rdn.end; ) {
      const ava = readTlv(b, q, rdn.end);
      if (ava.tag !== TAG.SEQUENCE) throw new DerError("an attribute in a name must be a SEQUENCE", ava.start);
      const type = expect(b, ava.body, ava.end, TAG.OID, "attribute type");
      if (type.end >= ava.end) throw new DerError("attribute without a value", ava.start);
      const value = readTlv(b, type.end, ava.end);
      const pair = `${attributeNames.get(b, type) ?? oidString(b, type)}=${renderValue(b, value)}`;
      text = text === "" ? pair : `${text}+${pair}`;
      q = ava.end;
    }
    out = p === name.body ? text : `${text},${out}`;
    p = rdn.end;
  }
  return out;
}

function renderValue(b: Buffer, v: Tlv): string {
  const text = decodeString(b, v);
  return text === undefined ? `#${b.toString("hex", v.start, v.end)}` : escapeValue(text);
}

/** The text of an ASN.1 string type, or undefined when the element is not one. */
export function decodeString(b: Buffer, v: Tlv): string | undefined {
  switch (v.tag) {
    case 0x0c: // UTF8String
      return shortAscii(b, v.body, v.end) ?? b.toString("utf8", v.body, v.end);
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
    case 0x14: // TeletexString: in practice Latin-1, which is how OpenSSL and browsers read it too
      return shortAscii(b, v.body, v.end) ?? b.toString("latin1", v.body, v.end);
    case 0x1e: // BMPString: UTF-16 big-endian
      return utf16be(b, v.body, v.end);
    case 0x1c: // UniversalString: UTF-32 big-endian
      return utf32be(b, v.body, v.end);
    default:
      return undefined;
  }
}

/**
 * Short ASCII values decoded in JS: most name attributes are a few ASCII characters, and for those a call into
 * Buffer's native decoder costs more than the decoding. Undefined for anything longer or non-ASCII.
 */
function shortAscii(b: Buffer, start: number, end: number): string | undefined {
  if (end - start > 64) return undefined;
  let s = "";
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c > 0x7f) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

function utf16be(b: Buffer, start: number, end: number): string {
  // Buffer.swap16 works in place and the input is shared, so swap a copy and read it as UTF-16LE.
  return Buffer.from(b.subarray(start, end - ((end - start) % 2))).swap16().toString("utf16le");
}

function utf32be(b: Buffer, start: number, end: number): string {
  let s = "";
  for (let i = start; i + 4 <= end; i += 4) {
    const cp = b.readUInt32BE(i);
    s += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : "\ufffd";
  }
  return s;
}

/** True when a value needs RFC 4514 escapes or holds control characters (a loop: cheaper than a regex here). */
function needsEscape(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  if (s[0] === " " || s[0] === "#" || s[n - 1] === " ") return true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2c || c === 0x2b || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x3b) return true;
  }
  return false;
}

function escapeValue(s: string): string {
  if (!needsEscape(s)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = c.charCodeAt(0);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      for (const byte of Buffer.from(c, "utf8")) out += `\\${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    } else if (',+"\\<>;'.includes(c) || ((c === " " || c === "#") && i === 0) || (c === " " && i === s.length - 1)) {
      out += `\\${c}`;
    } else out += c;
  }
  return out;
}
