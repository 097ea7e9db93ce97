import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeviceSchema } from "../../src/core/fleet.ts";
import type { InputIssue } from "../../src/core/input-issue.ts";
import { importDevices } from "../../src/inventory/devices.ts";
import { loadMapping, MappingError } from "../../src/inventory/mapping.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { tmpDir } from "../helpers/tmp.ts";

const targets = Object.keys(DeviceSchema.shape);

describe("column mapping", () => {
  it("maps a connectivity portal export onto Longwatch columns: names, values, dates, lists, defaults", async () => {
    const t = tmpDir();
    const map = t.write(
      "map.yaml",
      `columns:
  device_id: Asset Tag
  imei: [IMEI, IMEI Number]
  iccid: ICCID
  sim_imei_lock: Device Lock
  deployed_at: Activated
  groups: Tags
  model_id: Product
values:
  sim_imei_lock: { Locked: true, "Not locked": false }
  model_id: { "XC-200 Rev B": xc200 }
defaults:
  country: GB
list_separators:
  groups: ","
date_formats:
  deployed_at: DD/MM/YYYY
`,
    );
    const inv = t.write(
      "portal.csv",
      ["Asset Tag;ICCID;IMEI Number;Device Lock;Activated;Tags;Product;Notes", 'A-1;89445001021983048260;490154203237518;LOCKED;25/11/2024;"north, pilot";XC-200 Rev B;x', "A-2;;;not locked;31/02/2024;;other;", "A-3;;;weird;01/12/2024;;other;"].join("\n"),
    );
    const store = openSqliteStore(":memory:");
    const issues: InputIssue[] = [];
    const r = await importDevices({ store, file: inv, mapping: loadMapping(map, targets), onIssue: (i) => issues.push(i) });
    // Values that don't convert leave their field out; the devices are kept.
    assert.equal(r.imported, 3);
    assert.deepEqual(issues.map((i) => `${i.line}|${i.level}|${i.column}|${i.reason}`), [
      '3|warning|deployed_at|"31/02/2024" does not match the date format DD/MM/YYYY; the device is kept without deployed_at',
      '4|warning|sim_imei_lock|"weird" is not a valid boolean; the device is kept without sim_imei_lock',
    ]);
    const d = (await store.fleet.getDevice("A-1"))!.device;
    assert.deepEqual(d, { device_id: "A-1", model_id: "xc200", imei: "490154203237518", iccid: "89445001021983048260", deployed_at: "2024-11-25", country: "GB", groups: ["north", "pilot"], sim_imei_lock: true });
  });

  it("names the line of a bad mapping key, and rejects unknown target columns", () => {
    const t = tmpDir();
    assert.throws(() => loadMapping(t.write("a.yaml", "columns:\n  device_id: Tag\nvalues:\n  imei: 3\n"), targets), (e: Error) => e instanceof MappingError && /a\.yaml:4: values\.imei/.test(e.message));
    assert.throws(() => loadMapping(t.write("b.yaml", "columns:\n  colour: Colour\n"), targets), /columns\.colour: not a Longwatch column/);
    assert.throws(() => loadMapping(t.write("c.yaml", "colums: {}\n"), targets), /Unrecognized key/);
  });

  it("fails clearly when a mapped column is not in the file", async () => {
    const t = tmpDir();
    const map = loadMapping(t.write("m.yaml", "columns:\n  device_id: Asset Tag\n"), targets);
    const store = openSqliteStore(":memory:");
    await assert.rejects(importDevices({ store, file: t.write("x.csv", "Serial\n1\n"), mapping: map, onIssue: () => {} }), /device_id is mapped from "Asset Tag", which the header does not have/);
  });
});
