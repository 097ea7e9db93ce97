import { serializeDevice } from "../../src/store/store.ts";
/** Builds a real (in-memory SQLite) store holding a small fleet, and runs the real audit engine over it. */
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { runAudit } from "../../src/audit/engine.ts";
import type { Rule } from "../../src/audit/rule.ts";
import type { RuleSettings } from "../../src/audit/config.ts";
import type { CertificateInfo, Credential, DeviceModel } from "../../src/core/fleet.ts";
import type { Finding } from "../../src/core/finding.ts";
import { parseIsoDate } from "../../src/core/dates.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { Store, StoredDevice, Suppression } from "../../src/store/store.ts";
import { importRows } from "./store.ts";

export const TEST_KEY = Buffer.alloc(32, 7);
export const testDigest = (pw: string) => `lwk1$${createHmac("sha256", TEST_KEY).update(pw).digest("base64url")}`;

export interface FleetSpec {
  models?: DeviceModel[];
  devices?: StoredDevice[];
  credentials?: Credential[];
  certificates?: CertificateInfo[];
}

export async function storeWith(spec: FleetSpec, dataDir = ":memory:"): Promise<Store> {
  const store = openSqliteStore(dataDir === ":memory:" ? dataDir : join(dataDir, "longwatch.db"));
  await store.fleet.upsertModels(spec.models ?? []);
  await store.fleet.upsertCertificates(spec.certificates ?? []);
  await importRows(store, (spec.devices ?? []).map(serializeDevice), { source: "test" });
  await store.fleet.upsertCredentials(spec.credentials ?? []);
  return store;
}

export interface AuditRun {
  findings: Finding[];
  fixed: Finding[];
}

export async function audit(
  store: Store,
  rules: readonly Rule[],
  opts: { now?: string; settings?: Map<string, RuleSettings>; suppressions?: Suppression[] } = {},
): Promise<AuditRun> {
  const findings: Finding[] = [];
  const r = await runAudit({
    store,
    rules,
    now: parseIsoDate(opts.now ?? "2026-11-25")!,
    keyedDigest: testDigest,
    ...(opts.settings ? { settings: opts.settings } : {}),
    ...(opts.suppressions ? { extraSuppressions: opts.suppressions } : {}),
    onFinding: (f) => findings.push(f),
  });
  return { findings, fixed: r.fixed };
}

/** Findings of one rule, as `subject → finding` for readable assertions. */
export function byDevice(findings: Finding[], rule: string): Map<string, Finding> {
  return new Map(findings.filter((f) => f.rule === rule).map((f) => [f.device_id ?? f.model_id ?? "", f]));
}
