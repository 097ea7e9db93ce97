/**
 * Fuzzing POST /api/v1/records on the real HTTP server with the ingest pipeline behind it: valid NDJSON, CSV and
 * Zeek bodies mutated at random (bytes flipped, cut, duplicated; quotes, delimiters, NULs, BOMs, CRs, invalid UTF-8,
 * UTF-16, lone surrogates, huge numbers, nesting, prototype keys), huge lines, garbage, and wrong or odd
 * Content-Types. The service must never answer 5xx nor die; a 4xx is a problem document with a code and a detail;
 * a 200 counts every line as accepted or rejected, and lists each reject with a line inside the body and a reason of
 * bounded length; and what the answers said was accepted is what the pipeline took. A failure prints its seed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rng, type Rng } from "../../src/core/random.ts";
import { startTestService } from "../helpers/serve.ts";

const SEED = Number(process.env.LONGWATCH_FUZZ_SEED ?? 20261202);
const ROUNDS = Number(process.env.LONGWATCH_FUZZ_ROUNDS ?? 400);
const MAX_BODY = 4 * 2 ** 20;

const svc = await startTestService({ pipeline: { detection: { idle_ms: 1e15 }, checkpoint: { interval_s: 3600 }, audit: { every_minutes: 0, on_inventory_change: false }, ingest: { max_body_bytes: MAX_BODY } } });
const token = svc.tokens.analyst;

const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const iso = (r: Rng) => new Date(Date.now() - 3_600_000 + int(r, 3_000_000)).toISOString();

function ndjsonLine(r: Rng): string {
  const dev = `dev-${int(r, 5)}`;
  return JSON.stringify(
    pick(r, [
      { kind: "metric", ts: iso(r), device_id: dev, metric: "aws:all-bytes-out", value: int(r, 10_000) },
      { kind: "flow", ts: iso(r), device_id: dev, src_ip: "10.0.0.5", src_port: 40000 + int(r, 1000), dst_ip: "52.28.10.2", dst_port: 8883, proto: "tcp", bytes_out: int(r, 5000), bytes_in: int(r, 500), duration: "0.4", conn_state: "SF" },
      { kind: "connectivity", ts: iso(r), device_id: dev, event: "session_update", mcc: 262, mnc: 1, bytes_up: int(r, 3000) },
      { kind: "broker", ts: iso(r), mqtt_client_id: `mqtt-${dev}`, event: "publish", topic: "fleet/x/t", bytes: int(r, 900) },
    ]),
  );
}

const CSV_HEADER = "ts,device_id,kind,metric,value";
const csvLine = (r: Rng) => `${iso(r)},dev-${int(r, 5)},metric,temp,${int(r, 100)}`;
const ZEEK_HEADER = [
  "#separator \\x09",
  "#set_separator\t,",
  "#empty_field\t(empty)",
  "#unset_field\t-",
  "#path\tconn",
  "#open\t2026-12-02-10-00-00",
  "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state",
  "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring",
].join("\n");
const zeekLine = (r: Rng) => [(Date.now() / 1000 - 3000 + int(r, 2900)).toFixed(6), `C${int(r, 1e9)}`, `10.0.0.${1 + int(r, 9)}`, 40000 + int(r, 999), "52.28.10.2", 8883, "tcp", "-", "0.5", int(r, 5000), int(r, 500), "SF"].join("\t");

/** A line mutated at the text level: characters that trip parsers, put anywhere. */
function mutateText(r: Rng, s: string): string {
  const ops = 1 + int(r, 3);
  for (let i = 0; i < ops; i++) {
    const at = int(r, s.length + 1);
    const ins = (x: string) => (s = s.slice(0, at) + x + s.slice(at));
    switch (int(r, 16)) {
      case 0: s = s.slice(0, at) + s.slice(at + 1 + int(r, 8)); break;
      case 1: ins(String.fromCharCode(int(r, 128))); break;
      case 2: ins('"'); break;
      case 3: ins(pick(r, [",", "\t", ";", "|"])); break;
      case 4: ins("\0"); break;
      case 5: ins("9".repeat(1 + int(r, 400))); break;
      case 6: ins("\r"); break;
      case 7: ins("\\ud800"); break; // a lone surrogate escape inside JSON
      case 8: ins(pick(r, ['{"__proto__":{"x":1}}', '"constructor":{"prototype":1},', "[[[[[[[[[[]]]]]]]]]]", "null", "true", "1e999", "-0", '{"ts":{}}'])); break;
      case 9: ins("\u202e\ufeff\u0085\u2028"); break;
      case 10: s = s.slice(0, at); break;
      case 11: ins(s.slice(0, int(r, s.length))); break;
      case 12: ins("#fields\tts"); break;
      case 13: ins("\n"); break;
      case 14: ins("🛰️é"); break;
      default: s = s.replace(/\d/, pick(r, ["x", "-", "", "99999999999999999999"]));
    }
  }
  return s;
}

