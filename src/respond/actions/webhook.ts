/**
 * Tells another system: POSTs a signed JSON document about the response to a configured webhook (a ticketing
 * system, a SOAR, the device maker's backend). Signed like Longwatch's alert webhooks, with the idempotency key in
 * its own header so a receiver can drop a retry. A message sent cannot be unsent, so it is irreversible; verify
 * accepts the receiver's 2xx acknowledgement as the read-back.
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { SIGNATURE_HEADER, signBody } from "../../formats/signature.ts";
import { type ActionCall, type ApplyResult, defineAction } from "../action.ts";
import { httpCall } from "../connectors/http.ts";

const Params = z.object({ webhook: z.string().min(1), event: z.string().regex(/^[a-z0-9_.-]{1,64}$/).default("longwatch.response"), note: z.string().max(2000).optional() }).strict();
type P = z.output<typeof Params>;

function hook(call: ActionCall<P>) {
  const w = call.ctx.settings.connectors.webhooks[call.params.webhook];
  if (!w) throw new LongwatchError("invalid_config", `respond.connectors.webhooks has no webhook "${call.params.webhook}"`);
  return w;
}

export const webhook = defineAction({
  id: "webhook",
  title: "Send a signed webhook",
  target: "device",
  reversible: false,
  description: "POSTs a signed JSON message about the device and the response to a configured receiver (ticketing, SOAR, the maker's backend).",
  params: Params,

  async plan(call: ActionCall<P>) {
    const w = hook(call);
    return { summary: `POST a signed ${call.params.event} message about ${call.target.kind} ${call.target.id} to ${new URL(w.url).host}.`, before: null, after: { webhook: call.params.webhook, host: new URL(w.url).host, event: call.params.event }, noop: false, warnings: [] };
  },

  async apply(call: ActionCall<P>, key: string) {
    const w = hook(call);
    const device = call.target.kind === "device" ? await call.ctx.device(call.target.id) : undefined;
    const body = JSON.stringify({
      event: call.params.event,
      response_id: call.ctx.responseId,
      idempotency_key: key,
      sent_at: new Date(call.ctx.now()).toISOString(),
      target: call.target,
      ...(device ? { device: { device_id: device.device_id, model_id: device.model_id, iccid: device.iccid, imei: device.imei, mqtt_client_id: device.mqtt_client_id, groups: device.groups, country: device.country } } : {}),
      ...(call.params.note ? { note: call.params.note } : {}),
    });
    const a = await httpCall("webhook", `POST to ${new URL(w.url).host}`, { method: "POST", url: w.url, headers: { ...w.headers, "content-type": "application/json", [SIGNATURE_HEADER]: signBody(body, call.ctx.secrets.get(w.secret, `webhook ${call.params.webhook} secret`)), "X-Longwatch-Idempotency-Key": key }, raw: body, timeoutMs: w.timeout });
    return { after: { webhook: call.params.webhook, status: a.status }, receipt: { status: a.status }, warnings: [] };
  },

  async verify(_call: ActionCall<P>, applied: ApplyResult) {
    const status = applied.receipt.status as number;
    return status >= 200 && status < 300 ? { ok: true, observed: { status }, warnings: [] } : { ok: false, observed: { status }, reason: `the receiver answered HTTP ${status}`, warnings: [] };
  },
});
