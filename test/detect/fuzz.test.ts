/**
 * Fuzzing the detection readers: valid files are mutated at random (bytes flipped, cut, duplicated, quotes and
 * delimiters thrown in). No input may crash a reader, every non-blank line must come out either as a record or as a
 * reject with its line, and every record a reader accepts must also pass the public zod schema of its kind.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RecordSchema } from "../../src/core/record.ts";
import { SCENARIO_NAMES, simulate } from "../../src/detect/simulate/index.ts";
import { rng } from "../helpers/random.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { readFileSync } from "node:fs";
import { readAll, readBytes } from "./read-helpers.ts";
import { ColumnMappingSchema } from "../../src/detect/read/mapping.ts";

const NUMERIC = new Set(["mcc", "mnc", "lac", "cell_id", "bytes_up", "bytes_down", "sms_count", "src_port", "dst_port", "bytes_out", "bytes_in", "packets_out", "packets_in", "duration", "bytes", "value", "lat", "lon"]);

function mutate(r: () => number, line: string): string {
  const ops = Math.floor(r() * 3) + 1;
  let s = line;
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const pick = Math.floor(r() * 7);
    if (pick === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 5));
    else if (pick === 1) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + s.slice(at);
    else if (pick === 2) s = s.slice(0, at) + '"' + s.slice(at);
    else if (pick === 3) s = s.slice(0, at) + "," + s.slice(at);
    else if (pick === 4) s = s.slice(0, at) + "-" + s.slice(at);
    else if (pick === 5) s = s.slice(0, at) + "9".repeat(Math.floor(r() * 20)) + s.slice(at);
    else s = s.slice(0, at) + s.slice(at).replace(/\d/, "x");
  }
  return s.replace(/\n/g, "");
}

function toSchemaInput(kind: string, fields: Record<string, string>): Record<string, unknown> {
  const o: Record<string, unknown> = { kind };
  for (const [k, v] of Object.entries(fields)) o[k] = NUMERIC.has(k) ? Number(v) : v;
  if (typeof o.ts === "string" && /^\d+(\.\d+)?$/.test(o.ts)) o.ts = Number(o.ts);
  return o;
}

describe("reader fuzzing", () => {
  const tmp = tmpDir();
  const sim = simulate({ dir: tmp.dir, devices: 20, hours: 14, scenarios: SCENARIO_NAMES.filter((s) => s !== "campaign"), seed: 3, inventory: false });
  const simNd = simulate({ dir: `${tmp.dir}/nd`, devices: 20, hours: 14, scenarios: [], seed: 4, inventory: false, format: "ndjson" });

  for (const file of [...sim.files, ...simNd.files]) {
    const name = file.split("/").slice(-2).join("/");
    it(`${name}: mutated lines never crash, every line is accounted for, accepted records pass the schema`, () => {
      const lines = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
      const header = file.endsWith(".csv") ? lines.shift()! : undefined;
      for (const seed of [1, 2, 3]) {
        const r = rng(seed * 7919 + lines.length);
        const body = lines.slice(0, 400).map((l) => (r() < 0.3 ? mutate(r, l) : l));
        const path = tmp.write(`fuzz-${seed}-${name.replace("/", "-")}`, [...(header ? [header] : []), ...body].join("\n"));
        const out = readAll(path);
        assert.deepEqual(readBytes(path, readFileSync(path)), out, "the in-memory reader gives the same records and rejects");
        const first = header ? 2 : 1;
        const seen = new Set<number>();
        for (const rec of out.records) seen.add(rec.line);
        for (const rej of out.rejects) seen.add(rej.line);
        // A quote can join lines into one record (RFC 4180) — but never more than 32 of them — and blank lines are
        // skipped; every other line must start a record or a reject.
        const starts = [...seen].sort((a, b) => a - b);
        const missing = body.map((l, i) => [l, i + first] as const).filter(([text, l]) => text.trim() !== "" && !seen.has(l) && !covered(starts, l)).map(([, l]) => l);
        assert.deepEqual(missing, [], `seed ${seed}: lines neither used nor rejected`);
        for (const rec of out.records) {
          const parsed = RecordSchema.safeParse(toSchemaInput(rec.kind, rec.fields));
          assert.ok(parsed.success, `seed ${seed} line ${rec.line} accepted by the reader but not the schema: ${JSON.stringify(rec.fields)} ${parsed.success ? "" : JSON.stringify(parsed.error.issues)}`);
        }
      }
    });
  }
});

/** Values at the edges of what the CSV fast path decodes itself (numbers, IPv4 addresses, timestamps). */
const TRICKY = [
  "", "0", "00", "-0", "+5", "5.", ".5", ".", "1e3", "1.5e2", "999999999999999", "9999999999999999", "1234567890123456789", "98765432109876.54321", "4294967295", "4294967296",
  "65535", "65536", "999", "1000", "90", "90.0001", "-90", "-180.5", "180", "12.345678901234", "0.1234567890123456",
  "1.2.3.4", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1..2.3", "::1", "fe80::1%eth0",
  "2026-11-02T00:00:00Z", "2026-11-02T00:00:00.5Z", "2026-11-02 00:00:00+02:00", "2026-02-30T00:00:00Z", "1790000000.25",
  "x", " 5", "5 ", "٣",
];

describe("CSV fast path", () => {
  const tmp = tmpDir();
  const sim = simulate({ dir: tmp.dir, devices: 20, hours: 14, scenarios: SCENARIO_NAMES.filter((s) => s !== "campaign"), seed: 5, inventory: false });
  for (const file of sim.files.filter((f) => f.endsWith(".csv"))) {
    const name = file.split("/").pop()!;
    it(`${name}: decodes exactly what the general path decodes, and rejects the same lines for the same reasons`, () => {
      const [header, ...lines] = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
      const r = rng(lines.length);
      const body = lines.slice(0, 3000).map((l) => {
        if (r() < 0.2) return mutate(r, l);
        if (r() < 0.5) return l;
        const cells = l.split(",");
        cells[Math.floor(r() * cells.length)] = TRICKY[Math.floor(r() * TRICKY.length)]!;
        return cells.join(",");
      });
      const path = tmp.write(`fast-${name}`, [header, ...body].join("\n"));
      const fast = readAll(path);
      // A value mapping on a column that never matches turns the fast path off and changes nothing else.
      const general = readAll(path, { mapping: ColumnMappingSchema.parse({ values: { ts: { "\u0000never": "x" } } }) });
      assert.ok(fast.records.length > 100 && fast.rejects.length > 20, "the fuzzed file has both records and rejects");
      assert.deepEqual(fast, general);
    });
  }
});

/** Lines inside a quoted record that started at most 32 lines earlier. */
function covered(starts: number[], line: number): boolean {
  const before = starts.filter((s) => s < line);
  return before.length > 0 && line - before[before.length - 1]! <= 32;
}
