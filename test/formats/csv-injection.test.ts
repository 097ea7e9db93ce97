/**
 * Issue 18.15: no CSV export writes a cell a spreadsheet would run as a formula (OWASP's CSV injection rule).
 * Each CSV writer is exercised with hostile values, and every cell it writes is read back with the CSV parser.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Finding } from "../../src/core/finding.ts";
import { CsvParser, csvDataLine, csvField } from "../../src/formats/csv.ts";
import { findingCsvRow } from "../../src/formats/findings-out.ts";
import { renderAlerts } from "../../src/cli/alert-output.ts";
import { revokedCsv } from "../../src/cli/respond-output.ts";
import { diffCsv } from "../../src/cli/vulns.ts";
import { serializeDevice } from "../../src/store/store.ts";
import { startTestService } from "../helpers/serve.ts";
import pc from "picocolors";
import { sampleAlert } from "../helpers/alert.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "../cli/run-cli.ts";
import { readFileSync } from "node:fs";

const HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tlead", "\rlead", "=1"];

function cells(text: string): string[][] {
  const p = new CsvParser({ delimiter: "," });
  return [...p.push(text), ...p.end()].map((r) => ("cells" in r ? r.cells : assert.fail(`unreadable CSV: ${r.error}`)));
}

/** A cell is safe when it does not start with a formula character, unless it is a plain number. */
function assertSafe(rows: string[][]): void {
  for (const row of rows) for (const c of row) assert.ok(!/^[=+\-@\t\r]/.test(c) || /^[-+]?\d+(\.\d*)?$/.test(c), `formula cell written: ${JSON.stringify(c)}`);
}

describe("CSV formula injection", () => {
  it("csvField prefixes formula cells with a quote and keeps plain numbers and ordinary text", () => {
    for (const h of HOSTILE) {
      const out = csvField(h);
      assert.equal(cells(out)[0]![0], `'${h}`);
    }
    assert.equal(csvField("-3"), "-3");
    assert.equal(csvField("+1.5"), "+1.5");
    assert.equal(csvField(-42), "-42");
    assert.equal(csvField("meter-1"), "meter-1");
    assert.equal(csvField("a=b"), "a=b");
    // Input files Longwatch writes for itself keep their values.
    assert.equal(csvDataLine(["-x", "=y"]), "-x,=y");
  });

  it("findings CSV", () => {
    const f: Finding = { rule: "insecure-service", severity: "high", device_id: "=cmd()", model_id: "@m", title: "+t", evidence: {}, standards: [], fingerprint: "-fp", status: "new" };
    assertSafe(cells(findingCsvRow(f)));
  });

  it("alerts CSV", () => {
    const csv = renderAlerts([sampleAlert({ device_id: "=HYPERLINK(1)", summary: "@x", action: "\tdo", key: "-k" })], "csv", pc.createColors(false));
    assertSafe(cells(csv));
  });

  it("revoked certificates CSV", () => {
    const csv = revokedCsv([{ fingerprint: "ab", reason: "=evil()", revoked_at: "2026-01-01", response_id: "r1", subject: "+CN", devices: ["-d"] }]);
    assertSafe(cells(csv));
  });

  it("vulns diff CSV (component names and versions come from SBOMs)", () => {
    const csv = diffCsv({ model_id: "m", from: "1", to: "2", counts: { fixed: 1, introduced: 0, remaining: 0 }, entries: HOSTILE.map((h) => ({ change: "fixed", vuln_id: "CVE-2026-1", severity: "high", component: h, from_version: h, to_version: "-1", known_exploited: false })) });
    assert.ok(csv.includes("'=HYPERLINK"), csv);
    assertSafe(cells(csv));
  });

  it("the API's CSV exports (devices, alerts)", async () => {
    const svc = await startTestService(); // closed after the file's tests
    await svc.store.transaction(async (tx) => {
      const run = await tx.fleet.startImport("test");
      await tx.fleet.upsertDevices(run, HOSTILE.map((h, i) => serializeDevice({ device_id: `d-${i}`, name: h, groups: [h] })));
      await tx.fleet.finishImport(run);
    });
    await svc.store.alerts.upsert(HOSTILE.map((h, i) => sampleAlert({ id: `al-${i}`, device_id: h, summary: h })), "2026-03-01T11:00:00Z");
    for (const path of ["/api/v1/devices?format=csv", "/api/v1/alerts?format=csv"]) {
      const r = await svc.fetch(path, { token: svc.tokens.viewer });
      assert.equal(r.status, 200, path);
      const text = await r.text();
      assert.ok(text.includes("'=HYPERLINK"), `${path}: ${text}`);
      assertSafe(cells(text));
    }
  });

  it("scan --format csv and the rejects file of an import", async () => {
    const t = tmpDir();
    const devices = t.write("devices.csv", 'device_id,open_services,iccid\n"=HYPERLINK(""http://x"")",telnet:23,\n@dev,,=bad\n');
    const rejects = join(t.dir, "rejects.csv");
    const r = await cli(["--data", join(t.dir, "data"), "scan", devices, "--format", "csv", "--now", "2026-11-25", "--rejects", rejects]);
    assert.ok(r.stdout.includes("'=HYPERLINK"), r.stdout + r.stderr);
    assertSafe(cells(r.stdout));
    assertSafe(cells(readFileSync(rejects, "utf8")));
  });
});
