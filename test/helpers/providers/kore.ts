/** A local KORE Super SIM API: OAuth2 client credentials, SIMs by ICCID, form-posted updates passing through `scheduled`, fleets. */
import { type Answer, type Pending, ProviderServer, settle } from "./server.ts";

export interface KoreSim {
  sid: string;
  iccid: string;
  status: string;
  fleet_sid: string | null;
  pending: Pending<KoreSim>[];
}

export function koreServer(o: { clientId: string; clientSecret: string }) {
  const sims = new Map<string, KoreSim>();
  const server = new ProviderServer((s, req): Answer => {
    if (req.method === "POST" && req.path === "/api-services/v1/auth/token") {
      const b = req.body as Record<string, string>;
      if (b.grant_type !== "client_credentials" || b.client_id !== o.clientId || b.client_secret !== o.clientSecret) return { status: 401, json: { error: "invalid_client" } };
      return { status: 200, json: { access_token: s.issueToken(), expires_in: 3600, token_type: "Bearer" } };
    }
    if (!s.authorised(req)) return { status: 401, json: { code: 20003, message: "Authenticate" } };
    const url = new URL(req.path, "http://x");
    const view = (x: KoreSim) => {
      const { pending: _p, ...v } = settle(x);
      return { ...v, account_sid: "AC0", url: `${server.url}/v1/Sims/${x.sid}` };
    };
    if (req.method === "GET" && url.pathname === "/v1/Sims") {
      const iccid = url.searchParams.get("Iccid");
      return { status: 200, json: { sims: [...sims.values()].filter((x) => iccid === null || x.iccid === iccid).map(view), meta: { page: 0, page_size: 50 } } };
    }
    const m = /^\/v1\/Sims\/(HS[0-9a-f]{32})$/.exec(url.pathname);
    const sim = m ? sims.get(m[1]!) : undefined;
    if (!sim) return { status: 404, json: { code: 20404, message: "The requested resource was not found" } };
    if (req.method === "GET") return { status: 200, json: view(sim) };
    if (req.method === "POST") {
      const b = req.body as Record<string, string>;
      if (b.Status !== undefined && !["ready", "active", "inactive"].includes(b.Status)) return { status: 400, json: { code: 20001, message: "Invalid Status" } };
      if (b.Fleet !== undefined && !/^HF[0-9a-f]{32}$/.test(b.Fleet)) return { status: 400, json: { code: 20001, message: "Invalid Fleet" } };
      settle(sim);
      if (b.Status !== undefined) {
        const to = b.Status;
        sim.status = "scheduled";
        sim.pending.push({ at: s.landsAt(), apply: (x) => (x.status = to) });
      }
      if (b.Fleet !== undefined) {
        const to = b.Fleet;
        sim.pending.push({ at: s.landsAt(), apply: (x) => (x.fleet_sid = to) });
      }
      return { status: 202, json: view(sim) };
    }
    return { status: 405 };
  });
  return {
    server,
    sims,
    addSim(sid: string, iccid: string, fleet: string): void {
      sims.set(sid, { sid, iccid, status: "active", fleet_sid: fleet, pending: [] });
    },
  };
}