/** Bytes mutated at the byte level: invalid UTF-8, flips, cuts. */
function mutateBytes(r: Rng, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const ops = 1 + int(r, 4);
  let cur = out;
  for (let i = 0; i < ops && cur.length > 0; i++) {
    const at = int(r, cur.length);
    switch (int(r, 5)) {
      case 0: cur[at] = int(r, 256); break;
      case 1: cur = Buffer.concat([cur.subarray(0, at), Buffer.from(pick(r, [[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f], [0xed, 0xa0, 0x80], [0xc0, 0xaf]])), cur.subarray(at)]); break;
      case 2: cur = cur.subarray(0, at); break;
      case 3: cur = Buffer.concat([cur.subarray(0, at), cur.subarray(at, at + int(r, 64)), cur.subarray(at)]); break;
      default: cur = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), cur]);
    }
  }
  return cur;
}

type Kind = "ndjson" | "csv" | "zeek" | "json" | "garbage" | "huge" | "utf16" | "empty";
const TYPES: Record<Exclude<Kind, "garbage" | "huge" | "utf16" | "empty">, string[]> = {
  ndjson: ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-ndjson; charset=utf-8", "APPLICATION/X-NDJSON", "text/plain", "application/octet-stream"],
  csv: ["text/csv", "text/csv; header=present", "text/plain"],
  zeek: ["text/x-zeek", "text/plain", "application/octet-stream"],
  json: ["application/json"],
};
const ODD_TYPES = ["text/html", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "image/png", "text/csv/extra", ";", "application/json; charset=\"\"", "x"];

interface Case {
  kind: Kind;
  body: Buffer;
  type: string | undefined;
  /** Lines the reader sees (the most a reject may name). */
  lines: number;
}

function makeCase(r: Rng): Case {
  const kind = pick<Kind>(r, ["ndjson", "ndjson", "ndjson", "csv", "csv", "zeek", "zeek", "json", "garbage", "huge", "utf16", "empty"]);
  let text: string;
  const n = 1 + int(r, 40);
  const lines = (f: (r: Rng) => string) => Array.from({ length: n }, () => (r() < 0.35 ? mutateText(r, f(r)) : f(r)));
  switch (kind) {
    case "ndjson": text = lines(ndjsonLine).join(pick(r, ["\n", "\n", "\r\n", "\n\n"])); break;
    case "csv": text = [r() < 0.2 ? mutateText(r, CSV_HEADER) : CSV_HEADER, ...lines(csvLine)].join(pick(r, ["\n", "\r\n"])); break;
    case "zeek": text = [r() < 0.2 ? mutateText(r, ZEEK_HEADER) : ZEEK_HEADER, ...lines(zeekLine), r() < 0.5 ? "#close\t2026-12-02-11-00-00" : ""].join("\n"); break;
    case "json": text = r() < 0.5 ? `[${Array.from({ length: n }, () => ndjsonLine(r)).join(",")}]` : mutateText(r, `[${ndjsonLine(r)},${ndjsonLine(r)}]`); break;
    case "huge": {
      // One line far beyond any record: a megabyte-long value, or a line past the body limit (413).
      const big = r() < 0.8 ? 1 + int(r, 3) : 5;
      text = `${ndjsonLine(r)}\n{"ts":"${iso(r)}","device_id":"${"x".repeat(big * 2 ** 20)}","kind":"metric","metric":"m","value":1}\n${ndjsonLine(r)}\n`;
      break;
    }
    case "garbage": text = ""; break;
    case "utf16": text = ""; break;
    default: text = pick(r, ["", "\n", "\r\n\r\n", "   ", "\ufeff"]);
  }
  let body: Buffer = Buffer.from(text);
  if (kind === "garbage") body = Buffer.from(Array.from({ length: int(r, 4096) }, () => int(r, 256)));
  if (kind === "utf16") body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(Array.from({ length: 5 }, () => ndjsonLine(r)).join("\n"), "utf16le")]);
  if ((kind === "ndjson" || kind === "csv" || kind === "zeek") && r() < 0.3) body = mutateBytes(r, body);
  const type = r() < 0.1 ? pick(r, ODD_TYPES) : r() < 0.1 ? undefined : kind in TYPES ? pick(r, TYPES[kind as keyof typeof TYPES]) : pick(r, ["application/x-ndjson", "text/csv", "text/x-zeek", "text/plain", "application/json"]);
  // Counting like the readers: LF, CRLF and a lone CR all end a line.
  const count = body.toString("latin1").split(/\r\n|\n|\r/).length;
  return { kind, body, type, lines: count };
}

