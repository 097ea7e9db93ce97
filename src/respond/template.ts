/**
 * Templated arguments for configured commands and webhook fields: `{device_id}`, `{iccid}` … are replaced by the
 * target's values. Every substituted value must match the command's `allowed` pattern, so a device id crafted by an
 * attacker (`;rm -rf /`, `--config=…`) never reaches a program as anything but a refused value; a placeholder the
 * target has no value for is an error, not an empty string.
 */
import { LongwatchError } from "../core/errors.ts";
import type { StoredDevice } from "../store/store.ts";
import type { Target } from "./action.ts";

export const PLACEHOLDERS = ["target", "target_kind", "device_id", "iccid", "imei", "imsi", "mqtt_client_id", "ip", "model_id", "response_id", "key"] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

export function templateValues(target: Target, device: StoredDevice | undefined, responseId: string, key: string): Partial<Record<Placeholder, string>> {
  const v: Partial<Record<Placeholder, string>> = { target: target.id, target_kind: target.kind, response_id: responseId, key };
  if (device) {
    v.device_id = device.device_id;
    for (const f of ["iccid", "imei", "imsi", "mqtt_client_id", "ip", "model_id"] as const) if (device[f] !== undefined) v[f] = String(device[f]);
  }
  return v;
}

export function fillTemplate(template: string, values: Partial<Record<string, string>>, allowed: RegExp, where: string): string {
  return template.replace(/\{([a-z_]*)\}/g, (_m, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) throw new LongwatchError("invalid_config", `${where}: unknown placeholder {${name}} (known: ${PLACEHOLDERS.join(", ")})`);
    const value = values[name];
    if (value === undefined) throw new LongwatchError("invalid_input", `${where}: the target has no ${name} to put in {${name}}`, { placeholder: name });
    if (!allowed.test(value)) throw new LongwatchError("invalid_input", `${where}: the value of {${name}} is not allowed by the command's pattern ${allowed.source}; refused rather than passed on`, { placeholder: name });
    return value;
  });
}
