/**
 * The webhook signature of FORMATS.md: `X-Longwatch-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes with
 * the sink's secret>`. One helper for every outbound webhook (alert sinks, response actions) and for receivers.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "X-Longwatch-Signature";

export function signBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** True when `header` is the signature of `body` under `secret`; compares in constant time. */
export function verifySignature(body: string | Uint8Array, secret: string, header: string | null | undefined): boolean {
  if (typeof header !== "string") return false;
  const want = Buffer.from(signBody(body, secret));
  const got = Buffer.from(header.trim());
  return got.length === want.length && timingSafeEqual(got, want);
}
