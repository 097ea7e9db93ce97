/** docs/respond.md lists every action as the actions declare themselves; the config and value parsers never crash on bad input. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { z } from "zod";
import { isLongwatchError } from "../../src/core/errors.ts";
import { defineAction } from "../../src/respond/action.ts";
import { allActions } from "../../src/respond/actions/index.ts";
import { parseRespondSettings } from "../../src/respond/config.ts";
import { retryAfterMs } from "../../src/respond/connectors/http.ts";
import { canonicalJson } from "../../src/respond/log.ts";
import { parseDuration } from "../../src/respond/settings.ts";
import { fillTemplate } from "../../src/respond/template.ts";
import { parseTarget } from "../../src/cli/respond.ts";
import { pick, rng } from "../helpers/random.ts";

describe("docs/respond.md", () => {
  it("has one row per action with its target and reversibility", () => {
    const doc = readFileSync(new URL("../../docs/respond.md", import.meta.url), "utf8");
    const rows = new Map([...doc.matchAll(/^\| `([a-z0-9-]+)` \| (\w+) \| (yes|no) \|/gm)].map((m) => [m[1]!, [m[2], m[3]]]));
    for (const a of allActions) assert.deepEqual(rows.get(a.id), [a.target, a.reversible ? "yes" : "no"], `docs row for ${a.id}`);
    assert.equal(rows.size, allActions.length);
  });
});

describe("action definitions", () => {
  it("refuse to claim reversibility without a reverse, and the other way round", () => {
    const base = { id: "x", title: "x", target: "device" as const, description: "x", params: z.object({}), plan: async () => ({ summary: "", before: null, after: {}, noop: false, warnings: [] }), apply: async () => ({ after: {}, receipt: {}, warnings: [] }), verify: async () => ({ ok: true, observed: {}, warnings: [] }) };
    assert.throws(() => defineAction({ ...base, reversible: true }));
    assert.throws(() => defineAction({ ...base, reversible: false, reverse: async () => ({ after: {}, warnings: [] }) }));
    assert.equal(new Set(allActions.map((a) => a.id)).size, allActions.length);
    for (const a of allActions) assert.ok(a.params.safeParse(a.id === "webhook" ? { webhook: "w" } : a.id.startsWith("command") ? { command: "c" } : {}).success, `${a.id}: defaults parse`);
  });
});

describe("parsers", () => {
  it("read durations, Retry-After and targets", () => {
    assert.equal(parseDuration("90s"), 90_000);
    assert.equal(parseDuration("4h"), 14_400_000);
    for (const bad of ["", "0s", "4", "h", "-1m", "1.5h", "1w"]) assert.equal(parseDuration(bad), undefined, bad);
    assert.equal(retryAfterMs("2"), 2000);
    assert.equal(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1)), 10_000);
    assert.equal(retryAfterMs("soon"), undefined);
    assert.deepEqual(parseTarget("meter-1"), { kind: "device", id: "meter-1" });
    assert.deepEqual(parseTarget(`cert:${"AB:".repeat(31)}AB`), { kind: "certificate", id: "ab".repeat(32) });
    assert.deepEqual(parseTarget("credential:d-1/ssh/root"), { kind: "credential", id: "d-1/ssh/root" });
    assert.throws(() => parseTarget("cert:xyz"), (e) => isLongwatchError(e, "usage"));
  });

  it("canonical JSON does not depend on key order", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });

  it("templates refuse values outside the pattern", () => {
    const allowed = /^[A-Za-z0-9._:@/+-]{1,256}$/;
    assert.equal(fillTemplate("--id={device_id}", { device_id: "m-1" }, allowed, "w"), "--id=m-1");
    for (const v of ["a b", "x;rm -rf /", "$(id)", "", "`id`", "a\nb"]) assert.throws(() => fillTemplate("{device_id}", { device_id: v }, allowed, "w"), (e) => isLongwatchError(e, "invalid_input"), JSON.stringify(v));
  });

  it("fuzz: a damaged config is either read or refused as invalid_config, never a crash", () => {
    const good = "respond:\n  approval: { required: all, expires: 24h }\n  automatic: { enabled: true, budget: { devices: 5, per: 1h }, ttl: 2h }\n  connectors:\n    mqtt: { url: 'mqtt://127.0.0.1:1883', username: admin, password: { env: PW } }\n    sim: [ { provider: emnify, application_token: { env: T } } ]\n  playbooks:\n    - { name: p, when: { detector: [ddos-participation], severity: high }, action: mqtt-quarantine, mode: automatic }\n";
    const seed = Number(process.env.FUZZ_SEED ?? 16);
    const r = rng(seed);
    const junk = ["", " ", ":", "{", "}", "[", "-", "#", "'", "\n", "automatic", "x", "0", "-1", "99999999999", "null", "&a", "*a", "!!binary"];
    for (let i = 0; i < 600; i++) {
      let s = good;
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) {
        const at = Math.floor(r() * s.length);
        s = r() < 0.5 ? s.slice(0, at) + pick(r, junk) + s.slice(at) : s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 5));
      }
      try {
        parseRespondSettings(s, "f.yaml");
      } catch (e) {
        assert.ok(isLongwatchError(e, "invalid_config"), `seed ${seed} case ${i}: ${String(e)}\n${s}`);
      }
    }
  });
});
