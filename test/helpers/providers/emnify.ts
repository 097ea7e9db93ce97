/** A local emnify API: application-token authentication, SIM search by ICCID, SIM status, endpoint IMEI lock and data quota, all landing later. */
import { type Answer, type Pending, ProviderServer, settle } from "./server.ts";

interface Quota {
  volume: number;
  status: { id: number };
  expiry_date: string;
  action_on_exhaustion: { id: number };
}

export interface EmnifySim {
  id: number;
  iccid: string;
  status: { id: number; description: string };
  endpoint: { id: number; imei_lock: boolean; quota: Quota | null };
  pending: Pending<EmnifySim>[];
}

const STATUS: Record<number, string> = { 0: "Issued", 1: "Activated", 2: "Suspended", 3: "Deleted" };

export function emnifyServer(o: { applicationToken: string }) {
  const sims = new Map<number, EmnifySim>();
  const byEndpoint = (id: number) => [...sims.values()].find((x) => x.endpoint.id === id);
  const server = new ProviderServer((s, req): Answer => {
    if (req.method === "POST" && req.path === "/api/v1/authenticate") {
      if ((req.body as { application_token?: string }).application_token !== o.applicationToken) return { status: 401, json: { error_code: 1001, error_token: "invalid_credentials", message: "Invalid credentials" } };
      return { status: 200, json: { auth_token: s.issueToken() } };
    }
    if (!s.authorised(req)) return { status: 401, json: { error_token: "token_expired" } };
    const url = new URL(req.path, "http://x");
    if (req.method === "GET" && url.pathname === "/api/v1/sim") {
      const q = url.searchParams.get("q") ?? "";
      const iccid = q.startsWith("iccid:") ? q.slice(6) : undefined;
      return { status: 200, json: [...sims.values()].filter((x) => iccid === undefined || x.iccid === iccid).map((x) => settle(x)).map((x) => ({ id: x.id, iccid: x.iccid, status: x.status, endpoint: { id: x.endpoint.id, name: `ep-${x.endpoint.id}` } })) };
    }
    let m = /^\/api\/v1\/sim\/(\d+)$/.exec(url.pathname);
    if (m && req.method === "PATCH") {
      const sim = sims.get(Number(m[1]));
      if (!sim) return { status: 404, json: { message: "SIM not found" } };
      const id = (req.body as { status?: { id?: number } }).status?.id;
      if (id !== 1 && id !== 2) return { status: 422, json: { message: "status.id must be 1 (Activated) or 2 (Suspended)" } };
      sim.pending.push({ at: s.landsAt(), apply: (x) => (x.status = { id, description: STATUS[id]! }) });
      return { status: 204 };
    }
    m = /^\/api\/v1\/endpoint\/(\d+)(\/quota\/data)?$/.exec(url.pathname);
    const sim = m ? byEndpoint(Number(m[1])) : undefined;
    if (!m || !sim) return { status: 404, json: { message: "Endpoint not found" } };
    settle(sim);
    if (m[2] === undefined) {
      if (req.method === "GET") return { status: 200, json: { id: sim.endpoint.id, name: `ep-${sim.endpoint.id}`, status: { id: 0, description: "Enabled" }, imei_lock: sim.endpoint.imei_lock, imei: "356938035643809" } };
      if (req.method === "PATCH") {
        const lock = (req.body as { imei_lock?: boolean }).imei_lock;
        if (typeof lock === "boolean") sim.pending.push({ at: s.landsAt(), apply: (x) => (x.endpoint.imei_lock = lock) });
        return { status: 204 };
      }
      return { status: 405 };
    }
    if (req.method === "GET") return sim.endpoint.quota ? { status: 200, json: sim.endpoint.quota } : { status: 404, json: { message: "No data quota" } };
    if (req.method === "POST") {
      const q = req.body as Quota;
      if (typeof q.volume !== "number" || typeof q.expiry_date !== "string") return { status: 422, json: { message: "volume and expiry_date are required" } };
      sim.pending.push({ at: s.landsAt(), apply: (x) => (x.endpoint.quota = q) });
      return { status: 201 };
    }
    if (req.method === "DELETE") {
      sim.pending.push({ at: s.landsAt(), apply: (x) => (x.endpoint.quota = null) });
      return { status: 204 };
    }
    return { status: 405 };
  });
  return {
    server,
    sims,
    addSim(id: number, iccid: string): void {
      sims.set(id, { id, iccid, status: { id: 1, description: "Activated" }, endpoint: { id: 1000 + id, imei_lock: false, quota: null }, pending: [] });
    },
  };
}
