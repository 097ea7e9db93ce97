/**
 * The device columns whatif/ reads (fleet migration 4: MQTT flag, APN, IMSI prefix, issuer and issuer fingerprint)
 * and device_cells, on SQLite and PostgreSQL: filled at import; brought up to date when a certificate is stored again;
 * and backfilled by the migration on a store written before it, giving the same answers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { RespondSettingsSchema } from "../../src/respond/settings.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { compromise } from "../../src/whatif/compromise.ts";
import { rankAll, RANKABLE_KINDS } from "../../src/whatif/rank.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { CA_X, fleetDevices, MORE_CREDENTIALS, seedFleet } from "./fleet.ts";

const TARGETS = [`ca:${CA_X}`, "ca:CN=Legacy CA", "provider:26201", "provider:iot.acme", "provider:m2m.orange", "credential:trk-0/ssh/admin", "credential:trk-8/http/admin", "model:gateway", "firmware:tracker@2.0", "component:openssl"];

/** What whatif answers and what the columns hold: equal before and after a backfill. */
async function answers(store: Store): Promise<unknown> {
  const deps = { store, settings: RespondSettingsSchema.parse({}), env: {}, now: () => Date.parse("2026-11-25T12:00:00Z") };
  const reports = [];
  for (const t of TARGETS) reports.push(await compromise(deps, t));
  return { reports, ranking: await rankAll(store, { kinds: RANKABLE_KINDS }) };
}

/** Undoes fleet migration 4 (and PostgreSQL's indexes of whatif 2, which build on it), as a store written by the version before it looks. */
const REVERT = [
  "DROP TABLE device_cells",
  "DROP INDEX devices_issuer",
  "DROP INDEX IF EXISTS devices_issuer_name",
  "DROP INDEX IF EXISTS credentials_secret_id",
  "DROP INDEX IF EXISTS credentials_secret",
  "DELETE FROM schema_migrations WHERE area = 'whatif' AND version = 2",
  ...["mqtt", "apn", "mccmnc", "issuer", "issuer_fingerprint"].map((c) => `ALTER TABLE devices DROP COLUMN ${c}`),
  "DELETE FROM schema_migrations WHERE area = 'fleet' AND version = 4",
];

function cases(engine: string, open: () => Promise<{ url: string; sql: (q: string) => Promise<Record<string, unknown>[]>; end: () => Promise<void> } | undefined>, skip?: string) {
  it(`${engine}: import fills the columns; a certificate stored again moves its devices; the migration backfills an older store`, { skip }, async () => {
    const o = (await open())!;
    let store = await openStore(o.url);
    await seedFleet(store);
    await store.fleet.upsertCredentials(MORE_CREDENTIALS);
    const { devices, certs } = fleetDevices();
    const columns = async () => (await o.sql("SELECT device_id, mqtt, apn, mccmnc, issuer, issuer_fingerprint FROM devices ORDER BY device_id")).map((r) => ({ ...r, mqtt: Number(r.mqtt) }));
    const expected = devices
      .map((d) => {
        const c = certs.find((x) => x.fingerprint === d.cert_fingerprint);
        return { device_id: d.device_id, mqtt: d.mqtt_client_id ? 1 : 0, apn: d.sim_apn?.toLowerCase() ?? "", mccmnc: d.imsi?.slice(0, 6) ?? "", issuer: c?.issuer ?? null, issuer_fingerprint: c?.issuer_fingerprint ?? null };
      })
      .sort((a, b) => (a.device_id < b.device_id ? -1 : 1));
    assert.deepEqual(await columns(), expected);
    const before = await answers(store);

    // trk-0's certificate re-issued by another CA: it leaves CA_X's blast radius and forms its own.
    const other = "0e".repeat(32);
    const trk0 = certs.find((c) => c.fingerprint === devices[0]!.cert_fingerprint)!;
    await store.fleet.upsertCertificates([{ ...trk0, issuer: "CN=Other CA", issuer_fingerprint: other }]);
    const deps = { store, settings: RespondSettingsSchema.parse({}), env: {}, now: () => 0 };
    assert.equal((await compromise(deps, `ca:${CA_X}`)).affected.devices, 9);
    assert.equal((await compromise(deps, `ca:${other}`)).affected.devices, 1);
    await store.fleet.upsertCertificates([trk0]);
    assert.deepEqual(await answers(store), before);
    await store.close();

    for (const q of REVERT) await o.sql(q);
    assert.ok((await o.sql("SELECT * FROM devices LIMIT 1")).every((r) => !("mqtt" in r)), "reverted");
    store = await openStore(o.url);
    assert.deepEqual(await columns(), expected, "backfilled");
    assert.deepEqual(await answers(store), before);
    await store.close();
    await o.end();
  });
}

describe("what-if device columns", async () => {
  const t = tmpDir();
  cases("SQLite", async () => {
    const file = join(t.dir, "lw.db");
    return {
      url: `sqlite:${file}`,
      sql: async (q) => {
        const db = new Database(file);
        try {
          const s = db.prepare(q);
          return s.reader ? (s.all() as Record<string, unknown>[]) : (s.run(), []);
        } finally {
          db.close();
        }
      },
      end: async () => undefined,
    };
  });
  const skip = await postgresAvailable();
  const db = skip ? undefined : await throwawayDatabase();
  cases(
    "PostgreSQL",
    async () => {
      const url = new URL(db!);
      url.searchParams.set("schema", "whatif_columns_test");
      const c = new pg.Client({ connectionString: db, options: "-c search_path=whatif_columns_test" });
      await c.connect();
      return { url: url.toString(), sql: async (q) => (await c.query(q)).rows as Record<string, unknown>[], end: () => c.end() };
    },
    skip,
  );
});
