import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DETECTOR_IDS } from "../../src/core/record.ts";
import { detectorReference } from "../../src/detect/detector-docs.ts";
import { allDetectors } from "../../src/detect/detectors/index.ts";

describe("detector reference", () => {
  it("docs/detectors.md matches the code (run `npm run gen:detect-docs` after changing a detector)", () => {
    assert.equal(readFileSync(join(import.meta.dirname, "..", "..", "docs", "detectors.md"), "utf8"), detectorReference());
  });

  it("has exactly the detector ids of FORMATS.md, each with defaults that parse", () => {
    assert.deepEqual(allDetectors.map((d) => d.id).sort(), [...DETECTOR_IDS].sort());
    for (const d of allDetectors) assert.ok(d.params.safeParse({}).success, d.id);
  });
});
