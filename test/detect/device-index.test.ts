import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeviceIndex } from "../../src/detect/device-index.ts";

const enc = new TextEncoder();

/** Looks an identifier up from the middle of a larger buffer, as readers hand it over. */
function lookup(index: DeviceIndex, id: string): number {
  const b = enc.encode(`,,${id},`);
  return index.lookup(b, 2, b.length - 1);
}

describe("device index", () => {
  // Enough identifiers and addresses for several table doublings; a Map is the model it must agree with.
  const model = new Map<string, number>();
  const ipModel = new Map<number, number>();
  const index = new DeviceIndex();
  for (let d = 0; d < 30_000; d++) {
    const name = d % 7 === 0 ? `gerät-${d}` : `dev-${d}`;
    const b = enc.encode(`x${name}y`);
    assert.equal(index.create(b, 1, b.length - 1), d);
    model.set(name, d);
    if (d % 3 === 0) {
      index.aliasString(`8949${String(d).padStart(15, "0")}`, d);
      model.set(`8949${String(d).padStart(15, "0")}`, d);
    }
    const ip = (0x0a000000 + d * 97) >>> 0;
    index.bindIPv4(ip, d);
    ipModel.set(ip, d);
  }
  // Addresses move to whoever holds them now; the top half of the address space (negative as int32) works too.
  for (let d = 0; d < 1000; d++) {
    const ip = (0x0a000000 + d * 97) >>> 0;
    index.bindIPv4(ip, d + 1);
    ipModel.set(ip, d + 1);
    index.bindIPv4(0xfffffff0 - d, d);
    ipModel.set(0xfffffff0 - d, d);
  }

  const agrees = (x: DeviceIndex) => {
    assert.equal(x.count, 30_000);
    for (const [id, d] of model) assert.equal(lookup(x, id), d, id);
    for (const [ip, d] of ipModel) assert.equal(x.lookupIPv4(ip), d, String(ip));
    for (const id of ["dev-30000", "dev-", "dev-1x", "gerät-1", "", "8949000000000000001"]) assert.equal(lookup(x, id), -1, id);
    assert.equal(x.lookupIPv4(0x0b000000), -1);
    assert.equal(x.name(0), "gerät-0");
    assert.equal(x.name(29_999), "dev-29999");
  };

  it("finds every identifier and address it was given, and nothing else", () => agrees(index));

  it("aliasing an identifier that already names a device keeps the first device", () => {
    const x = new DeviceIndex();
    const a = x.createString("a");
    const b = x.createString("b");
    x.aliasString("a", b);
    assert.equal(x.lookupString("a"), a);
  });

  it("a saved index loads to the same lookups and names", () => {
    const parts = index.save();
    // Saved parts are views; copy them as a snapshot file would hold them.
    const copy = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v.slice()]));
    const loaded = DeviceIndex.load(copy, index.count);
    agrees(loaded);
    const next = loaded.createString("after-restore");
    assert.equal(next, 30_000);
    assert.equal(loaded.lookupString("after-restore"), 30_000);
    assert.equal(loaded.name(30_000), "after-restore");
  });

  it("a snapshot missing a part is refused", () => {
    const { ids: _ids, ...rest } = index.save();
    assert.throws(() => DeviceIndex.load(rest, index.count), /ids/);
  });
});
