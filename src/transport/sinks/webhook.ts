/**
 * Webhook sink: POSTs each alert as JSON, signed with the sink's secret (formats/signature.ts). 2xx is delivered; 408, 425,
 * 429 and 5xx (and network errors) are worth retrying, honouring Retry-After; any other answer is a failure that
 * retrying cannot fix (a 401 means a wrong secret or token, a 404 a wrong URL). Redirects are not followed: a signed
 * alert goes only where it was configured to go.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { SUCCESS, errorText, failure, retryable, type IoResult } from "../result.ts";
import { SIGNATURE_HEADER, signBody } from "../../formats/signature.ts";
import type { AlertNotice, Deliverer } from "./sink.ts";

export const WebhookTargetSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }).describe("http:// or https:// address the alerts are POSTed to."),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "is not a header name"), z.string()).optional().describe("Extra request headers (e.g. a static Authorization the receiver requires)."),
  })
  .strict();
export type WebhookTarget = z.infer<typeof WebhookTargetSchema>;

/** The JSON body receivers get. `delivery` is the same on every retry of the same notice: receivers dedupe on it. */
export interface WebhookBody {
  delivery: string;
  change: AlertNotice["change"];
  sent_at: string;
  alert: AlertNotice["alert"];
}

export function deliveryId(n: AlertNotice): string {
  return createHash("sha256").update(`${n.alert.id}\0${n.change}\0${n.alert.count}\0${n.alert.last_seen}\0${n.alert.state}`).digest("hex").slice(0, 32);
}

export function webhookDeliverer(target: WebhookTarget, secret: string | undefined, now: () => number = Date.now): Deliverer {
  return {
    type: "webhook",
    async deliver(n, signal): Promise<IoResult> {
      const body: WebhookBody = { delivery: deliveryId(n), change: n.change, sent_at: new Date(now()).toISOString(), alert: n.alert };
      const text = JSON.stringify(body);
      const headers: Record<string, string> = {
        ...target.headers,
        "content-type": "application/json",
        "user-agent": "Longwatch",
        "x-longwatch-event": `alert.${n.change}`,
        "x-longwatch-delivery": body.delivery,
      };
      if (secret !== undefined) headers[SIGNATURE_HEADER] = signBody(text, secret);
      let res: Response;
      try {
        res = await fetch(target.url, { method: "POST", body: text, headers, signal, redirect: "manual" });
      } catch (e) {
        return retryable(errorText((e as { cause?: unknown }).cause ?? e));
      }
      // Read (and discard) the answer so the connection goes back to the pool.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return SUCCESS;
      const why = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
      if (res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500) return retryable(why, retryAfter(res.headers.get("retry-after"), now));
      if (res.status >= 300 && res.status < 400) return failure(`${why}: redirects are not followed; configure the final URL`);
      return failure(why);
    },
  };
}

/** Retry-After in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfter(v: string | null, now: () => number): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now());
}
