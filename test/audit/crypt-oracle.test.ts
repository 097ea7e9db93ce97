/**
 * Our crypt(3) implementations against the references on this machine: Python's crypt (libxcrypt) and openssl passwd,
 * over many random passwords and salts, including empty, long and non-ASCII passwords. Each case checks that we
 * produce the reference hash, that verify accepts the password and rejects a near miss.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import bcryptjs from "bcryptjs";
import { CRYPT_ALPHABET } from "../../src/audit/credentials/crypt/b64.ts";
import { desCrypt } from "../../src/audit/credentials/crypt/descrypt.ts";
import { classifyHash, verify } from "../../src/audit/credentials/crypt/index.ts";
import { md5Crypt } from "../../src/audit/credentials/crypt/md5crypt.ts";
import { shaCrypt } from "../../src/audit/credentials/crypt/shacrypt.ts";
import { opensslPasswd, pythonCrypt } from "../helpers/crypt-oracle.ts";
import { rng } from "../helpers/random.ts";

const SEED = 20260425;

/** Random password: mostly ASCII, sometimes Latin-1, CJK or emoji (never NUL or lone surrogates, which C strings / UTF-8 can't carry). */
function randomPassword(r: () => number, maxLen: number): string {
  const len = Math.floor(r() * (maxLen + 1));
  let s = "";
  for (let i = 0; i < len; i++) {
    const k = r();
    const cp = k < 0.8 ? 0x20 + Math.floor(r() * 95) : k < 0.9 ? 0xa0 + Math.floor(r() * 96) : k < 0.97 ? 0x4e00 + Math.floor(r() * 500) : 0x1f600 + Math.floor(r() * 50);
    s += String.fromCodePoint(cp);
  }
  return s;
}

function randomSalt(r: () => number, len: number): string {
  let s = "";
  for (let i = 0; i < len; i++) s += CRYPT_ALPHABET[Math.floor(r() * 64)];
  return s;
}

/** A password that differs from `pw` in one character (or is one longer when empty). */
function nearMiss(pw: string, r: () => number): string {
  if (pw.length === 0) return "a";
  const i = Math.floor(r() * pw.length);
  const c = pw.charCodeAt(i);
  return pw.slice(0, i) + String.fromCharCode(c === 0x7e ? 0x21 : c + 1) + pw.slice(i + 1);
}

function requireOracle<T>(v: T | undefined, name: string): T {
  assert.ok(v !== undefined, `${name} is not available on this machine; it is the reference these tests compare against`);
  return v;
}

describe("crypt(3) against python crypt (libxcrypt)", () => {
  it("MD5-crypt: 120 random passwords and salts (0-8 chars)", () => {
    const r = rng(SEED);
    const cases = Array.from({ length: 120 }, () => [randomPassword(r, 40), randomSalt(r, Math.floor(r() * 9))] as const);
    const ref = requireOracle(pythonCrypt(cases.map(([pw, salt]) => [pw, `$1$${salt}`])), "python3 crypt");
    cases.forEach(([pw, salt], i) => {
      const expected = ref[i]!;
      assert.equal(md5Crypt(pw, salt), expected, `seed ${SEED} case ${i}`);
      assert.equal(verify(pw, expected), true);
      assert.equal(verify(nearMiss(pw, r), expected), false);
    });
  });

  for (const [variant, id] of [["sha256", "5"], ["sha512", "6"]] as const) {
    it(`SHA-${variant === "sha256" ? 256 : 512}-crypt: 60 random passwords, salts of 0-20 chars, default and explicit rounds`, () => {
      const r = rng(SEED + Number(id));
      const cases = Array.from({ length: 60 }, (_, i) => {
        // Most cases use few rounds to keep the suite fast; the algorithm is the same for any count.
        const rounds = i % 5 === 0 ? undefined : 1000 + Math.floor(r() * 200);
        // Passwords up to 150 bytes exercise the block repetition of both digest sizes; salts past 16 are cut.
        return { pw: randomPassword(r, 150), salt: randomSalt(r, Math.floor(r() * 21)), rounds };
      });
      const settings = cases.map(({ pw, salt, rounds }) => [pw, `$${id}$${rounds !== undefined ? `rounds=${rounds}$` : ""}${salt}`] as const);
      const ref = requireOracle(pythonCrypt(settings), "python3 crypt");
      cases.forEach(({ pw, salt, rounds }, i) => {
        const expected = ref[i]!;
        assert.equal(shaCrypt(variant, pw, salt, rounds), expected, `seed ${SEED + Number(id)} case ${i}`);
        assert.equal(verify(pw, expected), true);
        assert.equal(verify(nearMiss(pw, r), expected), false);
      });
    });
  }

  it("traditional DES: 250 random passwords (0-12 chars, 8-bit too) and all kinds of salt", () => {
    const r = rng(SEED + 7);
    const cases = Array.from({ length: 250 }, () => [randomPassword(r, 12), randomSalt(r, 2)] as const);
    const ref = requireOracle(pythonCrypt(cases), "python3 crypt");
    cases.forEach(([pw, salt], i) => {
      const expected = ref[i]!;
      assert.equal(desCrypt(pw, salt), expected, `seed ${SEED + 7} case ${i}: ${JSON.stringify([pw, salt])}`);
      assert.equal(verify(pw, expected), true);
      // DES reads only the first 8 bytes, so a near miss must change one of those.
      const bytes = Buffer.from(pw, "utf8");
      if (bytes.length > 0 && bytes.subarray(0, 8).some((b) => b < 0x7e && b >= 0x20)) {
        const j = bytes.subarray(0, 8).findIndex((b) => b < 0x7e && b >= 0x20);
        const miss = Buffer.from(bytes);
        miss[j] = miss[j]! + 1;
        assert.equal(verify(miss.toString("latin1"), expected), false, `near miss of case ${i}`);
      }
    });
  });

  it("DES cuts at 8 characters, as the devices that use it do", () => {
    const h = desCrypt("password", "ab");
    assert.equal(verify("password123", h), true);
    assert.equal(verify("passwor", h), false);
  });

  it("bcrypt: libxcrypt hashes of 40 random passwords verify with $2a$, $2b$ and $2y$", () => {
    const r = rng(SEED + 2);
    const cases = Array.from({ length: 40 }, (_, i) => {
      const variant = (["2a", "2b", "2y"] as const)[i % 3]!;
      // Salts from bcryptjs are canonical (the 22nd character carries only 2 bits).
      const salt = bcryptjs.genSaltSync(4).slice(7);
      return { pw: randomPassword(r, i % 10 === 0 ? 90 : 30), setting: `$${variant}$04$${salt}` };
    });
    const ref = requireOracle(pythonCrypt(cases.map(({ pw, setting }) => [pw, setting])), "python3 crypt");
    cases.forEach(({ pw }, i) => {
      const expected = ref[i]!;
      assert.deepEqual(classifyHash(expected), { scheme: "bcrypt" });
      assert.equal(verify(pw, expected), true, `case ${i}`);
      // bcrypt reads at most 72 bytes: a change beyond them is invisible, so only test a near miss inside them.
      if (Buffer.byteLength(pw) <= 72) assert.equal(verify(nearMiss(pw, r), expected), false, `near miss of case ${i}`);
    });
  });

  it("nothing after a NUL counts, as with the C interface", () => {
    for (const h of [md5Crypt("abc", "s"), shaCrypt("sha256", "abc", "s"), shaCrypt("sha512", "abc", "s"), desCrypt("abc", "s."), bcryptjs.hashSync("abc", 4)]) {
      assert.equal(verify("abc\0def", h), true, h);
      assert.equal(verify("abd\0", h), false, h);
    }
  });
});

