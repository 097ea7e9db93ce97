/**
 * The shapes the dashboard reads from the API: the types generated from the OpenAPI document the server publishes
 * (schema.ts, written by `npm run gen:openapi`), under the names the pages use. Nothing here is written by hand but the
 * aliases, so a page that reads a field the service does not send fails the typecheck.
 */
import type * as S from "./schema.ts";

export type Role = S.Principal["role"];
export type Severity = S.Finding["severity"];
export type Problem = Partial<S.Problem>;
export type Principal = S.Principal;
export type Total = S.Total;

/** Every list answers this page (FORMATS.md, "Service"). */
export interface ListPage<T> {
  items: T[];
  next_page_token: string | null;
  total: Total;
}

export type Device = S.Device;
export type DeviceModel = S.DeviceModel;
export type Finding = S.Finding;
export type FindingGroup = S.FindingGroup;
export type Alert = S.Alert;
export type AlertState = S.Alert["state"];
export type Verification = S.Alert["verification"];
export type AlertEvent = S.AlertEvent;
export type AuditEntry = S.AuditEntry;
export type TokenInfo = S.ApiToken;
export type Overview = S.Overview;
export type Forecast = S.Forecast;
export type ForecastRow = S.ForecastRow;
export type AssessmentInfo = S.AssessmentInfo;
export type Suppression = S.Suppression;
export type NewSuppression = S.NewSuppression;
export type { Responses, Bodies, OperationId } from "./schema.ts";
