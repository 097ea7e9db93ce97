import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { InputIssue } from "../../src/core/input-issue.ts";
import { DeviceSchema } from "../../src/core/fleet.ts";
import { importDevices } from "../../src/inventory/devices.ts";
import { loadMapping } from "../../src/inventory/mapping.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { Store } from "../../src/store/store.ts";
import { tmpDir } from "../helpers/tmp.ts";

async function devicesOf(store: Store) {
  const out = [];
  for await (const page of store.fleet.devicePages()) out.push(...page.map((p) => p.device));
  return out.sort((a, b) => a.device_id.localeCompare(b.device_id));
}

let parallel = false;

async function run(store: Store, file: string, extra: Partial<Parameters<typeof importDevices>[0]> = {}) {
  const issues: InputIssue[] = [];
  const result = await importDevices({ store, file, onIssue: (i) => issues.push(i), parallel, ...extra });
  return { result, issues };
}

const CSV = [
  "\uFEFFdevice_id,name,model_id,imei,groups,sim_imei_lock,open_services,deployed_at,field_life_years",
  'd1,"Meter, hall 3",m1,490154203237518,north;pilot,yes,telnet:23,2024-03-01,12',
  "",
  'd2,"Pump ""P-7""\nsecond line",m1,,,no,,2024-03-02,',
  "d3,,m2,,,1,,,",
  "",
].join("\r\n");

