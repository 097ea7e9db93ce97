/**
 * Detection input in the encodings exports come in (issue 18 item 12): every reader (CSV, NDJSON, Zeek, JSON), from a
 * file, from bytes and on the reading thread, reads UTF-8 with or without BOM, UTF-16 by BOM and an encoding given to
 * the same records; bytes that are not UTF-8 anywhere in the file are read as Windows-1252 with one warning naming
 * their file, line and byte — never a silent U+FFFD.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Engine } from "../../src/detect/engine.ts";
import { replay } from "../../src/detect/replay.ts";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "../cli/run-cli.ts";
import { readAll, readBytes } from "./read-helpers.ts";

const ROWS = [
  ["2026-11-24T10:00:00Z", "Zähler-1", "10.0.0.1", "52.1.1.1", "443", "100", "café/€"],
  ["2026-11-24T10:00:01Z", "Zähler-2", "10.0.0.2", "52.1.1.2", "443", "200", "naïve"],
];
const TEXTS: Record<string, string> = {
  "csv": `ts,device_id,src_ip,dst_ip,dst_port,bytes_out,topic\n${ROWS.map((r) => r.join(",")).join("\n")}\n`,
  "ndjson": ROWS.map((r) => JSON.stringify({ ts: r[0], kind: "flow", device_id: r[1], src_ip: r[2], dst_ip: r[3], dst_port: Number(r[4]), bytes_out: Number(r[5]), topic: r[6] })).join("\n") + "\n",
  "json": JSON.stringify(ROWS.map((r) => ({ ts: r[0], kind: "flow", device_id: r[1], src_ip: r[2], dst_ip: r[3], dst_port: Number(r[4]), bytes_out: Number(r[5]), topic: r[6] })), null, 2) + "\n",
  "conn.log": "#separator \\x09\n#fields\tts\tdevice_id\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\n1795514400.0\tCÄ1\t10.0.0.1\t5000\t52.1.1.1\t443\ttcp\t100\n1795514401.0\tCé2\t10.0.0.2\t5001\t52.1.1.2\t443\ttcp\t200\n",
};

const cp1252 = (t: string) => Buffer.from([...t].map((c) => (c === "€" ? 0x80 : c.charCodeAt(0))));
const utf16 = (t: string, be: boolean) => {
  const b = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, "utf16le")]);
  return be ? b.swap16() : b;
};

describe("detection readers: encodings", () => {
  for (const [ext, text] of Object.entries(TEXTS)) {
    it(`${ext}: UTF-8 with and without BOM, UTF-16 LE/BE by BOM and Windows-1252 read to the same records`, () => {
      const t = tmpDir();
      const base = readAll(t.write(`plain.${ext}`, text));
      assert.equal(base.records.length, 2, JSON.stringify(base));
      assert.deepEqual(base.rejects, []);
      assert.ok(JSON.stringify(base.records).includes(ext === "conn.log" ? "CÄ1" : "Zähler-1"));
      const variants: [string, Buffer, string | undefined][] = [
        ["bom", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), undefined],
        ["le", utf16(text, false), undefined],
        ["be", utf16(text, true), undefined],
        ["cp1252", cp1252(text), "windows-1252"],
        ["latin1", Buffer.from(text.replace(/€/g, "¤"), "latin1"), "latin1"],
      ];
      for (const [name, bytes, encoding] of variants) {
        const f = join(t.dir, `${name}.${ext}`);
        writeFileSync(f, bytes);
        const warnings: string[] = [];
        const opts = { ...(encoding ? { encoding: encoding as "windows-1252" | "latin1" } : {}), onWarning: (w: string) => warnings.push(w) };
        const got = readAll(f, opts);
        const want = name === "latin1" ? readAll(t.write(`l.${ext}`, text.replace(/€/g, "¤"))) : base;
        assert.deepEqual(got.records, want.records, `${ext} ${name}`);
        assert.deepEqual(got.rejects, [], `${ext} ${name}`);
        assert.deepEqual(warnings, [], `${ext} ${name}`);
      }
    });
  }

  it("warns once, with file:line and byte, at the first byte that is not UTF-8 — however deep in the file — and reads it as Windows-1252", () => {
    const t = tmpDir();
    const head = "ts,device_id,metric,value\n";
    const good = Array.from({ length: 5000 }, (_, i) => `2026-11-24T10:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z,dé-${i % 7},temp,${i}\n`).join("");
    // Past the first 64 KiB, which is all the check before this looked at.
    const bad = Buffer.concat([Buffer.from(head + good), Buffer.from("2026-11-24T11:30:00Z,Z"), Buffer.from([0xe4]), Buffer.from("hler,temp,1\n2026-11-24T11:30:01Z,Z"), Buffer.from([0xe4]), Buffer.from("hler,temp,2\n")]);
    assert.ok(bad.indexOf(0xe4) > 65536);
    const f = join(t.dir, "cp.csv");
    writeFileSync(f, bad);
    const warnings: string[] = [];
    const r = readAll(f, { onWarning: (w) => warnings.push(w) });
    const at = bad.indexOf(0xe4);
    const once = `${f}:5002: not valid UTF-8 at byte ${at}: read as Windows-1252 from there (give --encoding utf-8|utf-16le|utf-16be|windows-1252|latin1 to choose)`;
    assert.deepEqual(warnings, [once, once], "once by the file reader, once by the in-memory reader (readAll runs both)");
    assert.equal(r.records.length, 5002);
    assert.deepEqual(r.records.slice(-2).map((x) => x.fields.device_id), ["Zähler", "Zähler"]);
    assert.equal(r.records[0]!.fields.device_id, "dé-0", "text before the bad byte stays UTF-8");
    const fromBytes: string[] = [];
    readBytes("http", bad, { onWarning: (w) => fromBytes.push(w) });
    assert.deepEqual(fromBytes, [`http:5002: not valid UTF-8 at byte ${at}: read as Windows-1252 from there (give --encoding utf-8|utf-16le|utf-16be|windows-1252|latin1 to choose)`]);
    // The same from the reading thread, and once only although the replay reads the file twice (it is sorted).
    const threaded: string[] = [];
    const build = () => new Engine({ detectors: allDetectors.filter((d) => d.id === "device-silent"), sink: () => undefined, clock: () => Date.parse("2026-11-25T00:00:00Z") });
    const shuffled = join(t.dir, "late.csv");
    writeFileSync(shuffled, Buffer.concat([bad, Buffer.from("2026-11-24T09:00:00Z,early,temp,0\n")]));
    const { stats } = replay(build, [shuffled], { readThread: true, onReject: () => undefined, onWarning: (w) => threaded.push(w) });
    assert.ok(stats.sorted, "the out-of-order line makes the replay sort (a second read)");
    assert.deepEqual(threaded, [`${shuffled}:5002: not valid UTF-8 at byte ${at}: read as Windows-1252 from there (give --encoding utf-8|utf-16le|utf-16be|windows-1252|latin1 to choose)`]);
  });

  it("names the line in a JSON document and in NDJSON too", () => {
    const t = tmpDir();
    for (const ext of ["json", "ndjson"]) {
      const text = TEXTS[ext]!;
      const bytes = Buffer.from(text.replace("naïve", "na\u0000ve"));
      bytes[bytes.indexOf(0)] = 0xef; // "na" 0xEF "ve": a lead byte with no continuation
      const f = join(t.dir, `x.${ext}`);
      writeFileSync(f, bytes);
      const warnings: string[] = [];
      const r = readAll(f, { onWarning: (w) => warnings.push(w) });
      const line = text.slice(0, text.indexOf("naïve")).split("\n").length;
      assert.deepEqual(warnings.map((w) => w.replace(/ at byte.*/, "")), [`${f}:${line}: not valid UTF-8`, `${f}:${line}: not valid UTF-8`], ext);
      assert.ok(JSON.stringify(r.records).includes("naïve"), `${ext}: 0xEF read as Windows-1252 ï`);
    }
  });
});

