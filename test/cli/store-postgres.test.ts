/** Commands against a PostgreSQL store: the same scan, findings and alerts as with SQLite, named by --store. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

const skip = await postgresAvailable();

describe("longwatch with --store postgres://", () => {
  it("scans into PostgreSQL, re-scans against it, and reads findings back; schemas keep instances apart", { skip: skip ?? false }, async () => {
    const db = await throwawayDatabase();
    const t = tmpDir();
    const devices = t.write("devices.csv", "device_id,open_services,sim_public_ip,iccid\nd-1,telnet:23,true,\nd-2,,false,\nbad,,,not-an-iccid\n,telnet:23,,\n");
    const store = `${db}?schema=fleet_a`;
    const data = `${t.dir}/data`;
    const first = await cli(["--data", data, "--store", store, "scan", devices, "--now", "2026-11-25"]);
    assert.equal(first.code, 3, first.stderr);
    assert.match(first.stdout, /3 devices imported, 1 invalid field left out, 1 rejected/);
    const again = await cli(["--data", data, "scan", "--format", "json", "--now", "2026-11-25"], { LONGWATCH_STORE: store });
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout) as { findings: { status: string; device_id?: string }[] };
    assert.ok(doc.findings.length >= 2);
    assert.ok(doc.findings.some((f) => f.device_id === "bad" && (f as { rule?: string }).rule === "inventory-field-invalid"), "the field left out is kept in PostgreSQL");
    assert.ok(doc.findings.every((f) => f.status === "unchanged"), JSON.stringify(doc.findings.map((f) => f.status)));
    const other = await cli(["--data", data, "--store", `${db}?schema=fleet_b`, "findings", "--format", "json"]);
    assert.equal(other.code, 0, other.stderr);
    assert.deepEqual(JSON.parse(other.stdout), []);
  });
});
