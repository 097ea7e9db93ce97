/** Inventory files in the encodings exports come in (issue 18 item 12): decoded, never a silent U+FFFD. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { InputIssue } from "../../src/core/input-issue.ts";
import { encodingNamed, TextChunkDecoder } from "../../src/formats/text-decode.ts";
import { importDevices } from "../../src/inventory/devices.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "../cli/run-cli.ts";

const TEXT = "device_id,name\nd1,Zähler Süd\nd2,Café €5\n";

async function namesOf(file: string, encoding?: "windows-1252" | "latin1") {
  const store = openSqliteStore(":memory:");
  const issues: InputIssue[] = [];
  await importDevices({ store, file, onIssue: (i) => issues.push(i), parallel: false, ...(encoding ? { encoding } : {}) });
  const names: string[] = [];
  for await (const page of store.fleet.devicePages()) names.push(...page.map((p) => p.device.name ?? ""));
  await store.close();
  return { names: names.sort(), issues };
}

describe("inventory encodings", () => {
  it("encodingNamed knows the names people write, and nothing an object inherits", () => {
    assert.equal(encodingNamed(" CP1252 "), "windows-1252");
    assert.equal(encodingNamed("ISO-8859-1"), "latin1", "the CLI's latin1 is ISO-8859-1 proper");
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) assert.equal(encodingNamed(name), undefined, name);
  });

  it("reads UTF-8 with and without BOM, UTF-16 LE and BE with BOM, to the same text", async () => {
    const t = tmpDir();
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, "utf16le")]);
    const be = Buffer.from(le);
    be.swap16();
    const files = { "utf8.csv": Buffer.from(TEXT), "bom.csv": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]), "le.csv": le, "be.csv": be };
    for (const [name, bytes] of Object.entries(files)) {
      const f = join(t.dir, name);
      writeFileSync(f, bytes);
      const r = await namesOf(f);
      assert.deepEqual(r.issues, [], name);
      assert.deepEqual(r.names, ["Café €5", "Zähler Süd"], name);
    }
  });

  it("a Windows-1252 file is read as such with a warning naming the byte; --encoding reads it without one", async () => {
    const t = tmpDir();
    const f = join(t.dir, "cp1252.csv");
    writeFileSync(f, Buffer.from([...Buffer.from("device_id,name\nd1,Z"), 0xe4, ...Buffer.from("hler S"), 0xfc, ...Buffer.from("d\nd2,Caf"), 0xe9, ...Buffer.from(" "), 0x80, ...Buffer.from("5\n")]));
    const r = await namesOf(f);
    assert.deepEqual(r.names, ["Café €5", "Zähler Süd"]);
    assert.deepEqual(r.issues.map((i) => `${i.level}|${i.reason}`), ["warning|not valid UTF-8 at byte 19: read as Windows-1252 from there (give --encoding utf-8|utf-16le|utf-16be|windows-1252|latin1 to choose)"]);
    const given = await namesOf(f, "windows-1252");
    assert.deepEqual(given.issues, []);
    assert.deepEqual(given.names, ["Café €5", "Zähler Süd"]);
    const cli1 = await cli(["--data", join(t.dir, "data"), "scan", f, "--encoding", "windows-1252", "--now", "2026-11-25"]);
    assert.equal(cli1.code, 0, cli1.stderr);
    assert.doesNotMatch(cli1.stderr, /not valid UTF-8/);
  });

  it("a byte order mark wins over --encoding, as it does for records", async () => {
    const t = tmpDir();
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, "utf16le")]);
    const files = { "bom.csv": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]), "le.csv": le };
    for (const [name, bytes] of Object.entries(files)) {
      const f = join(t.dir, name);
      writeFileSync(f, bytes);
      const r = await namesOf(f, "windows-1252");
      assert.deepEqual(r.issues, [], name);
      assert.deepEqual(r.names, ["Café €5", "Zähler Süd"], name);
    }
  });

  it("splits multi-byte characters across chunks without loss, in any chunking", () => {
    const bytes = Buffer.from("αβγ €😀 ascii ü\n".repeat(50));
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const d = new TextChunkDecoder(undefined, () => assert.fail("no warning for valid UTF-8"));
      let out = "";
      for (let i = 0; i < bytes.length; i += size) out += d.push(bytes.subarray(i, i + size));
      out += d.end();
      assert.equal(out, bytes.toString("utf8"), `chunks of ${size}`);
    }
  });

  it("fuzz: text that is not UTF-8 turns to Windows-1252 at its first invalid byte exactly, in any chunking, nothing dropped", () => {
    // Before: the invalid byte was found by a binary search over prefixes (a prefix ending inside a character is
    // invalid too), so valid text before it was re-read as Windows-1252; and a cut character at the end was lost.
    let seed = 1;
    const r = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const cp1252 = { decode: (b: Uint8Array) => new TextDecoder("windows-1252").decode(b, { stream: true }) }; // Node 20 decodes windows-1252 right only when streaming
    for (let round = 0; round < 500; round++) {
      const parts: Buffer[] = [];
      for (let i = 0; i < 1 + Math.floor(r() * 6); i++) {
        parts.push(Buffer.from([..."é€😀a,\n"].slice(0, 1 + Math.floor(r() * 6)).join("").repeat(1 + Math.floor(r() * 300))));
        if (r() < 0.4) parts.push(Buffer.from([0x80 + Math.floor(r() * 128)]));
      }
      const bytes = Buffer.concat(parts);
      if (bytes[0] === 0xef || bytes[0] === 0xfe || bytes[0] === 0xff) continue;
      const decoded = new TextDecoder().decode(bytes);
      const cut = decoded.indexOf("\uFFFD");
      const bad = cut < 0 ? bytes.length : Buffer.byteLength(decoded.slice(0, cut));
      const want = bytes.subarray(0, bad).toString("utf8") + cp1252.decode(bytes.subarray(bad));
      const warnings: string[] = [];
      const d = new TextChunkDecoder(undefined, (w) => warnings.push(w));
      const size = 1 + Math.floor(r() * 5000);
      let out = "";
      for (let i = 0; i < bytes.length; i += size) out += d.push(bytes.subarray(i, i + size));
      out += d.end();
      assert.equal(out, want, `round ${round}`);
      assert.deepEqual(warnings.map((w) => w.replace(/:.*/, "")), bad < bytes.length ? [`not valid UTF-8 at byte ${bad}`] : [], `round ${round}`);
    }
    const short = new TextChunkDecoder(undefined, () => undefined);
    assert.equal(short.push(Buffer.from("d1")) + short.end(), "d1", "a file of two bytes");
  });
});
