/**
 * emnify REST API (cdn.emnify.net): `POST /api/v1/authenticate {application_token}` → `auth_token`. A SIM is found by
 * ICCID (`GET /api/v1/sim?q=iccid:…`); suspending is the SIM's status (`PATCH /api/v1/sim/{id}`, 1 Activated ↔
 * 2 Suspended — a disabled endpoint is still billed, a suspended SIM is not); the IMEI lock and the data quota belong
 * to the SIM's endpoint (`PATCH /api/v1/endpoint/{id} {imei_lock}`, `…/quota/data`). Changes take effect
 * asynchronously; emnify allows 100 authentications per IP in 5 minutes, so the token is kept.
 */
import { LongwatchError } from "../../core/errors.ts";
import type { StateDoc } from "../action.ts";
import type { SecretSource } from "../secrets.ts";
import type { SimConnector } from "../settings.ts";
import { httpCall, unexpected } from "./http.ts";
import type { SimProvider, SimView } from "./sim.ts";
import { tokenFrom, tokenSession } from "./token-session.ts";

export const EMNIFY_BASE = "https://cdn.emnify.net";

interface EmnifySim {
  id: number;
  iccid: string;
  status: { id: number; description?: string };
  endpoint?: { id: number };
}

export function emnifyProvider(c: Extract<SimConnector, { provider: "emnify" }>, secrets: SecretSource): SimProvider {
  const base = (c.base_url ?? EMNIFY_BASE).replace(/\/$/, "");
  const s = tokenSession("emnify", async () => {
    const a = await httpCall("emnify", "authentication", { method: "POST", url: `${base}/api/v1/authenticate`, json: { application_token: secrets.get(c.application_token, "emnify application_token") }, timeoutMs: c.timeout });
    return tokenFrom("emnify", a, "auth_token");
  });
  const ids = new Map<string, EmnifySim>();
  const find = async (iccid: string): Promise<EmnifySim> => {
    const a = await s.call(`find SIM ${iccid}`, { method: "GET", url: `${base}/api/v1/sim?q=${encodeURIComponent(`iccid:${iccid}`)}`, timeoutMs: c.timeout });
    if (a.status !== 200) throw unexpected("emnify", `find SIM ${iccid}`, a);
    const found = (Array.isArray(a.body) ? (a.body as EmnifySim[]) : []).find((x) => x.iccid === iccid);
    if (!found) throw new LongwatchError("not_found", `emnify has no SIM with ICCID ${iccid}`, { iccid });
    ids.set(iccid, found);
    return found;
  };
  const endpointOf = async (iccid: string): Promise<number> => {
    const e = (ids.get(iccid) ?? (await find(iccid))).endpoint?.id;
    if (e === undefined) throw new LongwatchError("invalid_input", `emnify SIM ${iccid} is not assigned to an endpoint: it has no IMEI lock or quota to set`, { iccid });
    return e;
  };
  const ok = (a: { status: number }, what: string, ans: Parameters<typeof unexpected>[2]) => {
    if (a.status < 200 || a.status >= 300) throw unexpected("emnify", what, ans);
  };
  const quota = async (eid: number): Promise<StateDoc | null> => {
    const a = await s.call(`GET data quota of endpoint ${eid}`, { method: "GET", url: `${base}/api/v1/endpoint/${eid}/quota/data`, timeoutMs: c.timeout });
    if (a.status === 404) return null;
    ok(a, `GET data quota of endpoint ${eid}`, a);
    const q = a.body as { volume?: number; status?: { id: number }; expiry_date?: string; action_on_exhaustion?: { id: number } };
    return { volume: q.volume ?? null, status: q.status?.id ?? null, expiry_date: q.expiry_date ?? null, action_on_exhaustion: q.action_on_exhaustion?.id ?? null };
  };
  return {
    name: "emnify",
    supports: { suspend: true, imei_lock: true, data_limit: true },
    async read(iccid): Promise<SimView> {
      const sim = await find(iccid);
      const view: SimView = { status: sim.status.id === 1 ? "active" : sim.status.id === 2 ? "suspended" : "pending", provider_status: `${sim.status.id} ${sim.status.description ?? ""}`.trim() };
      if (sim.endpoint) {
        const a = await s.call(`GET endpoint ${sim.endpoint.id}`, { method: "GET", url: `${base}/api/v1/endpoint/${sim.endpoint.id}`, timeoutMs: c.timeout });
        ok(a, `GET endpoint ${sim.endpoint.id}`, a);
        view.imei_lock = (a.body as { imei_lock?: boolean }).imei_lock === true;
        view.data_limit = await quota(sim.endpoint.id);
      }
      return view;
    },
    async setSuspended(iccid, suspended, key) {
      const sim = ids.get(iccid) ?? (await find(iccid));
      const a = await s.call(`set SIM ${iccid} ${suspended ? "Suspended" : "Activated"}`, { method: "PATCH", url: `${base}/api/v1/sim/${sim.id}`, json: { status: { id: suspended ? 2 : 1 } }, headers: { "idempotency-key": key }, timeoutMs: c.timeout });
      ok(a, `set SIM ${iccid} status`, a);
    },
    async setImeiLock(iccid, locked, key) {
      const eid = await endpointOf(iccid);
      const a = await s.call(`set IMEI lock of endpoint ${eid}`, { method: "PATCH", url: `${base}/api/v1/endpoint/${eid}`, json: { imei_lock: locked }, headers: { "idempotency-key": key }, timeoutMs: c.timeout });
      ok(a, `set IMEI lock of endpoint ${eid}`, a);
    },
    async setDataLimit(iccid, limit, key) {
      const eid = await endpointOf(iccid);
      const previous = await quota(eid);
      const what = `set data quota of endpoint ${eid}`;
      const a =
        limit === null
          ? await s.call(what, { method: "DELETE", url: `${base}/api/v1/endpoint/${eid}/quota/data`, headers: { "idempotency-key": key }, timeoutMs: c.timeout })
          : await s.call(what, { method: "POST", url: `${base}/api/v1/endpoint/${eid}/quota/data`, json: { status: { id: limit.status ?? 1 }, volume: limit.volume, expiry_date: limit.expiry_date, action_on_exhaustion: { id: limit.action_on_exhaustion ?? 1 } }, headers: { "idempotency-key": key }, timeoutMs: c.timeout });
      if (!(limit === null && a.status === 404)) ok(a, what, a);
      return previous;
    },
    quarantineLimit(volumeMb) {
      // Active quota, blocked on exhaustion (action 1), valid for a year: a quarantine is reversed long before that.
      return { volume: volumeMb, status: 1, expiry_date: new Date(Date.now() + 365 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z"), action_on_exhaustion: 1 };
    },
  };
}
