/**
 * The signature Longwatch puts on every webhook body it sends: `X-Longwatch-Signature: sha256=<hex HMAC-SHA256 of the
 * exact body bytes with the receiver's secret>` (FORMATS.md, "Service"). Receivers recompute it and compare in
 * constant time; `verifySignature` is that check.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "X-Longwatch-Signature";

export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export function verifySignature(secret: string, body: string | Uint8Array, header: string | undefined): boolean {
  if (header === undefined) return false;
  const want = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header.trim());
  return want.length === got.length && timingSafeEqual(want, got);
}