describe("crypt(3) against openssl passwd", () => {
  for (const scheme of ["1", "5", "6"] as const) {
    it(`openssl passwd -${scheme}: 60 random passwords over 6 salts`, () => {
      const r = rng(SEED + 100 + Number(scheme));
      for (let s = 0; s < 6; s++) {
        const salt = randomSalt(r, 1 + Math.floor(r() * (scheme === "1" ? 8 : 16)));
        // openssl takes passwords as arguments: no NUL, and keep them printable for the command line.
        // openssl 3.0 prints <NULL> for an empty password with -5/-6 (its own limitation), so start at 1 character.
        const pws = Array.from({ length: 10 }, () => randomPassword(r, 29) || "x");
        const ref = requireOracle(opensslPasswd(scheme, salt, pws), "openssl passwd");
        assert.equal(ref.length, pws.length);
        pws.forEach((pw, i) => {
          const ours = scheme === "1" ? md5Crypt(pw, salt) : shaCrypt(scheme === "5" ? "sha256" : "sha512", pw, salt);
          assert.equal(ours, ref[i], `salt ${salt} password #${i}`);
          assert.equal(verify(pw, ref[i]!), true);
        });
      }
    });
  }
});

describe("known answers (kept so the suite also checks without the oracles)", () => {
  // Produced by python3 crypt.crypt on this machine; each line: password, hash.
  const KNOWN: [string, string][] = [
    ["password", "$1$abc$BXBqpb9BZcZhXLgbee.0s/"],
    ["", "$1$abc$Or2rbeUYTvt12aiVzMuS/."],
    ["password", "$5$abc$6va2Z4O.keO7R84v9g0B9d2NkB7NOyTy0sMeQ5Z3LLA"],
    ["password", "$5$rounds=1000$abc$chB2229SaEAMndXolPyqp1RFge2UaeCAJVGEAvqr4M3"],
    ["password", "$6$abcdefghijklmnop$0aenUFHf897F9u0tURIHOeACWajSuVGa7jgJGyq.DKZm/WXl/IZFvPbneFydBjomEOgM.Sh1m0L3KsS1.H5b//"],
    ["password", "abJnggxhB/yWI"],
    ["pass\u00e9word", "abWiFNXFT9MbE"],
    ["", "abmF1QH4PEr.E"],
    ["password", "$2a$04$abcdefghijklmnopqrstuughE8Ev8uGFaUgY2cNEySvxngrb/Jzdm"],
    ["password", "$2y$04$abcdefghijklmnopqrstuughE8Ev8uGFaUgY2cNEySvxngrb/Jzdm"],
  ];
  for (const [pw, hash] of KNOWN) {
    it(`${hash.slice(0, 12)}…`, () => {
      assert.equal(verify(pw, hash), true);
      // A changed first character (DES would not see a change after the 8th).
      assert.equal(verify(`x${pw}`, hash), false);
    });
  }
});
