/**
 * Conversions from the loose text of CSV cells (and the looser values people put in JSON) into typed values.
 * Each returns `undefined` when the input cannot be read, so schemas can report a precise reason.
 */

export function parseBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v !== "string") return undefined;
  switch (v.trim().toLowerCase()) {
    case "true": case "yes": case "y": case "1": case "on": return true;
    case "false": case "no": case "n": case "0": case "off": return false;
    default: return undefined;
  }
}

/** A `;`-separated CSV cell or a JSON array, trimmed, empty items dropped. */
export function parseList(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.every((x) => typeof x === "string" || typeof x === "number") ? v.map((x) => String(x).trim()).filter((x) => x !== "") : undefined;
  if (typeof v !== "string") return undefined;
  return v.split(";").map((x) => x.trim()).filter((x) => x !== "");
}

export function parseNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string" || v.trim() === "") return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** `aa:bb:cc:dd:ee:ff` from the common spellings (dashes, dots, bare hex, any case). */
export function normalizeMac(v: string): string | undefined {
  const hex = v.trim().toLowerCase().replace(/[:\-.]/g, "");
  if (!/^[0-9a-f]{12}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(":");
}

/** The Luhn check used by IMEI (and ICCID) check digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Appends the Luhn check digit (as IMEIs and ICCIDs carry). */
export function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  return body;
}

export function digitsOnly(v: string): string {
  return v.replace(/[\s-]/g, "");
}

export function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255 && !(p.length > 1 && p.startsWith("0")));
}

export function isIPv6(s: string): boolean {
  const zoneless = s.split("%")[0] ?? "";
  if (!/^[0-9a-fA-F:.]+$/.test(zoneless) || zoneless.includes(":::")) return false;
  const doubles = zoneless.split("::").length - 1;
  if (doubles > 1) return false;
  let groups = zoneless.split(":").filter((g) => g !== "");
  let width = 8;
  const last = groups[groups.length - 1];
  if (last !== undefined && last.includes(".")) {
    if (!isIPv4(last)) return false;
    groups = groups.slice(0, -1);
    width = 6;
  }
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return doubles === 1 ? groups.length < width : groups.length === width;
}
