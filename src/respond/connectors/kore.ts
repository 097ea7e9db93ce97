/**
 * KORE Super SIM API (formerly Twilio Super SIM; supersim.api.korewireless.com): OAuth2 client credentials at
 * `api.korewireless.com/api-services/v1/auth/token`, SIMs by ICCID (`GET /v1/Sims?Iccid=…`), and updates as form
 * posts to `POST /v1/Sims/{Sid}` (`Status=active|inactive`, `Fleet=…`). A status change passes through `scheduled`
 * before it lands. Super SIM has no IMEI lock; a data limit belongs to a fleet (`DataLimit`, MB per billing period),
 * so limiting one SIM means moving it into a quarantine fleet and back.
 */
import { LongwatchError } from "../../core/errors.ts";
import type { SecretSource } from "../secrets.ts";
import type { SimConnector } from "../settings.ts";
import { httpCall, unexpected } from "./http.ts";
import { type SimProvider, type SimView, unsupported } from "./sim.ts";
import { tokenFrom, tokenSession } from "./token-session.ts";

export const KORE_BASE = "https://supersim.api.korewireless.com";
export const KORE_AUTH = "https://api.korewireless.com/api-services/v1/auth/token";

interface KoreSim {
  sid: string;
  iccid: string;
  status: string;
  fleet_sid?: string | null;
}

export function koreProvider(c: Extract<SimConnector, { provider: "kore" }>, secrets: SecretSource): SimProvider {
  const base = (c.base_url ?? KORE_BASE).replace(/\/$/, "");
  const s = tokenSession("KORE", async () => {
    const a = await httpCall("KORE", "authentication", { method: "POST", url: c.auth_url ?? KORE_AUTH, form: { grant_type: "client_credentials", client_id: secrets.get(c.client_id, "KORE client_id"), client_secret: secrets.get(c.client_secret, "KORE client_secret") }, timeoutMs: c.timeout });
    return tokenFrom("KORE", a);
  });
  const find = async (iccid: string): Promise<KoreSim> => {
    const a = await s.call(`find SIM ${iccid}`, { method: "GET", url: `${base}/v1/Sims?Iccid=${encodeURIComponent(iccid)}`, timeoutMs: c.timeout });
    if (a.status !== 200) throw unexpected("KORE", `find SIM ${iccid}`, a);
    const sim = ((a.body as { sims?: KoreSim[] }).sims ?? []).find((x) => x.iccid === iccid);
    if (!sim) throw new LongwatchError("not_found", `KORE has no Super SIM with ICCID ${iccid}`, { iccid });
    return sim;
  };
  const update = async (iccid: string, form: Record<string, string>, key: string, what: string) => {
    const sim = await find(iccid);
    const a = await s.call(what, { method: "POST", url: `${base}/v1/Sims/${sim.sid}`, form, headers: { "i-twilio-idempotency-token": key }, timeoutMs: c.timeout });
    if (a.status !== 200 && a.status !== 202) throw unexpected("KORE", what, a);
  };
  return {
    name: "kore",
    supports: { suspend: true, imei_lock: false, data_limit: c.quarantine_fleet !== undefined },
    async read(iccid): Promise<SimView> {
      const sim = await find(iccid);
      const status = sim.status === "active" || sim.status === "ready" ? "active" : sim.status === "inactive" ? "suspended" : "pending";
      return { status, provider_status: sim.status, data_limit: { fleet: sim.fleet_sid ?? null } };
    },
    setSuspended: (iccid, suspended, key) => update(iccid, { Status: suspended ? "inactive" : "active" }, key, `set Super SIM ${iccid} ${suspended ? "inactive" : "active"}`),
    async setImeiLock() {
      throw unsupported("KORE Super SIM", "IMEI lock");
    },
    async setDataLimit(iccid, limit, key) {
      const before = await find(iccid);
      const fleet = limit?.fleet;
      if (typeof fleet !== "string") throw new LongwatchError("invalid_input", "KORE: a data limit is a fleet to move the SIM into; none was given");
      await update(iccid, { Fleet: fleet }, key, `move Super SIM ${iccid} to fleet ${fleet}`);
      return { fleet: before.fleet_sid ?? null };
    },
    quarantineLimit() {
      if (c.quarantine_fleet === undefined) throw unsupported("KORE Super SIM", "per-SIM data limit without a quarantine_fleet in the connector");
      return { fleet: c.quarantine_fleet };
    },
  };
}
