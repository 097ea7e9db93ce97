/** A local 1NCE Management API: OAuth client credentials, GET/PUT /v1/sims/{iccid}, status and imei_lock changes that land later. */
import { type Answer, type Pending, ProviderServer, settle } from "./server.ts";

export interface OnenceSim {
  iccid: string;
  status: "Enabled" | "Disabled";
  imei_lock: boolean;
  imei: string;
  pending: Pending<OnenceSim>[];
}

export function onenceServer(o: { clientId: string; clientSecret: string }) {
  const sims = new Map<string, OnenceSim>();
  const server = new ProviderServer((s, req): Answer => {
    if (req.method === "POST" && req.path === "/oauth/token") {
      const basic = `Basic ${Buffer.from(`${o.clientId}:${o.clientSecret}`).toString("base64")}`;
      if (req.headers.authorization !== basic || (req.body as { grant_type?: string }).grant_type !== "client_credentials") return { status: 401, json: { error: "invalid_client" } };
      return { status: 200, json: { access_token: s.issueToken(), token_type: "bearer", expires_in: 3600 } };
    }
    if (!s.authorised(req)) return { status: 401, json: { message: "Unauthorized" } };
    const m = /^\/v1\/sims\/(\d+)$/.exec(req.path);
    const sim = m ? sims.get(m[1]!) : undefined;
    if (!sim) return { status: 404, json: { message: "SIM not found" } };
    if (req.method === "GET") {
      const { pending: _p, ...view } = settle(sim);
      return { status: 200, json: { ...view, msisdn: "882285000000000", ip_address: "10.0.0.1", current_quota: 500, quota_status: { id: 0, description: "More than 20% available" } } };
    }
    if (req.method === "PUT") {
      const b = req.body as { status?: string; imei_lock?: boolean; iccid?: string };
      if (b.status !== undefined && b.status !== "Enabled" && b.status !== "Disabled") return { status: 400, json: { message: "status must be Enabled or Disabled" } };
      const at = s.landsAt();
      sim.pending.push({ at, apply: (x) => Object.assign(x, b.status !== undefined ? { status: b.status } : {}, b.imei_lock !== undefined ? { imei_lock: b.imei_lock } : {}) });
      return { status: 200, json: {} };
    }
    return { status: 405 };
  });
  return {
    server,
    sims,
    addSim(iccid: string): void {
      sims.set(iccid, { iccid, status: "Enabled", imei_lock: false, imei: "356938035643809", pending: [] });
    },
  };
}
