import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allowedIn, loadJurisdictions, zoneOf } from "../../src/flows/jurisdictions.ts";

const j = loadJurisdictions();
const at = (d: string) => Date.parse(`${d}T12:00:00Z`);

describe("EU adequacy list (data/jurisdictions.yaml)", () => {
  it("is dated and holds the 16 adequacy decisions in force as checked on 2026-12-02 (Brazil added, the UK renewed)", () => {
    assert.equal(j.asOf, "2026-01-27");
    assert.equal(j.adequacy.size, 16);
    assert.equal(j.eea.size, 30);
    assert.equal(j.adequacy.get("BR")?.decision, "(EU) 2026/179");
    assert.equal(j.adequacy.get("GB")?.valid_until, "2031-12-27");
    assert.equal(j.adequacy.get("GB")?.condition, undefined, "the renewal removed the open question");
    assert.match(j.adequacy.get("US")!.condition!, /Data Privacy Framework/);
  });

  it("judges a flow by the decisions in force when it happened", () => {
    assert.equal(zoneOf(j, "BR", at("2026-06-01")), "adequate");
    assert.equal(zoneOf(j, "BR", at("2025-06-01")), "third-country", "before the Brazil decision of 26 January 2026");
    assert.equal(zoneOf(j, "GB", at("2026-06-01")), "adequate");
    assert.equal(zoneOf(j, "GB", at("2031-12-27")), "adequate", "the last day of the renewed decision");
    assert.equal(zoneOf(j, "GB", at("2031-12-28")), "third-country", "after the renewal's end, unless renewed again");
    assert.equal(zoneOf(j, "DE", at("2031-12-28")), "EEA");
    assert.equal(zoneOf(j, "CN", at("2026-06-01")), "third-country");
    assert.equal(zoneOf(j, undefined, at("2026-06-01")), "unknown");
  });

  it("allows a country through the entry of the allowed list that covers it, with the decision's condition", () => {
    assert.deepEqual(allowedIn(j, "SK", ["EEA", "adequacy"], at("2026-06-01")), { allowed: true, via: "EEA" });
    assert.deepEqual(allowedIn(j, "BR", ["EEA", "adequacy"], at("2026-06-01")), { allowed: true, via: "adequacy" });
    assert.deepEqual(allowedIn(j, "BR", ["EEA"], at("2026-06-01")), { allowed: false });
    assert.deepEqual(allowedIn(j, "BR", ["EEA", "adequacy"], at("2025-06-01")), { allowed: false });
    assert.equal(allowedIn(j, "US", ["EEA", "adequacy"], at("2026-06-01")).condition, j.adequacy.get("US")!.condition);
    assert.deepEqual(allowedIn(j, "CN", ["EEA", "CN"], at("2026-06-01")), { allowed: true, via: "CN" });
  });
});
