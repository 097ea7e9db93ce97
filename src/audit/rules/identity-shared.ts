/**
 * Identity, continued: identifiers that must belong to exactly one device but were found on several. Each rule groups
 * devices by the identifier and reports one finding per identifier, listing the devices; the identifier itself is the
 * finding's subject, so the finding stays the same while devices join or leave the group.
 */
import { z } from "zod";
import type { DeviceView, FindingDraft, RuleContext, RuleRun } from "../rule.ts";
import { defineRule } from "../rule.ts";
import { DuplicateKeys, plural } from "./group.ts";

const noParams = z.object({}).strict();

/**
 * The shape all four rules share: a key per device (undefined = not applicable), a group per key, and one finding
 * for every group of two or more devices.
 */
function duplicates(
  ctx: RuleContext<unknown>,
  keyOf: (v: DeviceView) => { key: string; detail?: string } | undefined,
  finding: (key: string, devices: string[], details: string[]) => Omit<FindingDraft, "subject" | "devices">,
): RuleRun {
  const keys = new DuplicateKeys();
  return {
    device(v) {
      const k = keyOf(v);
      if (k) keys.add(k.key, v.device.device_id, k.detail);
    },
    finish() {
      for (const [key, g] of keys.entries()) {
        ctx.report({ subject: key, devices: g.devices, ...finding(key, g.devices, g.details) });
      }
    },
  };
}

export const certShared = defineRule({
  id: "cert-shared",
  family: "identity",
  title: "One certificate or key pair used by several devices",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.4-4", "EU-CRA:I.1.2.d", "NISTIR-8259A:device-identification", "OWASP-IoT-2018:I1"],
  rationale:
    "Every device should have its own private key and certificate. When devices share one (the same certificate, or different certificates over the same key pair), extracting the key from any single device, for example one bought second-hand or stolen from a pole, lets an attacker impersonate all of them, and you cannot revoke one device without cutting off the rest. The back end also cannot tell the devices apart. ETSI EN 303 645 requires such keys to be unique per device.",
  remediation:
    "Give each device its own key pair, generated on the device (ideally inside its secure element) and never copied, and issue a certificate per device. Revoke the shared certificate once the devices have their own, and fix the manufacturing or provisioning step that copied one key onto many devices.",
  params: noParams,
  start(ctx) {
    return duplicates(
      ctx,
      (v) => {
        const cert = v.certificate;
        const fp = cert?.fingerprint ?? v.device.cert_fingerprint;
        if (fp === undefined) return undefined;
        // Group by key pair when it is known: different certificates over one key are as shared as one certificate.
        const keyFp = cert?.key_fingerprint;
        return { key: keyFp !== undefined ? `key:${keyFp}` : `cert:${fp}`, detail: JSON.stringify([fp, cert?.subject ?? null]) };
      },
      (key, devices, details) => {
        const parsed = details.map((d) => JSON.parse(d) as [string, string | null]);
        const certs = [...new Set(parsed.map(([fp]) => fp))].sort();
        return {
          title:
            certs.length === 1
              ? `${plural(devices.length, "device")} use the same certificate`
              : `${plural(devices.length, "device")} share one key pair across ${plural(certs.length, "certificate")}`,
          evidence: { key_fingerprint: key.startsWith("key:") ? key.slice(4) : null, cert_fingerprints: certs, cert_subject: parsed[0]![1], device_count: devices.length },
        };
      },
    );
  },
});

export const clientIdShared = defineRule({
  id: "client-id-shared",
  family: "identity",
  title: "One MQTT client id used by several devices",
  severity: "medium",
  standards: ["NISTIR-8259A:device-identification", "EU-CRA:I.1.2.d", "OWASP-IoT-2018:I8"],
  rationale:
    "An MQTT broker identifies each connection by its client id and, by the MQTT standard, disconnects the existing connection when another one arrives with the same id. Devices sharing an id therefore keep throwing each other off, receive each other's queued messages, and, where access rules are tied to the client id, may read or publish on each other's topics. The back end can no longer tell which device sent what.",
  remediation:
    "Give every device a unique client id, derived from something unique to it (its device id, serial number or certificate), and configure the broker to accept a client id only from the device whose credentials or certificate match it.",
  params: noParams,
  start(ctx) {
    return duplicates(
      ctx,
      (v) => (v.device.mqtt_client_id !== undefined ? { key: v.device.mqtt_client_id } : undefined),
      (key, devices) => ({
        title: `MQTT client id ${JSON.stringify(key)} is used by ${plural(devices.length, "device")}`,
        evidence: { mqtt_client_id: key, device_count: devices.length },
      }),
    );
  },
});

export const imeiDuplicate = defineRule({
  id: "imei-duplicate",
  family: "identity",
  title: "One IMEI recorded for several devices",
  severity: "medium",
  standards: ["NISTIR-8259A:device-identification", "OWASP-IoT-2018:I8"],
  rationale:
    "The IMEI identifies a device's cellular modem and should be unique worldwide. The same IMEI on several devices means either the inventory is wrong or modems carry cloned IMEIs, as counterfeit modules do. Either way, controls that rely on it break: an IMEI lock binds the SIM to the wrong hardware, and blocking a stolen device's IMEI would block the others too. The comparison uses the first 14 digits (type code and serial number), so the same modem written with or without its check digit, or as an IMEISV, counts once.",
  remediation:
    "Read the IMEI from each listed device (AT+CGSN, or the device management platform) and correct the inventory. If devices really report the same IMEI, treat the modules as suspect: ask the supplier where they came from and replace them.",
  params: noParams,
  start(ctx) {
    return duplicates(
      ctx,
      (v) => {
        const imei = v.device.imei;
        // TAC (8 digits) + serial number (6): what identifies the modem; the rest is a check digit or software version.
        return imei !== undefined && imei.length >= 14 ? { key: imei.slice(0, 14), detail: imei } : undefined;
      },
      (key, devices, recorded) => ({
        title: `IMEI ${key} is recorded for ${plural(devices.length, "device")}`,
        evidence: { imei_tac_serial: key, tac: key.slice(0, 8), imeis_as_recorded: [...new Set(recorded)].sort(), device_count: devices.length },
      }),
    );
  },
});

export const iccidDuplicate = defineRule({
  id: "iccid-duplicate",
  family: "identity",
  title: "One SIM (ICCID) recorded for several devices",
  severity: "medium",
  standards: ["NISTIR-8259A:device-identification", "EU-CRA:I.1.2.d", "OWASP-IoT-2018:I8"],
  rationale:
    "The ICCID is the serial number of a SIM card, and a SIM can only be in one device at a time. The same ICCID on several devices means the inventory is wrong, or a SIM was moved from one device to another, which is how SIMs taken out of field devices end up used elsewhere. Alerts and SIM settings tied to the ICCID then point at the wrong device.",
  remediation:
    "Check which device the SIM is really in (the connectivity provider's portal shows the IMEI it last attached with) and correct the inventory. If a SIM moved without a work order, treat it as a possible theft: suspend the SIM and inspect the devices.",
  params: noParams,
  start(ctx) {
    return duplicates(
      ctx,
      (v) => (v.device.iccid !== undefined ? { key: v.device.iccid } : undefined),
      (key, devices) => ({
        title: `ICCID ${key} is recorded for ${plural(devices.length, "device")}`,
        evidence: { iccid: key, device_count: devices.length },
      }),
    );
  },
});

export const sharedIdentityRules = [certShared, clientIdShared, imeiDuplicate, iccidDuplicate];