for (const mode of ["inline", "in a worker thread"] as const)
describe(`importDevices (${mode})`, () => {
  before(() => {
    parallel = mode !== "inline";
  });

  it("reads BOM, CRLF, quoted commas/quotes/newlines and blank lines; JSON and NDJSON give the same devices", async () => {
    const t = tmpDir();
    const store = openSqliteStore(":memory:");
    const { result, issues } = await run(store, t.write("d.csv", CSV));
    assert.deepEqual(issues, []);
    assert.equal(result.imported, 3);
    const fromCsv = await devicesOf(store);
    assert.deepEqual(fromCsv[0], {
      device_id: "d1", name: "Meter, hall 3", model_id: "m1", imei: "490154203237518", groups: ["north", "pilot"], sim_imei_lock: true, open_services: ["telnet:23"], deployed_at: "2024-03-01", field_life_years: 12,
    });
    assert.equal(fromCsv[1]!.name, 'Pump "P-7"\nsecond line');
    assert.equal(fromCsv[1]!.sim_imei_lock, false);

    const json = fromCsv.map((d) => ({ ...d, sim_imei_lock: String(d.sim_imei_lock) }));
    for (const [name, text] of [["d.json", JSON.stringify({ devices: json }, null, 2)], ["d.ndjson", json.map((d) => JSON.stringify(d)).join("\n")]] as const) {
      const s = openSqliteStore(":memory:");
      const r = await run(s, t.write(name, text));
      assert.deepEqual(r.issues, [], name);
      assert.deepEqual(await devicesOf(s), fromCsv, name);
    }
  });

  it("rejects only rows without a usable device_id; an invalid secondary field is left out and the device kept", async () => {
    const t = tmpDir();
    const store = openSqliteStore(":memory:");
    const file = t.write(
      "bad.csv",
      ["device_id,imei,mac,country,sim_public_ip,retire_at,deployed_at", "ok1,,AA-BB-CC-00-11-22,de,,,", "bad-imei,490154203237519,,,,,", "bad-bool,,,,perhaps,,", ",,,,,,", "ok2,,,,,,", "bad-date,,,,,2030-02-30,", "late,,,,,2020-01-01,2021-01-01", 'x,"unclosed', "ok3,,,,,,", "ok1,,,,,,", "too,many,cells,,,,,extra"].join("\n"),
    );
    const { result, issues } = await run(store, file);
    assert.equal(result.imported, 7);
    assert.equal(result.fieldsDropped, 4);
    assert.equal(result.rejected, issues.filter((i) => i.level === "error").length);
    const got = issues.map((i) => `${i.line}|${i.level}|${i.column ?? ""}|${i.reason}`);
    const kept = (f: string) => `; the device is kept without ${f}`;
    assert.deepEqual(got, [
      `3|warning|imei|"490154203237519" has a wrong check digit (IMEI uses the Luhn check)${kept("imei")}`,
      `4|warning|sim_public_ip|"perhaps" is not a valid boolean${kept("sim_public_ip")}`,
      "5|error|device_id|is required",
      `7|warning|retire_at|"2030-02-30" is not an ISO 8601 date (e.g. 2026-11-25 or 2026-11-25T10:00:00Z)${kept("retire_at")}`,
      `8|warning|retire_at|"2020-01-01" is before deployed_at${kept("retire_at")}`,
      "9|error||quoted field is never closed",
      "11|error|device_id|\"ok1\" already appears on line 2",
      "12|error||row has 8 fields but the header has 7",
    ]);
    assert.ok(issues.filter((i) => i.level === "warning").every((i) => i.code === "field-invalid"));
    const devices = await devicesOf(store);
    assert.equal(devices.find((d) => d.device_id === "ok1")!.mac, "aa:bb:cc:00:11:22");
    assert.equal(devices.find((d) => d.device_id === "ok1")!.country, "DE");
    assert.deepEqual(devices.find((d) => d.device_id === "bad-imei"), { device_id: "bad-imei", invalid_fields: [{ field: "imei", reason: '"490154203237519" has a wrong check digit (IMEI uses the Luhn check)', line: 3 }] });
    assert.deepEqual(devices.find((d) => d.device_id === "late"), { device_id: "late", deployed_at: "2021-01-01", invalid_fields: [{ field: "retire_at", reason: '"2020-01-01" is before deployed_at', line: 8 }] });
    assert.equal(devices.find((d) => d.device_id === "ok2")!.invalid_fields, undefined);
  });

  it("a mistyped value in a mapped field leaves that field out, not the device", async () => {
    const t = tmpDir();
    const store = openSqliteStore(":memory:");
    const mapping = loadMapping(t.write("m.yaml", "columns:\n  device_id: Asset\n  sim_imei_lock: Lock\n  deployed_at: Since\nvalues:\n  sim_imei_lock: { Locked: true, Unlocked: false }\ndate_formats:\n  deployed_at: DD/MM/YYYY\n"), Object.keys(DeviceSchema.shape));
    const { result, issues } = await run(store, t.write("own.csv", "Asset,Lock,Since\na,Locked,01/02/2024\nb,Lokced,01/02/2024\nc,Unlocked,2024-02-01\n"), { mapping });
    assert.equal(result.imported, 3);
    assert.equal(result.rejected, 0);
    assert.deepEqual(issues.map((i) => `${i.line}|${i.level}|${i.column}`), ["3|warning|sim_imei_lock", "4|warning|deployed_at"]);
    const devices = await devicesOf(store);
    assert.deepEqual(devices.map((d) => [d.device_id, d.sim_imei_lock, d.deployed_at, d.invalid_fields?.map((f) => f.field)]), [
      ["a", true, "2024-02-01", undefined],
      ["b", undefined, "2024-02-01", ["sim_imei_lock"]],
      ["c", false, undefined, ["deployed_at"]],
    ]);
  });

  it("finds every repeated device id among many rows, wherever the repeats fall, and names the first line", async () => {
    const t = tmpDir();
    const store = openSqliteStore(":memory:");
    // 200 rows: repeats next to their first occurrence, far from it, and of an id that repeats three times.
    const ids = Array.from({ length: 200 }, (_, i) => `dev-${i}`);
    const repeats = new Map([[5, 4], [40, 3], [41, 3], [150, 7], [199, 198]]);
    for (const [at, of] of repeats) ids[at] = ids[of]!;
    const { result, issues } = await run(store, t.write("many.csv", ["device_id", ...ids].join("\n")));
    assert.equal(result.imported, 200 - repeats.size);
    const expected = [...repeats].sort((a, b) => a[0] - b[0]).map(([at, of]) => `${at + 2}|"${ids[of]}" already appears on line ${of + 2}`);
    assert.deepEqual(issues.map((i) => `${i.line}|${i.reason}`), expected);
    assert.equal((await devicesOf(store)).length, 200 - repeats.size);
  });

  it("re-importing is idempotent; devices missing from a new import are reported, or pruned", async () => {
    const t = tmpDir();
    const store = openSqliteStore(":memory:");
    const all = t.write("all.csv", "device_id,name\na,A\nb,B\nc,C\n");
    await run(store, all);
    const again = await run(store, all);
    assert.equal(again.result.missing!.missingCount, 0);
    assert.equal((await devicesOf(store)).length, 3);
    const fewer = t.write("fewer.csv", "device_id,name\na,A2\n");
    const r = await run(store, fewer);
    assert.deepEqual([r.result.missing!.missingCount, r.result.missing!.missingSample], [2, ["b", "c"]]);
    assert.equal((await devicesOf(store)).length, 3, "missing devices are kept");
    assert.equal((await devicesOf(store))[0]!.name, "A2", "fields are updated");
    await run(store, fewer, { prune: true });
    assert.deepEqual((await devicesOf(store)).map((d) => d.device_id), ["a"]);
  });

  it("--strict stops at the first rejected record or invalid field and leaves the store unchanged", async () => {
    const t = tmpDir();
    const store = openSqliteStore(":memory:");
    await run(store, t.write("a.csv", "device_id,name\nkeep,original\n"));
    const { result } = await run(store, t.write("b.csv", "device_id,name,imei\nkeep,changed,\nnew,,1\n"), { strict: true });
    assert.equal(result.stopped?.line, 3);
    assert.deepEqual(await devicesOf(store), [{ device_id: "keep", name: "original" }]);
    const second = await run(store, t.write("c.csv", "device_id,name\nkeep,changed\n,no id\n"), { strict: true });
    assert.equal(second.result.stopped?.line, 3);
    assert.deepEqual(await devicesOf(store), [{ device_id: "keep", name: "original" }]);
  });

  it("warns once about unknown columns and matches canonical names loosely", async () => {
    const t = tmpDir();
    const store = openSqliteStore(":memory:");
    const { issues } = await run(store, t.write("c.csv", "Device ID,Firmware-Version,colour\na,1.0,red\nb,1.1,blue\n"));
    assert.deepEqual(issues.map((i) => `${i.level}:${i.column}`), ["warning:colour"]);
    assert.deepEqual((await devicesOf(store)).map((d) => d.firmware_version), ["1.0", "1.1"]);
  });
});
