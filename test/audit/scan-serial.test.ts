/**
 * Scans of one store run as if one after the other, imports included: a scan that waits for another has written
 * nothing anyone can see — not its models, not its credentials. (Credentials and models used to be imported before the
 * scan's transaction, so a concurrent scan audited them without their devices: a shared password's what-if target was
 * then named after a device of the other fleet, and the scan's findings depended on timing.)
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { allRules } from "../../src/audit/rules/index.ts";
import { runScan } from "../../src/audit/scan.ts";
import { takeScanLease } from "../../src/audit/scan-lease.ts";
import { keyedDigester } from "../../src/inventory/secrets.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { tmpDir } from "../helpers/tmp.ts";

function writeFleet(dir: string): void {
  writeFileSync(join(dir, "devices.csv"), "device_id,model_id,firmware_version\nd-1,meter,1.0\nd-2,meter,1.0\n");
  writeFileSync(join(dir, "credentials.csv"), "device_id,model_id,service,username,password\nd-1,,ssh,root,shared-1\nd-2,,ssh,root,shared-1\n");
  writeFileSync(join(dir, "models.yaml"), "- model_id: meter\n  ota_capable: true\n");
}

function serialSuite(engine: string, url: () => Promise<string>, skip: string | undefined): void {
  describe(`scans of one ${engine} store wait for each other before importing`, { skip: skip ?? false }, () => {
    const t = tmpDir();
    const opened: Store[] = [];
    after(() => Promise.all(opened.map((s) => s.close())));

    it("a waiting scan's models and credentials are invisible until it has run", async () => {
      writeFleet(t.dir);
      const where = await url();
      const [holder, scanner, reader] = [await openStore(where), await openStore(where), await openStore(where)];
      opened.push(holder, scanner, reader);
      // Another scan, holding the store's turn to scan until released.
      const other = await takeScanLease(holder);
      let done = false;
      const scan = runScan({
        store: scanner,
        rules: allRules,
        now: Date.parse("2026-11-25T12:00:00Z"),
        keyedDigest: keyedDigester(Buffer.alloc(32, 7)),
        onIssue: () => undefined,
        models: join(t.dir, "models.yaml"),
        credentials: join(t.dir, "credentials.csv"),
        inventory: join(t.dir, "devices.csv"),
      }).finally(() => (done = true));
      await sleep(400);
      assert.equal(done, false, "the scan waits for the other one");
      assert.deepEqual(await reader.fleet.counts(), { devices: 0, models: 0, credentials: 0, certificates: 0 }, "nothing of the waiting scan is visible");
      await other.release();
      const outcome = await scan;
      assert.ok("audit" in outcome && outcome.audit.devices === 2);
      assert.deepEqual(await reader.fleet.counts(), { devices: 2, models: 1, credentials: 2, certificates: 0 });
    });
  });
}

const pgSkip = await postgresAvailable();
const pgDb = pgSkip ? "" : await throwawayDatabase();
serialSuite("PostgreSQL", async () => `${pgDb}?schema=serial`, pgSkip);
const files = tmpDir();
serialSuite("SQLite", async () => `sqlite:${join(files.dir, "serial.db")}`, undefined);
