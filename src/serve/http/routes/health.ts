/** Liveness and readiness: the only operations that answer without credentials, and say nothing about the fleet. */
import { z } from "zod";
import { Reply, route } from "../route.ts";

const Health = z.object({ status: z.enum(["ok", "unavailable"]) }).meta({ id: "Health" });

export const healthRoutes = [
  route({
    id: "health.live",
    method: "GET",
    path: "/healthz",
    role: "public",
    tag: "operations",
    summary: "Liveness: the process answers",
    response: Health,
    handler: async () => ({ status: "ok" }),
  }),
  route({
    id: "health.ready",
    method: "GET",
    path: "/readyz",
    role: "public",
    tag: "operations",
    summary: "Readiness: the store answers and live ingest has started (503 otherwise)",
    response: Health,
    handler: async (ctx) => ((await ctx.deps.ready()) ? { status: "ok" } : new Reply(503, { status: "unavailable" })),
  }),
];
