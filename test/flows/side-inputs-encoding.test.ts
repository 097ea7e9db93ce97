/**
 * detect's side inputs — a DNS log (--dns-log) and tracker lists (--trackers) — are decoded like every other input
 * (issue 18 item 12): UTF-16 by its BOM, a UTF-8 BOM dropped, Windows-1252 from the first byte that is not UTF-8 with a
 * warning naming the file and byte. They were read with readFileSync(…, "utf8"): a silent U+FFFD, UTF-16 unreadable,
 * and a tracker JSON with a BOM taken for CSV.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readDnsLog } from "../../src/flows/dns-log.ts";
import { loadTrackers } from "../../src/flows/trackers.ts";
import { tmpDir } from "../helpers/tmp.ts";

describe("DNS log and tracker list encodings", () => {
  it("reads a UTF-16 DNS log by its BOM", () => {
    const t = tmpDir();
    const f = join(t.dir, "dns.ndjson");
    writeFileSync(f, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`{"query":"meter.example.com","answers":["52.1.1.1"]}\n`, "utf16le")]));
    const warnings: string[] = [];
    assert.equal(readDnsLog(f, undefined, (w) => warnings.push(w)).names.get("52.1.1.1"), "meter.example.com");
    assert.deepEqual(warnings, []);
  });

  it("reads a Windows-1252 tracker list with a warning naming the byte, and a tracker JSON with a BOM", () => {
    const t = tmpDir();
    const csv = join(t.dir, "trackers.csv");
    writeFileSync(csv, Buffer.from("domain,owner,category\ntrack.example,Soci\u00e9t\u00e9 X,advertising\n", "latin1"));
    const warnings: string[] = [];
    const list = loadTrackers([csv], (w) => warnings.push(w));
    assert.equal(list.lookup("track.example")?.owner, "Société X");
    assert.deepEqual(warnings, [`${csv}: not valid UTF-8 at byte 40: read as Windows-1252 from there (convert the file to UTF-8)`]);
    const json = join(t.dir, "tds.json");
    writeFileSync(json, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ trackers: { "ads.example": { owner: { name: "Ads Co" }, categories: ["Advertising"] } } }))]));
    assert.equal(loadTrackers([json]).lookup("ads.example")?.owner, "Ads Co");
  });
});
