/** Every operation of the API, in one table: the server, the OpenAPI document and the auth tests read it. A new operation is one entry in one of these lists (or a new list here). */
import type { Route } from "../route.ts";
import { alertRoutes } from "./alerts.ts";
import { auditRoutes } from "./audit-log.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { deadLetterRoutes } from "./dead-letters.ts";
import { deviceDetailRoutes } from "./device-detail.ts";
import { findingRoutes } from "./findings.ts";
import { fleetRoutes } from "./fleet.ts";
import { healthRoutes } from "./health.ts";
import { insightRoutes } from "./insights.ts";
import { metaRoutes } from "./meta.ts";
import { recordRoutes } from "./records.ts";
import { respondRoutes } from "./respond.ts";
import { scanRoutes } from "./scans.ts";
import { sessionRoutes } from "./session.ts";
import { tokenRoutes } from "./tokens.ts";

export const allRoutes: readonly Route[] = [...healthRoutes, ...metaRoutes, ...sessionRoutes, ...tokenRoutes, ...fleetRoutes, ...deviceDetailRoutes, ...alertRoutes, ...deadLetterRoutes, ...findingRoutes, ...scanRoutes, ...insightRoutes, ...auditRoutes, ...recordRoutes, ...respondRoutes, ...dashboardRoutes];
