import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { securityBits } from "../../src/core/key-strength.ts";

describe("securityBits", () => {
  it("follows the SP 800-57 equivalences for RSA/DSA and halves curve sizes", () => {
    const rsa = (key_bits: number) => securityBits({ key_type: "rsa", key_bits });
    assert.deepEqual([512, 1023, 1024, 2047, 2048, 3072, 4096, 7680, 15360].map(rsa), [0, 0, 80, 80, 112, 128, 128, 192, 256]);
    assert.equal(securityBits({ key_type: "dsa", key_bits: 2048 }), 112);
    assert.equal(securityBits({ key_type: "rsa-pss", key_bits: 3072 }), 128);
    assert.equal(securityBits({ key_type: "ec", key_bits: 256 }), 128);
    assert.equal(securityBits({ key_type: "ec", key_bits: 521 }), 260);
    assert.equal(securityBits({ key_type: "ed25519", key_bits: 256 }), 128);
    assert.equal(securityBits({ key_type: "ed448", key_bits: 456 }), 224);
  });

  it("knows nothing about unknown keys or sizes", () => {
    assert.equal(securityBits({ key_type: "unknown", key_bits: 2048 }), undefined);
    assert.equal(securityBits({ key_type: "dsa", key_bits: 0 }), undefined);
    assert.equal(securityBits({ key_type: "ec", key_bits: 0 }), undefined);
  });
});