const ACCEPTED_TYPES = new Set(["application/x-ndjson", "application/ndjson", "application/jsonl", "application/json", "text/csv", "text/x-zeek", "text/plain", "application/octet-stream"]);

describe("POST /api/v1/records fuzzed", () => {
  it(`never answers 5xx; every reject has its line and reason (seed ${SEED}, ${ROUNDS} bodies)`, async (t) => {
    const r = rng(SEED);
    let accepted = 0;
    let rejected = 0;
    const statuses: Record<number, number> = {};
    for (let i = 0; i < ROUNDS; i++) {
      const c = makeCase(r);
      const where = `seed ${SEED} round ${i} (${c.kind}, ${c.body.length} bytes, ${c.type ?? "no Content-Type"})`;
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (c.type !== undefined) headers["content-type"] = c.type;
      const res = await fetch(`${svc.url}/api/v1/records`, { method: "POST", headers, body: c.body });
      const text = await res.text();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      assert.ok(res.status < 500, `${where}: ${res.status} ${text.slice(0, 500)}`);
      if (res.status !== 200) {
        assert.ok([400, 413, 415].includes(res.status), `${where}: ${res.status} ${text.slice(0, 300)}`);
        assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/, where);
        const p = JSON.parse(text) as { status: number; code: string; detail: string };
        assert.equal(p.status, res.status, where);
        assert.ok(p.code && p.detail, `${where}: ${text}`);
        const base = c.type?.split(";")[0]!.trim().toLowerCase();
        if (res.status === 415) assert.ok(base !== undefined && !ACCEPTED_TYPES.has(base), `${where}: an accepted type refused: ${text}`);
        if (res.status === 413) assert.ok(c.body.length > MAX_BODY, `${where}: ${text}`);
        continue;
      }
      const a = JSON.parse(text) as { accepted: number; rejected: number; rejects: { line: number; reason: string }[] };
      assert.ok(Number.isInteger(a.accepted) && a.accepted >= 0 && Number.isInteger(a.rejected) && a.rejected >= 0, `${where}: ${text.slice(0, 300)}`);
      assert.equal(a.rejects.length, Math.min(a.rejected, 1000), where);
      for (const x of a.rejects) {
        assert.ok(Number.isInteger(x.line) && x.line >= 1 && x.line <= c.lines, `${where}: reject line ${x.line} outside the body's ${c.lines} lines (${x.reason})`);
        assert.ok(typeof x.reason === "string" && x.reason.length > 0 && x.reason.length <= 1000, `${where}: line ${x.line}: reason of ${x.reason.length} chars: ${x.reason.slice(0, 200)}`);
      }
      if (c.kind === "ndjson" && c.type?.includes("ndjson")) {
        const nonBlank = c.body.toString("utf8").split(/\r\n|\n|\r/).filter((l) => l.replace(/^\ufeff/, "").trim() !== "").length;
        assert.ok(a.accepted + a.rejected >= Math.min(1, nonBlank), `${where}: ${nonBlank} non-blank lines, ${a.accepted} accepted + ${a.rejected} rejected`);
      }
      accepted += a.accepted;
      rejected += a.rejected;
    }
    t.diagnostic(`answers by status ${JSON.stringify(statuses)}; ${accepted} records accepted, ${rejected} rejected`);
    assert.ok((statuses[200] ?? 0) > ROUNDS / 2 && (statuses[415] ?? 0) > 0, JSON.stringify(statuses));
    assert.ok(accepted > 0 && rejected > 0);
    // Nothing the answers called accepted is missing from the pipeline, and the service still serves.
    const m = svc.pipeline!.metrics();
    assert.equal(m.records_in.http, accepted);
    assert.equal(Object.values(m.records_rejected).reduce((x, y) => x + y, 0), rejected);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
  });
});
