/**
 * Country of an address from a MaxMind-format database (.mmdb) the user supplies: GeoLite2/GeoIP2 Country or City
 * (`country.iso_code`), or the CC0/PDDL ip-location-db country databases (`country_code`). Longwatch ships none:
 * MaxMind's licence forbids redistribution, and a stale database is worse than a visible "unknown".
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { Reader } from "maxmind";
import { LongwatchError } from "../core/errors.ts";

export interface GeoIp {
  /** ISO 3166-1 alpha-2 code, or undefined when the database has no entry. */
  country(ip: string): string | undefined;
  readonly description: string;
}

type Entry = { country?: { iso_code?: string }; registered_country?: { iso_code?: string }; country_code?: string } | null;

export function openGeoIp(path: string): GeoIp {
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  let reader: Reader<Record<string, unknown>>;
  try {
    reader = new Reader(buf);
  } catch (e) {
    throw new LongwatchError("invalid_input", `${path} is not a MaxMind DB (.mmdb) file: ${(e as Error).message}`, { file: path });
  }
  const meta = reader.metadata;
  return {
    description: `${meta.databaseType} (${new Date(meta.buildEpoch).toISOString().slice(0, 10)})`,
    country(ip) {
      let e: Entry;
      try {
        e = reader.get(ip) as Entry;
      } catch {
        return undefined;
      }
      const cc = e?.country?.iso_code ?? e?.registered_country?.iso_code ?? e?.country_code;
      return typeof cc === "string" && /^[A-Za-z]{2}$/.test(cc) ? cc.toUpperCase() : undefined;
    },
  };
}
