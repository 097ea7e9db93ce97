/**
 * Reading on a worker thread must change nothing but speed: the same alerts and the same rejects, in the same order,
 * as reading in-thread — across batch boundaries, line-reader refills, records larger than a batch slot, cells set
 * from strings (quoted CSV, NDJSON the fast scanner leaves to JSON.parse) and bad lines.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { newSlotBuffer, rowViews, slotOf } from "../../src/detect/read/batch.ts";
import { F } from "../../src/detect/read/fields.ts";
import { Rec } from "../../src/detect/read/rec.ts";
import { runDetection } from "../../src/detect/run.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import { rng } from "../helpers/random.ts";
import { tmpDir } from "../helpers/tmp.ts";

function run(files: string[], readThread: boolean): { alerts: string; rejects: string[]; used: number; devices: string[] } {
  const rejects: string[] = [];
  const r = runDetection({ files, readThread, onReject: (file, line, reason, text) => rejects.push(`${file}:${line} ${reason} ${text}`) });
  // Every record names its device from its bytes: a record read from the wrong bytes shows here.
  const devices = Array.from({ length: r.engine.devices() }, (_, d) => r.engine.index.name(d));
  return { alerts: JSON.stringify(r.alerts), rejects, used: r.replay.used, devices };
}

/** Every so often a bad line, a quoted one, or one with a cell longer than a batch slot's bytes. */
function roughen(text: string, seed: number, csv: boolean): string {
  const r = rng(seed);
  const [head, ...lines] = text.split("\n");
  const out = lines.map((l, i) => {
    if (l === "") return l;
    const x = r();
    if (x < 0.01) return `${l.slice(0, Math.floor(l.length / 2))}"oops`;
    if (x < 0.02) return csv ? l.replace(/,([a-z][^,]*),/, ',"$1",') : l.replace('"event":', '"event" :');
    if (x < 0.03) return csv ? l.replace(/(\d)Z,/, "$1Q,") : l.replace(/"ts":"/, '"ts":"x');
    if (i === 5000) return csv ? l.replace(/,(\d+)(,|$)/, `,${"0".repeat(1_300_000)}$1$2`) : l.replace(/:(\d+)([,}])/, `:${"0".repeat(1_300_000)}$1$2`);
    return l;
  });
  return [head, ...out].join("\n");
}

describe("threaded reading", () => {
  const tmp = tmpDir();
  for (const format of ["csv", "ndjson"] as const) {
    it(`${format}: gives the same alerts and rejects as reading in-thread`, () => {
      const sim = simulate({ dir: `${tmp.dir}/${format}`, devices: 150, hours: 30, scenarios: SCENARIO_NAMES, seed: 8, format, deviceIds: true, inventory: false });
      const files = sim.files.map((f, i) => tmp.write(`rough-${i}.${format}`, roughen(readFileSync(f, "utf8"), i + 1, format === "csv")));
      const inThread = run(files, false);
      const threaded = run(files, true);
      assert.ok(inThread.used > 60_000, `enough records to span many batches (${inThread.used})`);
      assert.ok(inThread.rejects.length > 100, "the files have bad lines");
      assert.ok(inThread.alerts.length > 100, "the run raises alerts");
      assert.equal(threaded.used, inThread.used);
      assert.deepEqual(threaded.devices, inThread.devices);
      assert.deepEqual(threaded.rejects, inThread.rejects);
      assert.equal(threaded.alerts, inThread.alerts);
    });
  }

  it("a row reused for another record holds only that record's cells", () => {
    const line = new TextEncoder().encode("2026-11-02T00:00:00Z,flow,dev-1,10.0.0.1,52.1.2.3,443,1200,ingest.example.com");
    const cells = (text: string) => {
      const at = new TextDecoder().decode(line).indexOf(text);
      return [at, at + text.length] as const;
    };
    const fill = (rec: Rec, fields: [number, string][]) => {
      rec.reset(line);
      for (const [f, text] of fields) rec.set(f, ...cells(text));
      assert.equal(rec.decode(-1), null);
    };
    const rowsA = rowViews(slotOf(newSlotBuffer()));
    const rowsB = rowViews(slotOf(newSlotBuffer()));
    const full: [number, string][] = [[F.ts, "2026-11-02T00:00:00Z"], [F.kind, "flow"], [F.device_id, "dev-1"], [F.src_ip, "10.0.0.1"], [F.dst_ip, "52.1.2.3"], [F.dst_port, "443"], [F.bytes_out, "1200"], [F.dns_name, "ingest.example.com"]];
    const lean: [number, string][] = [[F.ts, "2026-11-02T00:00:00Z"], [F.kind, "flow"], [F.device_id, "dev-1"], [F.dst_ip, "52.1.2.3"]];
    const writer = new Rec();
    const reader = new Rec();
    const expectLean = (rows: typeof rowsA, k: number) => {
      reader.showRow(rows, k, line);
      assert.deepEqual(Object.keys(reader.fields()), ["ts", "kind", "device_id", "dst_ip"]);
      assert.ok(Number.isNaN(reader.num[F.bytes_out]!) && reader.hash[F.dns_name] === 0 && Number.isNaN(reader.num[F.src_ip]!));
      assert.equal(reader.num[F.dst_ip], 0x34010203);
    };
    /** Reads a record into row `k` as the worker does; `moveTo` stands for a record that did not fit its batch. */
    const readInto = (rows: typeof rowsA, k: number, fields: [number, string][], moveTo?: typeof rowsA) => {
      writer.bindRow(rows, k);
      fill(writer, fields);
      writer.leaveRow();
      if (moveTo) writer.moveToRow(moveTo, 0);
      writer.finishRow((moveTo ?? rows).slot, 0, line, 0);
    };
    // Row 0 of A first holds a record with many cells, then a lean one is read into it.
    readInto(rowsA, 0, full);
    readInto(rowsA, 0, lean);
    expectLean(rowsA, 0);
    // A full record in row 0 of B; a lean one read into row 7 of A moves there (it did not fit A's batch).
    readInto(rowsB, 0, full);
    readInto(rowsA, 7, lean, rowsB);
    expectLean(rowsB, 0);
    reader.showRow(rowsB, 0, line);
    assert.equal(reader.text(F.device_id), "dev-1");
  });
});
