/** The guess budget: per-hash and per-scan limits, caching per hash, and honest outcomes. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ParsedHash, parseHash } from "../../src/audit/credentials/crypt/index.ts";
import { md5Crypt } from "../../src/audit/credentials/crypt/md5crypt.ts";
import { CryptGuesser } from "../../src/audit/credentials/guess.ts";

/** A real MD5-crypt hash that counts how often it is checked. */
function counted(password: string, salt: string): ParsedHash & { checks: number } {
  const p = parseHash(md5Crypt(password, salt));
  assert.ok("verify" in p);
  const h = { ...p, checks: 0, verify: (pw: string) => (h.checks++, p.verify(pw)) };
  return h;
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `guess-${i}`);

describe("CryptGuesser", () => {
  it("finds a password within the per-hash budget and caches the outcome per key", () => {
    const g = new CryptGuesser({ perHashMs: 100, perScanMs: 1000 });
    const h = counted("guess-3", "a");
    assert.deepEqual(g.guess("k", h, words(10)), { status: "match", password: "guess-3", tried: 4 });
    assert.deepEqual(g.guess("k", h, words(10)), { status: "match", password: "guess-3", tried: 4 });
    assert.equal(h.checks, 4);
    assert.equal(g.stats.hashes, 1);
  });

  it("stops at the per-hash budget and says the check was partial", () => {
    const g = new CryptGuesser({ perHashMs: 10, perScanMs: 1000 });
    const h = counted("guess-9", "a");
    // 10 ms / 2.5 ms per MD5-crypt guess = 4 guesses.
    assert.deepEqual(g.guess("k", h, words(10)), { status: "no-match", tried: 4, complete: false });
    assert.equal(h.checks, 4);
    assert.deepEqual(new CryptGuesser({ perHashMs: 100, perScanMs: 1000 }).guess("k", counted("x", "a"), words(3)), { status: "no-match", tried: 3, complete: true });
  });

  it("shares the scan budget across hashes, in the order they are met", () => {
    const g = new CryptGuesser({ perHashMs: 10, perScanMs: 15 });
    assert.equal(g.guess("a", counted("x", "a"), words(10)).status, "no-match");
    assert.deepEqual(g.guess("b", counted("x", "b"), words(10)), { status: "over-scan-budget", tried: 2 });
    assert.deepEqual(g.guess("c", counted("x", "c"), words(10)), { status: "over-scan-budget", tried: 0 });
    assert.deepEqual(g.stats, { hashes: 3, tooCostly: 0, overScanBudget: 2, spentMs: 15 });
  });

  it("refuses a hash whose single guess exceeds the per-hash budget", () => {
    const g = new CryptGuesser({ perHashMs: 100, perScanMs: 1e9 });
    const p = parseHash("$2b$14$abcdefghijklmnopqrstuughE8Ev8uGFaUgY2cNEySvxngrb/Jzdm");
    assert.ok("verify" in p);
    assert.equal(g.guess("k", p, ["a"]).status, "too-costly");
    assert.equal(g.stats.tooCostly, 1);
  });
});
