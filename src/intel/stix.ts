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

/** STIX 2.1 §7.2.1.4: the predefined TLP marking definitions. TLP 2.0's CLEAR is written as the spec's WHITE. */
export const TLP = {
  clear: { id: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", color: "white" },
  green: { id: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", color: "green" },
  amber: { id: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", color: "amber" },
  red: { id: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", color: "red" },
} as const;
export type TlpLevel = keyof typeof TLP;

export function tlpMarking(level: TlpLevel): Record<string, unknown> {
  const t = TLP[level];
  return { type: "marking-definition", spec_version: "2.1", id: t.id, created: "2017-01-20T00:00:00.000Z", definition_type: "tlp", name: `TLP:${t.color.toUpperCase()}`, definition: { tlp: t.color } };
}

export interface AttackTechnique {
  id: string;
  domain: "enterprise-attack" | "ics-attack" | "mobile-attack";
  name: string;
}

let attack: Map<string, AttackTechnique> | undefined;

export function attackTechniques(): Map<string, AttackTechnique> {
  if (attack) return attack;
  const lines = readFileSync(fileURLToPath(new URL("../../data/attack-techniques.csv", import.meta.url)), "utf8").trim().split("\n").slice(1);
  attack = new Map(
    lines.map((l) => {
      const [id, domain, ...name] = l.split(",");
      return [id!, { id: id!, domain: domain as AttackTechnique["domain"], name: name.join(",") }];
    }),
  );
  return attack;
}

/** The kill chain / external source name ATT&CK uses for each domain. */
export const ATTACK_SOURCE: Record<AttackTechnique["domain"], string> = { "enterprise-attack": "mitre-attack", "ics-attack": "mitre-ics-attack", "mobile-attack": "mitre-mobile-attack" };

/** A STIX timestamp with millisecond precision, as `created`/`modified` need. */
export function stixTime(ms: number): string {
  return new Date(ms).toISOString();
}