describe("detect --encoding", () => {
  const NOW = { LONGWATCH_NOW: "2026-11-25" };
  const CSV = "ts,device_id,kind,metric,value\n2026-11-24T10:00:00Z,Zähler,metric,temp,21\n";

  it("reads UTF-16 by its BOM (once refused), Windows-1252 when told, and says where a file is not UTF-8", async () => {
    const t = tmpDir();
    const data = join(t.dir, "d");
    const u16 = join(t.dir, "u16.csv");
    writeFileSync(u16, utf16(CSV, false));
    const a = await cli(["--data", data, "detect", u16, "--no-store"], NOW);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /Read 1 record/);
    assert.doesNotMatch(a.stderr, /warning/);
    const cp = join(t.dir, "cp.csv");
    writeFileSync(cp, cp1252(CSV));
    const b = await cli(["--data", data, "detect", cp, "--no-store"], NOW);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /warning: .*cp\.csv:2: not valid UTF-8 at byte 53: read as Windows-1252 from there/);
    const c = await cli(["--data", data, "detect", cp, "--no-store", "--encoding", "cp1252"], NOW);
    assert.equal(c.code, 0, c.stderr);
    assert.doesNotMatch(c.stderr, /warning/);
    const d = await cli(["--data", data, "detect", cp, "--no-store", "--encoding", "ebcdic"], NOW);
    assert.notEqual(d.code, 0);
    assert.match(d.stderr, /"ebcdic" is not an encoding Longwatch reads/);
  });
});
