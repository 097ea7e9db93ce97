/**
 * Can a device be put right over the air after this compromise, and what data does it carry? Both depend on the
 * device's model (declared OTA, crypto agility, secure element, data flows) and on what was compromised, so they are
 * judged once per model and apply to each of its devices.
 *
 * Remote recovery needs three things (docs/whatif.md): an OTA update path; for a compromised key (CA or certificate)
 * crypto agility, so new keys and algorithms can be installed in the field; and an update path that does not trust the
 * compromised node (a compromised firmware image carries its own update client; a compromised update endpoint or
 * update-client component is the path itself).
 */
import type { DeviceModel } from "../core/fleet.ts";
import type { WhatifTarget } from "./target.ts";

export type Recoverable = "yes" | "no" | "unknown";

export const RECOVERY_REASONS = {
  "unknown-model": "the device's model is not in the inventory, so nothing is known of how it updates",
  "no-ota": "its model cannot be updated over the air",
  "ota-unknown": "its model does not say whether it can be updated over the air",
  "not-crypto-agile": "its keys and algorithms cannot be replaced in the field, and the compromised key must be replaced",
  "agility-unknown": "its model does not say whether keys and algorithms can be replaced in the field",
  "update-client-compromised": "its update client is part of the compromised firmware image, and there is no secure element to enforce a signed recovery",
  "update-path-compromised": "the compromised node is on its declared update path",
} as const;
export type RecoveryReason = keyof typeof RECOVERY_REASONS;

export interface ModelVerdict {
  recoverable: Recoverable;
  reasons: RecoveryReason[];
  data: { telemetry: boolean; location: boolean; personal: boolean; declared: boolean };
}

/** Components that are an update client or boot loader: compromising one compromises the update path. */
const UPDATE_CLIENTS = /^(swupdate|mender(-client)?|rauc|hawkbit|u-?boot|grub2?|fwupd|ostree|aktualizr|barebox|mcuboot|swu)$/i;

function hostMatches(host: string, d: { host?: string | undefined; domain?: string | undefined }): boolean {
  if (d.host !== undefined) return d.host.startsWith("*.") ? host.endsWith(d.host.slice(1)) : d.host === host;
  if (d.domain !== undefined) return host === d.domain || host.endsWith(`.${d.domain}`);
  return false;
}

function dataOf(m: DeviceModel | undefined): ModelVerdict["data"] {
  const f = m?.flows;
  if (!f) return { telemetry: false, location: false, personal: false, declared: false };
  const cats = new Set<string>(f.personal_data ?? []);
  let telemetry = false;
  for (const d of f.destinations ?? []) {
    for (const c of d.data ?? []) cats.add(c);
    if (d.purpose === "telemetry") telemetry = true;
    if (d.purpose === "location") cats.add("location");
  }
  return { telemetry, location: cats.has("location"), personal: cats.has("personal"), declared: true };
}

export function judgeModel(m: DeviceModel | undefined, target: WhatifTarget): ModelVerdict {
  const data = dataOf(m);
  if (!m) return { recoverable: "unknown", reasons: ["unknown-model"], data };
  const no: RecoveryReason[] = [];
  const unknown: RecoveryReason[] = [];
  if (m.ota_capable === false) no.push("no-ota");
  else if (m.ota_capable === undefined) unknown.push("ota-unknown");
  if (target.kind === "ca" || target.kind === "cert") {
    if (m.crypto?.agile === false) no.push("not-crypto-agile");
    else if (m.crypto?.agile === undefined) unknown.push("agility-unknown");
  }
  if (target.kind === "firmware" && m.crypto?.secure_element !== true) no.push("update-client-compromised");
  if (target.kind === "component" && UPDATE_CLIENTS.test(target.name ?? target.purl?.split("/").pop()?.split("@")[0] ?? "")) no.push("update-path-compromised");
  if (target.kind === "endpoint" && (m.flows?.destinations ?? []).some((d) => d.purpose === "update" && hostMatches(target.host, d))) no.push("update-path-compromised");
  const reasons = [...no, ...unknown];
  return { recoverable: no.length ? "no" : unknown.length ? "unknown" : "yes", reasons, data };
}
