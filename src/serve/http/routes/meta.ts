/** The API's description of itself, who is calling, and the Prometheus metrics. */
import { z } from "zod";
import { ROLES } from "../../../core/roles.ts";
import { Reply, route } from "../route.ts";

export const PrincipalSchema = z
  .object({ kind: z.enum(["token", "account"]), name: z.string(), role: z.enum(ROLES), token_id: z.string().optional() })
  .meta({ id: "Principal", description: "Who a request or session acts as." });

export const metaRoutes = [
  route({
    id: "meta.openapi",
    method: "GET",
    path: "/api/v1/openapi.json",
    role: "viewer",
    tag: "meta",
    summary: "This document: the OpenAPI 3.1 description of everything under /api/v1",
    response: z.record(z.string(), z.unknown()),
    handler: async (ctx) => ctx.deps.openapi(),
  }),
  route({
    id: "meta.whoami",
    method: "GET",
    path: "/api/v1/whoami",
    role: "viewer",
    tag: "meta",
    summary: "Who the credentials presented belong to, and their role",
    response: PrincipalSchema,
    handler: async (ctx) => ctx.principal,
  }),
  route({
    id: "meta.metrics",
    method: "GET",
    path: "/metrics",
    role: "viewer",
    tag: "operations",
    summary: "Prometheus metrics (text exposition format 0.0.4)",
    response: { mediaType: "text/plain; version=0.0.4" },
    handler: async (ctx) => new Reply(200, `${ctx.deps.httpMetrics.render()}${ctx.deps.metricsText?.() ?? ""}`, "text/plain; version=0.0.4; charset=utf-8"),
  }),
];
