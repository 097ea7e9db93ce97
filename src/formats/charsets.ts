/**
 * Byte-level pieces shared by the text decoder (inventories, formats/text-decode.ts) and the UTF-8 feed (detection
 * inputs, formats/utf8-feed.ts): where UTF-8 goes wrong, and Windows-1252 by its own table.
 */

/**
 * The index of the first byte of b[s, e) where UTF-8 goes wrong (a byte that cannot start or continue a character,
 * an overlong form, a surrogate, a value past U+10FFFF, a character cut by `e`), or `e` when all is valid. Run once,
 * on the read where `isUtf8` said no.
 */
export function firstInvalidUtf8(b: Uint8Array, s: number, e: number): number {
  let i = s;
  while (i < e) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      else if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      else if (c === 0xf4) hi = 0x8f; // past U+10FFFF
    } else return i;
    if (i + need >= e) return i; // cut by the end
    const d = b[i + 1]!;
    if (d < lo || d > hi) return i;
    for (let k = 2; k <= need; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return e;
}

/** Where the bytes b[s, e) end when an incomplete UTF-8 character at their end is left out (as a length from `s`). */
export function completeUtf8UpTo(b: Uint8Array, s: number, e: number): number {
  for (let back = 1; back <= 3 && back <= e - s; back++) {
    const c = b[e - back]!;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      if (need > back) return e - back - s;
    }
    break;
  }
  return e - s;
}

/** How a user chooses an encoding (the end of every "not valid UTF-8" notice, unless a caller names its own way). */
export const ENCODING_HINT = "give --encoding utf-8|utf-16le|utf-16be|windows-1252|latin1 to choose";

/** The one notice for input that stops being UTF-8 at input byte `offset`. */
export const notUtf8Notice = (offset: number, hint: string) => `not valid UTF-8 at byte ${offset}: read as Windows-1252 from there (${hint})`;

/** Windows-1252's 0x80–0x9F (WHATWG: the five it leaves undefined map to the C1 controls of the same number). */
const CP1252_HIGH = "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";
const C1 = /[\u0080-\u009f]/g;

/**
 * Bytes as Windows-1252 text. Not TextDecoder: on Node 20 its non-streaming windows-1252 path decodes as ISO-8859-1
 * (0x80 became U+0080, not €), fatal or not. Every byte maps, so nothing is ever replaced.
 */
export function decodeWindows1252(b: Uint8Array): string {
  const t = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
  return t.replace(C1, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}
