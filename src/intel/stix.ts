/**
 * STIX 2.1 building blocks: deterministic ids (UUIDv5 over the canonical JSON of what identifies an object, so the
 * same content always gets the same id and a re-export deduplicates at the receiver), the TLP marking definitions the
 * STIX 2.1 specification predefines, and the pinned ATT&CK technique list (data/attack-techniques.csv).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Longwatch's UUIDv5 namespace for SDO/SRO ids (any fixed UUID works; this one must never change). */
export const LONGWATCH_NAMESPACE = "6f1c7d1e-2a4b-5c3d-8e9f-0a1b2c3d4e5f";

/** JSON with object keys sorted at every level (RFC 8785-style canonical form for our value types). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const h = createHash("sha1").update(ns).update(name, "utf8").digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function stixId(type: string, identity: unknown): string {
  return `${type}--${uuidV5(LONGWATCH_NAMESPACE, canonicalJson({ type, identity }))}`;
}

/**
 * TLP 2.0 (FIRST, 2022) as STIX 2.1 marking definitions: the OASIS CTI TC's TLP 2.0 extension
 * (extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d, oasis-open/cti-stix-common-objects,
 * extension-definition-specifications/tlp-2.0) fixes one marking-definition id per level, created 2022-10-01. These are
 * what `intel export` writes by default. TLP:CLEAR is TLP 2.0's name for what TLP 1.0 called WHITE.
 */
export const TLP_2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
export const TLP = {
  clear: { id: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", name: "TLP:CLEAR", tlp: "clear" },
  green: { id: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", name: "TLP:GREEN", tlp: "green" },
  amber: { id: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", name: "TLP:AMBER", tlp: "amber" },
  "amber+strict": { id: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", name: "TLP:AMBER+STRICT", tlp: "amber+strict" },
  red: { id: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", name: "TLP:RED", tlp: "red" },
} as const;
export type TlpLevel = keyof typeof TLP;
export const TLP_LEVELS = Object.keys(TLP) as TlpLevel[];

/**
 * TLP 1.0 as the STIX 2.1 specification predefines it (§7.2.1.4, created 2017-01-20, `definition_type: tlp`), for
 * receivers whose tools know only those (the Python stix2 library rejects other TLP markings). TLP 1.0 has no
 * AMBER+STRICT, and its WHITE is TLP 2.0's CLEAR.
 */
export const TLP_V1: Partial<Record<TlpLevel, { id: string; color: string }>> = {
  clear: { id: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", color: "white" },
  green: { id: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", color: "green" },
  amber: { id: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", color: "amber" },
  red: { id: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", color: "red" },
};

export type TlpVersion = 1 | 2;

/** The marking-definition object of a level (the same object every producer writes, so receivers deduplicate it). */
export function tlpMarking(level: TlpLevel, version: TlpVersion = 2): Record<string, unknown> {
  if (version === 1) {
    const t = TLP_V1[level];
    if (!t) throw new RangeError(`TLP 1.0 has no ${TLP[level].name}`);
    return { type: "marking-definition", spec_version: "2.1", id: t.id, created: "2017-01-20T00:00:00.000Z", definition_type: "tlp", name: `TLP:${t.color.toUpperCase()}`, definition: { tlp: t.color } };
  }
  const t = TLP[level];
  return { type: "marking-definition", spec_version: "2.1", id: t.id, created: "2022-10-01T00:00:00.000Z", name: t.name, extensions: { [TLP_2_EXTENSION]: { extension_type: "property-extension", tlp_2_0: t.tlp } } };
}

export interface AttackTechnique {
  id: string;
  domain: "enterprise-attack" | "ics-attack" | "mobile-attack";
  name: string;
}

let attack: Map<string, AttackTechnique> | undefined;

export function attackTechniques(): Map<string, AttackTechnique> {
  if (attack) return attack;
  // id,domain,name,checked_against — names hold no commas; the last column is where the id and name were checked.
  const lines = readFileSync(fileURLToPath(new URL("../../data/attack-techniques.csv", import.meta.url)), "utf8").trim().split("\n").slice(1);
  attack = new Map(
    lines.map((l) => {
      const [id, domain, name] = l.split(",");
      return [id!, { id: id!, domain: domain as AttackTechnique["domain"], name: name! }];
    }),
  );
  return attack;
}

/**
 * ATT&CK's own STIX data names every technique, in all three domains, with an external reference whose source_name is
 * `mitre-attack` (the domain shows in kill_chain_name: mitre-attack, mitre-ics-attack, mitre-mobile-attack), so a
 * receiver matches our attack patterns to its ATT&CK data by that reference.
 */
export const ATTACK_SOURCE_NAME = "mitre-attack";

/** A STIX timestamp with millisecond precision, as `created`/`modified` need. */
export function stixTime(ms: number): string {
  return new Date(ms).toISOString();
}
