/**
 * 1NCE Management API (api.1nce.com/management-api): OAuth client credentials at `POST /oauth/token` (HTTP Basic with
 * the API user's client id and secret), then `GET /v1/sims/{iccid}` and `PUT /v1/sims/{iccid}` with
 * `{status: "Enabled" | "Disabled", imei_lock}`. Changes are queued and show on the SIM later.
 * 1NCE offers no per-SIM data limit through this API (quotas are read-only), so that action is refused.
 */
import { LongwatchError } from "../../core/errors.ts";
import type { SecretSource } from "../secrets.ts";
import type { SimConnector } from "../settings.ts";
import { httpCall, unexpected } from "./http.ts";
import { type SimProvider, type SimView, unsupported } from "./sim.ts";
import { tokenFrom, tokenSession } from "./token-session.ts";

export const ONENCE_BASE = "https://api.1nce.com/management-api";

export function onenceProvider(c: Extract<SimConnector, { provider: "1nce" }>, secrets: SecretSource): SimProvider {
  const base = (c.base_url ?? ONENCE_BASE).replace(/\/$/, "");
  const s = tokenSession("1NCE", async () => {
    const id = secrets.get(c.client_id, "1NCE client_id");
    const secret = secrets.get(c.client_secret, "1NCE client_secret");
    const a = await httpCall("1NCE", "authentication", { method: "POST", url: `${base}/oauth/token`, headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` }, json: { grant_type: "client_credentials" }, timeoutMs: c.timeout });
    return tokenFrom("1NCE", a);
  });
  const sim = (iccid: string) => `${base}/v1/sims/${encodeURIComponent(iccid)}`;
  const put = async (iccid: string, body: Record<string, unknown>, key: string, what: string) => {
    const a = await s.call(what, { method: "PUT", url: sim(iccid), json: { iccid, ...body }, headers: { "idempotency-key": key }, timeoutMs: c.timeout });
    if (a.status !== 200 && a.status !== 201 && a.status !== 202 && a.status !== 204) throw unexpected("1NCE", what, a);
  };
  return {
    name: "1nce",
    supports: { suspend: true, imei_lock: true, data_limit: false },
    async read(iccid): Promise<SimView> {
      const a = await s.call(`GET SIM ${iccid}`, { method: "GET", url: sim(iccid), timeoutMs: c.timeout });
      if (a.status !== 200) throw unexpected("1NCE", `GET SIM ${iccid}`, a);
      const b = a.body as { status?: string; imei_lock?: boolean };
      const status = b.status === "Enabled" ? "active" : b.status === "Disabled" ? "suspended" : "pending";
      return { status, provider_status: String(b.status ?? "unknown"), imei_lock: b.imei_lock === true };
    },
    setSuspended: (iccid, suspended, key) => put(iccid, { status: suspended ? "Disabled" : "Enabled" }, key, `set SIM ${iccid} ${suspended ? "Disabled" : "Enabled"}`),
    setImeiLock: (iccid, locked, key) => put(iccid, { imei_lock: locked }, key, `set IMEI lock of SIM ${iccid}`),
    async setDataLimit() {
      throw unsupported("1NCE", "per-SIM data limit");
    },
    quarantineLimit() {
      throw new LongwatchError("invalid_input", "1NCE offers no per-SIM data limit");
    },
  };
}
