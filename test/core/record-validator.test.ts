import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { credentialCrossCheck, CredentialInputFieldsSchema, CredentialInputSchema, deviceCrossCheck, DeviceFieldsSchema, DeviceSchema } from "../../src/core/fleet.ts";
import { compileValidator } from "../../src/core/record-validator.ts";
import { pick, rng } from "../helpers/random.ts";

const samples: Record<string, unknown[]> = {
  device_id: ["d1", "", "  ", "x".repeat(300), 7],
  model_id: ["m1", "", "x".repeat(200)],
  imei: ["490154203237518", "490154203237519", "49015420323751", "12", "4901-5420-3237-518"],
  iccid: ["8944500102198304826", "8944500102198304826F", "12"],
  mac: ["AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "zz"],
  ip: ["10.0.0.1", "fe80::1", "999.1.1.1", "1.2.3"],
  deployed_at: ["2024-01-01", "2024-02-30", "2020-01-01T10:00:00Z", "soon"],
  retire_at: ["2030-01-01", "2019-01-01", "bad"],
  field_life_years: [10, -1, 200, "ten"],
  country: ["de", "DE", "Deutschland"],
  groups: [["a", "b"], [""], ["x".repeat(200)], "notalist"],
  open_services: [["telnet:23"], ["http:99999"], ["bad service"]],
  sim_imei_lock: [true, false, "maybe"],
  sim_allowed_countries: [["*"], ["DE", "fr"], ["Germany"]],
  colour: ["red"],
};
const credSamples: Record<string, unknown[]> = {
  device_id: ["d1", ""],
  model_id: ["m1"],
  service: ["ssh", "web", "telnet"],
  username: ["root", "", "x".repeat(300)],
  password: ["secret", ""],
  password_hash: ["$1$abc$def", ""],
  notes: ["x"],
};

function randomRecord(r: () => number, pool: Record<string, unknown[]>): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  for (const [k, vs] of Object.entries(pool)) if (r() < 0.5) rec[k] = pick(r, vs);
  return rec;
}

describe("compileValidator", () => {
  it("agrees with the full zod schema on random records: same validity, same output, same field issues", () => {
    // Cross-field rules may report more than zod: zod skips them after a type error anywhere in the record.
    const cases = [
      { fast: compileValidator(DeviceFieldsSchema, deviceCrossCheck), full: DeviceSchema, pool: samples, cross: new Set(["retire_at"]) },
      { fast: compileValidator(CredentialInputFieldsSchema, credentialCrossCheck), full: CredentialInputSchema, pool: credSamples, cross: new Set(["device_id", "password"]) },
    ];
    for (const c of cases) {
      for (let seed = 1; seed <= 3000; seed++) {
        const rec = randomRecord(rng(seed), c.pool);
        // Run twice: the second answer comes from the cache.
        for (const pass of [1, 2]) {
          const a = c.fast(rec);
          const b = c.full.safeParse(rec);
          assert.equal(a.ok, b.success, `seed ${seed} pass ${pass}: ${JSON.stringify(rec)}`);
          if (a.ok && b.success) assert.deepEqual(a.value, b.data, `seed ${seed}`);
          if (!a.ok && !b.success) {
            const fast = a.issues.filter((i) => i.code !== "custom" || !c.cross.has(String(i.path[0]))).map((i) => String(i.path[0] ?? ""));
            const full = b.error.issues.filter((i) => i.code !== "custom" || !c.cross.has(String(i.path[0]))).map((i) => String(i.path[0] ?? ""));
            assert.deepEqual(new Set(fast), new Set(full), `seed ${seed}: ${JSON.stringify(rec)}`);
          }
        }
      }
    }
  });
});
