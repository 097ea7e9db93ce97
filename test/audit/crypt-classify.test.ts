/** classifyHash and verify on well-formed, locked, malformed and random input: clear reasons, and never a throw. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyHash, parseHash, verify } from "../../src/audit/credentials/crypt/index.ts";
import { md5Crypt } from "../../src/audit/credentials/crypt/md5crypt.ts";
import { shaCrypt } from "../../src/audit/credentials/crypt/shacrypt.ts";
import { pick, rng } from "../helpers/random.ts";

const MD5 = md5Crypt("secret", "saltsalt");
const SHA256 = shaCrypt("sha256", "secret", "0123456789abcdef");
const SHA512_ROUNDS = shaCrypt("sha512", "secret", "salt", 1000);
const BCRYPT = "$2b$04$abcdefghijklmnopqrstuughE8Ev8uGFaUgY2cNEySvxngrb/Jzdm";
const DES = "abJnggxhB/yWI";

describe("classifyHash", () => {
  it("recognises each supported scheme", () => {
    assert.deepEqual(classifyHash(MD5), { scheme: "md5crypt" });
    assert.deepEqual(classifyHash("$1$$I2o9Z7NcvQAKp7wyCTlia0"), { scheme: "md5crypt" }); // empty salt is legal
    assert.deepEqual(classifyHash(SHA256), { scheme: "sha256crypt" });
    assert.deepEqual(classifyHash(SHA512_ROUNDS), { scheme: "sha512crypt" });
    assert.deepEqual(classifyHash(BCRYPT), { scheme: "bcrypt" });
    assert.deepEqual(classifyHash(BCRYPT.replace("$2b$", "$2y$")), { scheme: "bcrypt" });
    assert.deepEqual(classifyHash(DES), { scheme: "des" });
  });

  it("treats ! and * hashes as locked accounts", () => {
    for (const h of ["!", "!!", "*", "*LK*", "*NP*", `!${SHA256}`, "!*"]) assert.deepEqual(classifyHash(h), { locked: true }, h);
  });

  const rejected: [string, string, RegExp][] = [
    ["empty", "", /empty/],
    ["a bare 2-character DES salt", "ab", /2-character salt/],
    ["DES with a character outside the alphabet", "ab#nggxhB/yWI", /outside/],
    ["DES whose last character has low bits set", "abJnggxhB/yWJ", /last character/],
    ["12 characters", "abJnggxhB/yW", /13 characters/],
    ["the passwd placeholder", "x", /etc\/shadow/],
    ["MD5 without a hash", "$1$salt", /without a hash/],
    ["MD5 with a short hash", "$1$salt$abc", /22 characters/],
    ["MD5 with a 9-character salt", "$1$saltsalts$I2o9Z7NcvQAKp7wyCTlia0", /longer than 8/],
    ["MD5 salt with a colon", "$1$sa:t$I2o9Z7NcvQAKp7wyCTlia0", /does not allow/],
    ["rounds below 1000", SHA512_ROUNDS.replace("rounds=1000", "rounds=999"), /rounds=/],
    ["rounds with a leading zero", SHA512_ROUNDS.replace("rounds=1000", "rounds=01000"), /rounds=/],
    ["rounds not a number", "$5$rounds=many$salt$" + "a".repeat(43), /rounds=/],
    ["SHA-256 with a SHA-512-length hash", "$5$salt$" + "a".repeat(86), /43 characters/],
    ["bcrypt $2x$", BCRYPT.replace("$2b$", "$2x$"), /legacy \$2x\$/],
    ["bcrypt $2$", "$2$04$" + BCRYPT.slice(7), /legacy \$2\$/],
    ["bcrypt cost 03", BCRYPT.replace("$04$", "$03$"), /cost/],
    ["bcrypt cost 32", BCRYPT.replace("$04$", "$32$"), /cost/],
    ["bcrypt truncated", BCRYPT.slice(0, 59), /53 characters/],
    ["yescrypt", "$y$j9T$abc$def", /yescrypt/],
    ["argon2", "$argon2id$v=19$m=65536,t=3,p=4$abc$def", /Argon2/],
    ["unknown $id$", "$9$abc$def", /unknown crypt\(3\) scheme/],
    ["hex MD5", "5f4dcc3b5aa765d61d8327deb882cf99", /hex digest/],
    ["white space", " " + DES, /white space/],
    ["plaintext by mistake", "admin123", /not 13 characters/],
  ];
  for (const [name, hash, reason] of rejected) {
    it(`rejects ${name} with a reason`, () => {
      const c = classifyHash(hash);
      assert.ok("error" in c, `${JSON.stringify(hash)} classified as ${JSON.stringify(c)}`);
      assert.match(c.error, reason);
      assert.equal(verify("secret", hash), false);
    });
  }

  it("gives each scheme's work factor and a cost that grows with it", () => {
    const p = parseHash(SHA512_ROUNDS);
    const q = parseHash(shaCrypt("sha512", "secret", "salt", 10000));
    assert.ok("costMs" in p && "costMs" in q);
    assert.equal(p.workFactor, 1000);
    assert.equal(q.workFactor, 10000);
    assert.ok(Math.abs(q.costMs / p.costMs - 10) < 1e-9);
    const b4 = parseHash(BCRYPT);
    const b12 = parseHash(BCRYPT.replace("$04$", "$12$"));
    assert.ok("costMs" in b4 && "costMs" in b12);
    assert.equal(b12.costMs / b4.costMs, 256);
  });
});

describe("fuzz: garbage never throws", () => {
  const SEEDS = [1, 2, 3];
  const PIECES = ["$", "$1$", "$5$", "$6$", "$2a$", "$2b$", "$2y$", "rounds=", "rounds=1000$", "04$", "!", "*", ":", "\0", "é", "😀", " ", "\n", ".", "/"];

  function garbage(r: () => number): string {
    let s = "";
    const n = Math.floor(r() * 12);
    for (let i = 0; i < n; i++) {
      const k = r();
      if (k < 0.3) s += pick(r, PIECES);
      else if (k < 0.9) s += "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".slice(Math.floor(r() * 60), Math.floor(r() * 64));
      else s += String.fromCharCode(Math.floor(r() * 0xffff));
    }
    return s;
  }

  function mutate(r: () => number, s: string): string {
    const i = Math.floor(r() * (s.length + 1));
    const k = r();
    if (k < 0.33) return s.slice(0, i) + s.slice(i + 1);
    if (k < 0.66) return s.slice(0, i) + pick(r, PIECES) + s.slice(i);
    return s.slice(0, i);
  }

  for (const seed of SEEDS) {
    it(`seed ${seed}: 3000 random strings and mutated hashes`, () => {
      const r = rng(seed);
      const valid = [MD5, SHA256, SHA512_ROUNDS, BCRYPT, DES];
      for (let i = 0; i < 3000; i++) {
        const h = i % 2 === 0 ? garbage(r) : mutate(r, mutate(r, pick(r, valid)));
        const c = classifyHash(h);
        const kinds = ["scheme" in c, "locked" in c, "error" in c].filter(Boolean).length;
        assert.equal(kinds, 1, `seed ${seed} #${i} ${JSON.stringify(h)} → ${JSON.stringify(c)}`);
        if ("error" in c) assert.ok(c.error.length > 0);
        const p = parseHash(h);
        // Only check cheap hashes: a mutation can legitimately produce bcrypt cost 31, which takes days.
        if ("verify" in p && p.costMs < 20) assert.equal(typeof p.verify("secret"), "boolean");
      }
    });
  }

  it("never repeats the input in its reasons (it may be a password pasted into the wrong column)", () => {
    const r = rng(99);
    for (let i = 0; i < 2000; i++) {
      const secret = `Pw${garbage(r)}Zq`;
      for (const h of [secret, `$${secret}`, `$1$${secret}`, `$5$rounds=${secret}`, `$2b$${secret}`, `!${secret}`]) {
        const c = classifyHash(h);
        if ("error" in c) assert.ok(!c.error.includes(secret), `${JSON.stringify(h)} → ${c.error}`);
      }
    }
  });

  it("never accepts non-strings from untyped callers", () => {
    for (const v of [undefined, null, 42, {}, []]) assert.ok("error" in classifyHash(v as unknown as string));
  });
});
