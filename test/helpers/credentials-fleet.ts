/**
 * A small fleet with credentials in a real in-memory SQLite store, scanned by the real audit engine. Credentials are
 * stored as the importer stores them: plaintext becomes a keyed digest under a fresh key, hashes stay crypt strings.
 */
import { serializeDevice } from "../../src/store/store.ts";
import { randomBytes } from "node:crypto";
import type { Credential, DeviceModel, Service } from "../../src/core/fleet.ts";
import type { Finding } from "../../src/core/finding.ts";
import type { RuleSettings } from "../../src/audit/config.ts";
import { runAudit } from "../../src/audit/engine.ts";
import type { Rule } from "../../src/audit/rule.ts";
import { keyedDigester } from "../../src/inventory/secrets.ts";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/index.ts";
import type { StoredDevice } from "../../src/store/store.ts";
import { importRows } from "./store.ts";

export interface CredentialSpec {
  device_id?: string;
  model_id?: string;
  firmware_version?: string;
  service: Service;
  username: string;
  /** Plaintext, digested at once like the importer does. */
  password?: string;
  /** A crypt(3) hash, kept as it is. */
  hash?: string;
  locked?: true;
}

export interface TestFleet {
  store: SqliteStore;
  digest: (password: string) => string;
  scan(rules: readonly Rule[], params?: Record<string, Record<string, unknown>>): Promise<Finding[]>;
}

export async function testFleet(devices: StoredDevice[], credentials: CredentialSpec[], models: DeviceModel[] = []): Promise<TestFleet> {
  const store = openSqliteStore(":memory:");
  const digest = keyedDigester(randomBytes(32));
  await store.fleet.upsertModels(models);
  await importRows(store, devices.map(serializeDevice), { source: "test" });
  await store.fleet.upsertCredentials(
    credentials.map((s) => {
      const c: Credential = {
        service: s.service,
        username: s.username,
        secret: s.locked ? { kind: "locked" } : s.hash !== undefined ? { kind: "crypt", hash: s.hash } : { kind: "keyed", digest: digest(s.password ?? "") },
      };
      if (s.device_id !== undefined) c.device_id = s.device_id;
      if (s.model_id !== undefined) c.model_id = s.model_id;
      if (s.firmware_version !== undefined) c.firmware_version = s.firmware_version;
      return c;
    }),
  );
  let clock = Date.parse("2026-11-25T00:00:00Z");
  return {
    store,
    digest,
    async scan(rules, params = {}) {
      const settings = new Map<string, RuleSettings>();
      for (const r of rules) if (params[r.id]) settings.set(r.id, { params: r.params.parse(params[r.id]) });
      const findings: Finding[] = [];
      await runAudit({ store, rules, now: (clock += 86_400_000), keyedDigest: digest, settings, onFinding: (f) => findings.push(f) });
      return findings;
    },
  };
}

export const device = (device_id: string, extra: Partial<StoredDevice> = {}): StoredDevice => ({ device_id, ...extra });
