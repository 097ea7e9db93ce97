/** The shipped dictionary: complete Mirai table, clean normalisation, guess order, and that it matches its generator. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { candidatesFor } from "../../src/audit/credentials/candidates.ts";
import { SHIPPED_DICTIONARY, describeMatch, indexDictionary, listOf, loadDictionary, parseDictionary } from "../../src/audit/credentials/dictionary.ts";
import { SERVICES } from "../../src/core/fleet.ts";

const REPO = resolve(import.meta.dirname, "..", "..");
const SOURCES = resolve(REPO, "..", "shared", "data", "default-credentials");

describe("shipped default-credential dictionary", () => {
  const dict = loadDictionary();

  it("holds every one of the 62 Mirai scanner entries (scanner.c lines 124-185)", () => {
    const lines = new Set(dict.entries.flatMap((e) => e.sources.filter((s) => listOf(s) === "mirai")));
    assert.equal(lines.size, 62);
    for (let l = 124; l <= 185; l++) assert.ok(lines.has(`mirai:scanner.c#L${l}`), `line ${l}`);
    const root = dict.entries.filter((e) => e.sources.includes("mirai:scanner.c#L124"));
    assert.deepEqual(root.map((e) => [e.username, e.password, e.service]), [["root", "xc3511", "telnet"]]);
    // Lines 135 and 140: root and admin with no password.
    assert.deepEqual(dict.entries.filter((e) => e.sources.includes("mirai:scanner.c#L140")).map((e) => [e.username, e.password]), [["admin", ""]]);
  });

  it("comes from all four lists, is de-duplicated and normalised", () => {
    const lists = new Set(dict.entries.flatMap((e) => e.sources.map(listOf)));
    assert.deepEqual([...lists].sort(), ["defaultcreds", "mirai", "routersploit", "seclists"]);
    assert.ok(dict.entries.length > 4000 && dict.entries.length < 10000, String(dict.entries.length));
    const keys = dict.entries.map((e) => [e.vendor.toLowerCase(), e.product.toLowerCase(), e.service, e.username, e.password].join("\0"));
    assert.equal(new Set(keys).size, keys.length, "duplicate rows");
    for (const e of dict.entries) {
      assert.ok(e.service === "" || (SERVICES as readonly string[]).includes(e.service), e.service);
      assert.ok(!/^\(.*\)$|^<[^<>]*>$/.test(e.password), `placeholder password kept: ${e.password}`);
      assert.ok(!/^<blank>$/i.test(e.username) && !e.password.includes("\u00ad"));
      assert.ok(e.sources.length > 0);
    }
    assert.ok(dict.byPassword.get("")!.length > 100, "blank markers became empty passwords");
    // The file ships in the package: keep it small.
    assert.ok(readFileSync(SHIPPED_DICTIONARY).length < 400_000);
  });

  it("guesses Mirai first, then by popularity; a user's own pairs before anything", () => {
    assert.equal(dict.passwords[0], "xc3511");
    assert.ok(!dict.passwords.includes(""));
    const mirai = new Set(dict.entries.filter((e) => e.sources.some((s) => listOf(s) === "mirai")).map((e) => e.password).filter((p) => p !== ""));
    assert.deepEqual(new Set(dict.passwords.slice(0, mirai.size)), mirai);
    const ubnt = [...candidatesFor(dict, "UBNT")];
    assert.equal(ubnt[0], "ubnt");
    assert.equal(new Set(ubnt).size, ubnt.length);
    assert.equal(ubnt.length, dict.passwords.length);
  });

  it("describes a match by lists and vendors, never by the password", () => {
    const m = describeMatch(dict, "xc3511", "root");
    assert.deepEqual(m.lists.includes("mirai"), true);
    assert.equal(m.listed_for_username, true);
    assert.ok(!JSON.stringify(m).includes("xc3511"));
  });

  it("puts the user's preferred passwords first and rejects files without the columns", () => {
    const d = indexDictionary([{ vendor: "A", product: "", service: "", username: "u", password: "zzz", sources: ["mine"] }, ...dict.entries], ["zzz"]);
    assert.equal(d.passwords[0], "zzz");
    assert.equal([...candidatesFor(d, "root")][0], dict.byUsername.get("root")![0]);
    assert.throws(() => parseDictionary("vendor,username,password\nA,b,c\n", "x.csv"), /missing column\(s\) product, service, source/);
  });

  it("is what the generator makes from the source lists", (t) => {
    if (!existsSync(join(SOURCES, "SOURCE.txt"))) {
      t.skip(`the source lists (${SOURCES}) are not on this machine`);
      return;
    }
    const out = join(mkdtempSync(join(tmpdir(), "lw-dict-")), "dict.csv");
    const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "scripts", "build-credential-dictionary.ts"), SOURCES, out], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /mirai +62 rows read/);
    assert.equal(readFileSync(out, "utf8"), readFileSync(SHIPPED_DICTIONARY, "utf8"), "data/default-credentials.csv is out of date: npm run build:dictionary");
  });
});
