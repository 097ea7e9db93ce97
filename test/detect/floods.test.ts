/**
 * ddos-participation counts flows and connection attempts as well as packets: a flood Zeek records with 0 packets
 * (flows with bad checksums) is caught, and one long answered connection (an upload with its ACKs) is not a flood.
 * Lines come from the real captures in test/fixtures/zeek-labelled (GPL-2.0, see SOURCE.txt).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runDetection } from "../../src/detect/run.ts";
import { tmpDir } from "../helpers/tmp.ts";

const dir = join(import.meta.dirname, "..", "fixtures", "zeek-labelled");
const now = Date.parse("2030-01-01T00:00:00Z");

function zeek(file: string): { header: string[]; rows: string[][]; col: (n: string) => number } {
  const lines = readFileSync(join(dir, file), "utf8").trimEnd().split("\n");
  const header = lines.filter((l) => l.startsWith("#"));
  const cols = header.find((l) => l.startsWith("#fields"))!.split("\t").slice(1);
  return { header, rows: lines.filter((l) => !l.startsWith("#")).map((l) => l.split("\t")), col: (n) => cols.indexOf(n) };
}

describe("ddos-participation by count", () => {
  it("catches a flood of connection attempts that Zeek recorded with 0 packets", () => {
    const z = zeek("njrat-ctu-230-1.conn.log");
    // A real unanswered attempt of the NjRAT host (S0 to its C&C), repeated 400 times in 40 s from new source ports
    // with its packet counts zeroed, as Zeek writes flows whose checksums were bad.
    const attempt = z.rows.find((r) => r[z.col("conn_state")] === "S0" && r[z.col("id.resp_p")] === "1177")!;
    const t = Number(attempt[z.col("ts")]);
    const flood = Array.from({ length: 400 }, (_, i) => {
      const r = [...attempt];
      r[z.col("ts")] = (t + i * 0.1).toFixed(6);
      r[z.col("uid")] = `Cflood${i}`;
      r[z.col("id.orig_p")] = String(20000 + i);
      for (const c of ["orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"]) r[z.col(c)] = "0";
      return r.join("\t");
    });
    const tmp = tmpDir();
    const f = tmp.write("flood.conn.log", `${[...z.header, ...flood].join("\n")}\n`);
    const r = runDetection({ files: [f], detectors: ["ddos-participation"], now, onReject: () => assert.fail("reject") });
    assert.equal(r.alerts.length, 1);
    assert.equal(r.alerts[0]!.evidence.by, "flows");
    assert.equal(r.alerts[0]!.evidence.target, attempt[z.col("id.resp_h")]);
    assert.ok(Number(r.alerts[0]!.evidence.flows) >= 300);
  });

  it("does not take one long answered connection for a flood (a 19 MB upload with its ACKs, real RAT capture)", () => {
    const r = runDetection({ files: [join(dir, "androidtester-rat.conn.log")], detectors: ["ddos-participation"], now, onReject: () => {} });
    assert.deepEqual(r.alerts.map((a) => a.key), []);
  });
});
