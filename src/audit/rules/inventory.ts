/**
 * Inventory: what the audit could not check because the inventory itself is wrong. A device with an invalid field is
 * imported without it (so it stays in the audit) and these rules say which field was dropped and why; a device naming
 * a model that was never imported is audited without its model's rules, and that gap is a finding too.
 */
import { z } from "zod";
import type { InvalidField } from "../../store/fleet.ts";
import { defineRule } from "../rule.ts";

const noParams = z.object({}).strict();

function invalid(fields: readonly InvalidField[] | undefined, which: (f: InvalidField) => boolean): InvalidField[] {
  return (fields ?? []).filter(which);
}

export const imeiInvalid = defineRule({
  id: "imei-invalid",
  family: "inventory",
  title: "Device's recorded IMEI is not a valid IMEI",
  severity: "low",
  standards: ["NISTIR-8259A:device-identification"],
  rationale:
    "The IMEI identifies a cellular device's radio module. A wrong check digit or a malformed value usually means a typing or export error, but it can also be a cloned or forged identity. Either way the device cannot be matched to its network records, SIM locks bound to the IMEI cannot be checked, and detection cannot tell this device's records from another's.",
  remediation:
    "Read the IMEI from the device itself (dial *#06# on a modem console, or the AT+CGSN command) or from the connectivity provider's portal, correct it in the inventory and import it again. If the device reports the same invalid IMEI, treat its identity as suspect.",
  params: noParams,
  start(ctx) {
    return {
      device(v) {
        const bad = invalid(v.device.invalid_fields, (f) => f.field === "imei");
        if (!bad.length) return;
        ctx.report({ subject: v.device.device_id, device_id: v.device.device_id, title: "Recorded IMEI is invalid; the device was imported without it", evidence: { field: "imei", reason: bad[0]!.reason, line: bad[0]!.line ?? null } });
      },
    };
  },
});

export const inventoryFieldInvalid = defineRule({
  id: "inventory-field-invalid",
  family: "inventory",
  title: "Inventory field with an invalid value was left out",
  severity: "info",
  standards: ["OWASP-IoT-2018:I8"],
  rationale:
    "A value that does not fit its column (a mistyped yes/no, a date in another layout, a malformed address) cannot be used, so the device was imported without that field. The rules that need the field could not check this device: a missing finding for it is not a clean result.",
  remediation: "Correct the value in the inventory (or add it to the mapping's values: section) and import it again; the finding is fixed by the next scan that reads a valid value.",
  params: noParams,
  start(ctx) {
    return {
      device(v) {
        const bad = invalid(v.device.invalid_fields, (f) => f.field !== "imei");
        if (!bad.length) return;
        ctx.report({
          subject: v.device.device_id,
          device_id: v.device.device_id,
          title: `Inventory field${bad.length > 1 ? "s" : ""} ${bad.map((f) => f.field).join(", ")} left out (invalid value)`,
          evidence: { fields: bad.map((f) => ({ field: f.field, reason: f.reason })), line: bad[0]!.line ?? null },
        });
      },
    };
  },
});

export const unknownModel = defineRule({
  id: "unknown-model",
  family: "inventory",
  title: "Device names a model that is not in the models file",
  severity: "low",
  standards: ["OWASP-IoT-2018:I8"],
  rationale:
    "Support periods, OTA capability, disclosure policy, model-wide default credentials and cryptography are all known through the device's model. When the model_id a device names was never imported (a typo, or a models file that is out of date), none of those checks can run for it, so its audit looks cleaner than it is.",
  remediation: "Add the model to the models file (--models models.yaml) or correct the device's model_id, and scan again.",
  params: noParams,
  start(ctx) {
    return {
      device(v) {
        const id = v.device.model_id;
        if (id === undefined || v.model !== undefined) return;
        ctx.report({ subject: v.device.device_id, device_id: v.device.device_id, model_id: id, title: `Model "${id}" is not known: its model rules were not checked`, evidence: { model_id: id, models_known: ctx.models.size } });
      },
    };
  },
});

export const inventoryRules = [imeiInvalid, inventoryFieldInvalid, unknownModel];
