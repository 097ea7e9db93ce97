import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Alert } from "../../src/core/record.ts";
import { allRules } from "../../src/audit/rules/index.ts";
import { allDetectors } from "../../src/detect/detectors/index.ts";
import { exportIntel } from "../../src/intel/export.ts";
import { importIntel, readPattern } from "../../src/intel/import.ts";
import { attackTechniques, canonicalJson, type TlpLevel, tlpMarking, uuidV5 } from "../../src/intel/stix.ts";
import { Watchlist } from "../../src/intel/watchlist.ts";

const SCHEMAS = fileURLToPath(new URL("../fixtures/stix2.1-schemas/", import.meta.url));

const OASIS_COMMON = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/common/";
const TLP2_SCHEMA = "https://raw.githubusercontent.com/oasis-open/cti-stix-common-objects/main/extension-definition-specifications/tlp-2.0/extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d.json";

/**
 * Validates each object against the STIX 2.1 schema of its type with Ajv's JSON Schema 2020-12 build. Vendored in
 * test/fixtures (SOURCE.txt): the official OASIS 2.1 files (oasis-open/cti-stix2-json-schemas, draft 2020-12) for
 * indicator and relationship (commit 2170b992), identity and identifier (08cd340f), report and timestamp (688248bf);
 * the other files (core, attack-pattern, sighting, marking-definition, ...) are still the fork
 * dronnix/cti-stix2-json-schemas (draft-07), because their official 2.1 versions could not be retrieved here. A TLP 2.0
 * marking is validated against the OASIS TLP 2.0 extension's schema (draft-07), which refers to the common schemas by
 * their upstream URLs.
 */
function validator(): (o: Record<string, unknown>) => string[] {
  // The OASIS patterns escape "-" outside classes, which JavaScript accepts only without the u flag.
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
  // The fork's files and the TLP 2.0 schema declare draft-07, which Ajv's 2020 build accepts once its meta-schema is added.
  ajv.addMetaSchema(createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-07.json") as object);
  ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:\S+$/i);
  const ids = new Map<string, string>();
  for (const dir of ["common", "sdos", "sros"]) {
    for (const f of readdirSync(join(SCHEMAS, dir))) {
      const text = readFileSync(join(SCHEMAS, dir, f), "utf8");
      const s = JSON.parse(text) as { $id: string };
      // One base for every file, so the relative $refs resolve (url-regex.json came with the upstream $id).
      s.$id = `https://schemas.invalid/stix2.1/${dir}/${f}`;
      ajv.addSchema(s);
      ids.set(f.replace(/\.json$/, ""), s.$id);
      if (dir === "common") ajv.addSchema({ ...(JSON.parse(text) as object), $id: `${OASIS_COMMON}${f}` });
    }
  }
  ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, "extensions", "tlp-2.0-marking-definition.json"), "utf8")) as object);
  return (o) => {
    const tlp2 = o.type === "marking-definition" && typeof o.extensions === "object";
    const id = tlp2 ? TLP2_SCHEMA : ids.get(String(o.type));
    if (!id) return [`no schema for ${String(o.type)}`];
    const v = ajv.getSchema(id)!;
    return v(o) ? [] : (v.errors ?? []).map((e) => `${String(o.type)} ${e.instancePath} ${e.message}`);
  };
}

function alert(over: Partial<Alert>): Alert {
  return {
    id: "a1",
    detector: "beaconing",
    device_id: "meter-0001",
    model_id: "meter-v2",
    key: "k",
    severity: "high",
    confidence: 0.8,
    first_seen: "2026-11-20T10:00:00Z",
    last_seen: "2026-11-20T12:00:00Z",
    count: 3,
    summary: "meter-0001 beacons to 203.0.113.50",
    action: "",
    evidence: { destination: "203.0.113.50" },
    state: "open",
    verification: "unknown",
    ...over,
  };
}

const alerts = [
  alert({}),
  alert({ id: "a2", device_id: "meter-0002", first_seen: "2026-11-19T08:00:00Z" }),
  alert({ id: "a3", detector: "new-destination", device_id: "meter-0003", evidence: { destination: "c2.bad.example" } }),
  alert({ id: "a4", detector: "watchlist-hit", device_id: "meter-0004", evidence: { destination: "198.51.100.9", indicator: "indicator--8e2e2d2b-17d4-4cbe-8b5c-2f5c8d3e4a11" } }),
  alert({ id: "a5", device_id: "meter-0005", evidence: { destination: "192.0.2.77" }, verification: "false_positive" }),
  alert({ id: "a6", detector: "volume-anomaly", evidence: { metric: "bytes_up" } }),
];

describe("intel export (STIX 2.1)", () => {
  const out = exportIntel({ alerts, detectors: allDetectors, producer: "Acme Fleet Ops", tlp: "amber" });
  const objects = out.bundle.objects;

  it("validates against the OASIS STIX 2.1 JSON Schemas, object by object", () => {
    const validate = validator();
    const problems = objects.flatMap(validate);
    assert.deepEqual(problems, []);
    assert.match(out.bundle.id, /^bundle--[0-9a-f-]{36}$/);
    for (const t of ["identity", "marking-definition", "report", "indicator", "sighting", "attack-pattern", "relationship"]) assert.ok(objects.some((o) => o.type === t), t);
  });

  it("the validator is not toothless: a broken indicator and a bad count fail it", () => {
    const validate = validator();
    const ind = { ...objects.find((o) => o.type === "indicator")! };
    delete ind.pattern_type;
    assert.ok(validate(ind).length > 0);
    assert.ok(validate({ ...objects.find((o) => o.type === "sighting")!, count: 1_000_000_000 }).length > 0);
    // The official 2.1 identity and report schemas are in use: a nameless identity and a report without published fail;
    // indicator_types, which the fork required, is optional in the official indicator schema (as in STIX 2.1 itself).
    const { name: _name, ...nameless } = objects.find((o) => o.type === "identity")!;
    assert.ok(validate(nameless).length > 0);
    const { published: _published, ...unpublished } = objects.find((o) => o.type === "report")!;
    assert.ok(validate(unpublished).length > 0);
    const { indicator_types: _types, ...untyped } = objects.find((o) => o.type === "indicator")!;
    assert.deepEqual(validate(untyped), []);
  });

  it("gives device counts, never device identifiers", () => {
    const text = JSON.stringify(out.bundle);
    for (const a of alerts) assert.ok(!text.includes(a.device_id), a.device_id);
    const s = objects.find((o) => o.type === "sighting" && typeof o.description === "string" && (o.description as string).startsWith("Seen on 2"));
    assert.equal(s?.count, 2, "two devices beaconed to 203.0.113.50");
  });

  it("leaves out false positives and detectors without intel endpoints; sights imported indicators by their own id", () => {
    assert.ok(!JSON.stringify(out.bundle).includes("192.0.2.77"));
    assert.ok(out.skipped.some((s) => s.alert === "a5"));
    const sightingOf = objects.filter((o) => o.type === "sighting").map((o) => o.sighting_of_ref);
    assert.ok(sightingOf.includes("indicator--8e2e2d2b-17d4-4cbe-8b5c-2f5c8d3e4a11"));
    assert.equal(out.indicators, 2);
  });

  it("marks everything with the TLP 2.0 marking of the level (OASIS TLP 2.0 extension ids), or TLP 1.0 on request", () => {
    const marking = objects.find((o) => o.type === "marking-definition")!;
    assert.equal(marking.id, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421");
    assert.equal(marking.name, "TLP:AMBER");
    assert.ok(objects.filter((o) => o.type !== "marking-definition" && o.type !== "identity").every((o) => (o.object_marking_refs as string[])[0] === marking.id));
    const validate = validator();
    const ids: Record<string, string> = {
      clear: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
      green: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
      "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
      red: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    };
    for (const [level, id] of Object.entries(ids)) {
      const b = exportIntel({ alerts, detectors: allDetectors, producer: "Acme Fleet Ops", tlp: level as TlpLevel }).bundle.objects;
      const m = b.find((o) => o.type === "marking-definition")!;
      assert.equal(m.id, id, level);
      assert.deepEqual(b.flatMap(validate), [], level);
    }
    // TLP 1.0 (the STIX 2.1 spec's own markings): CLEAR is written as WHITE, and validates against the 2.1 schema.
    const v1 = exportIntel({ alerts, detectors: allDetectors, producer: "Acme Fleet Ops", tlp: "clear", tlpVersion: 1 }).bundle.objects;
    const m1 = v1.find((o) => o.type === "marking-definition")!;
    assert.equal(m1.id, "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9");
    assert.equal(m1.name, "TLP:WHITE");
    assert.deepEqual(v1.flatMap(validate), []);
    assert.throws(() => tlpMarking("amber+strict", 1), /TLP 1.0 has no TLP:AMBER\+STRICT/);
    // The TLP 2.0 schema has teeth: a marking with another level's id, or a made-up level, fails it.
    assert.ok(validate({ ...marking, id: ids.red }).length > 0);
    assert.ok(validate({ ...marking, extensions: { "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": { extension_type: "property-extension", tlp_2_0: "white" } } }).length > 0);
  });

  it("has deterministic ids: a re-export is byte-identical, and the same endpoint keeps its indicator id in another export", () => {
    const again = exportIntel({ alerts: [...alerts].reverse(), detectors: allDetectors, producer: "Acme Fleet Ops", tlp: "amber" });
    assert.equal(JSON.stringify(again.bundle), JSON.stringify(out.bundle));
    const fewer = exportIntel({ alerts: alerts.slice(0, 1), detectors: allDetectors, producer: "Acme Fleet Ops", tlp: "amber" });
    const id = (b: typeof out) => b.bundle.objects.find((o) => o.type === "indicator" && String(o.pattern).includes("203.0.113.50"))!.id;
    assert.equal(id(fewer), id(out));
  });

  it("UUIDv5 matches the RFC 4122 test vector, and canonical JSON sorts keys", () => {
    assert.equal(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 1 }] }), '{"a":[{"c":1,"d":2}],"b":1}');
  });

  it("every ATT&CK id a detector declares is in the pinned technique list", () => {
    const known = attackTechniques();
    for (const d of [...allDetectors, ...allRules]) for (const t of d.attack ?? []) assert.ok(known.has(t), `${d.id}: ${t}`);
    // The list holds only what detectors and rules cite, each with the public page it was checked against.
    const cited = new Set([...allDetectors, ...allRules].flatMap((d) => d.attack ?? []));
    for (const t of known.values()) {
      assert.ok(cited.has(t.id), `${t.id} is listed but no detector or rule cites it`);
      assert.match(t.domain, /^(enterprise|ics|mobile)-attack$/);
      assert.equal(/^T0/.test(t.id), t.domain === "ics-attack", `${t.id}: ICS ids are T0xxx`);
    }
    const ap = objects.filter((o) => o.type === "attack-pattern");
    assert.ok(ap.length > 0);
    for (const o of ap) {
      const ref = (o.external_references as { source_name: string; external_id: string; url: string }[])[0]!;
      assert.match(ref.external_id, /^T\d{4}(\.\d{3})?$/);
      // ATT&CK's STIX data uses source_name mitre-attack in every domain (ICS and Mobile too).
      assert.equal(ref.source_name, "mitre-attack");
      assert.equal(ref.url, `https://attack.mitre.org/techniques/${ref.external_id.replace(".", "/")}/`);
      assert.equal(o.name, known.get(ref.external_id)!.name);
    }
  });
});

describe("intel export --exposure (audit rules' ATT&CK ids)", () => {
  const rule = (id: string) => allRules.find((r) => r.id === id)!;
  const at = Date.parse("2026-11-21T06:00:00Z");
  const exposure = { at, rules: [{ rule: rule("default-password"), devices: 120 }, { rule: rule("sim-public-ip"), devices: 7 }, { rule: rule("weak-key"), devices: 50 }, { rule: rule("universal-password"), devices: 0 }] };

  it("the rules that cite techniques are the ones checked in data/README.md", () => {
    const cites = Object.fromEntries(allRules.filter((r) => r.attack?.length).map((r) => [r.id, [...r.attack!]]));
    assert.deepEqual(cites, { "default-password": ["T0812", "T1078.001"], "universal-password": ["T0859"], "cleartext-remote-admin": ["T0842"], "sim-public-ip": ["T0883"] });
  });

  it("adds an attack pattern per cited technique and device counts in the report, and still validates", () => {
    const out = exportIntel({ alerts, detectors: allDetectors, producer: "Acme Fleet Ops", tlp: "amber", exposure });
    assert.deepEqual(out.bundle.objects.flatMap(validator()), []);
    const ap = out.bundle.objects.filter((o) => o.type === "attack-pattern").map((o) => (o.external_references as { external_id: string }[])[0]!.external_id);
    for (const t of ["T0812", "T1078.001", "T0883"]) assert.ok(ap.includes(t), t);
    assert.ok(!ap.includes("T0859"), "a rule with no open finding adds nothing");
    const report = out.bundle.objects.find((o) => o.type === "report")!;
    const refs = report.object_refs as string[];
    for (const o of out.bundle.objects.filter((x) => x.type === "attack-pattern")) assert.ok(refs.includes(String(o.id)));
    assert.match(String(report.description), /120 devices open to T0812, T1078\.001 \(audit rule default-password/);
    assert.match(String(report.description), /7 devices open to T0883/);
    assert.doesNotMatch(String(report.description), /weak-key/, "rules without ATT&CK ids are not shared");
    // The same technique from a detector and a rule is one attack pattern (deterministic id).
    const again = exportIntel({ alerts, detectors: allDetectors, producer: "Acme Fleet Ops", tlp: "amber", exposure });
    assert.equal(JSON.stringify(again.bundle), JSON.stringify(out.bundle));
    assert.equal(new Set(ap).size, ap.length);
  });

  it("works with posture only (no alerts): a report dated by the scan", () => {
    const out = exportIntel({ alerts: [], detectors: allDetectors, producer: "Acme Fleet Ops", tlp: "green", exposure });
    assert.deepEqual(out.bundle.objects.flatMap(validator()), []);
    const report = out.bundle.objects.find((o) => o.type === "report")!;
    assert.equal(report.published, "2026-11-21T06:00:00.000Z");
    assert.equal(out.indicators, 0);
  });
});

describe("intel import", () => {
  it("reads our own export back as a watchlist", () => {
    const out = exportIntel({ alerts, detectors: allDetectors, producer: "Acme Fleet Ops", tlp: "green" });
    const imp = importIntel(JSON.stringify(out.bundle), "file.json", Date.parse("2026-11-25T00:00:00Z"));
    assert.deepEqual(imp.entries.map((e) => e.value).sort(), ["203.0.113.50", "c2.bad.example"]);
    assert.ok(imp.entries.every((e) => e.source === "Acme Fleet Ops"));
    const wl = new Watchlist(imp.entries);
    assert.ok(wl.matchV4(((203 << 24) | (113 << 8) | 50 | 0) >>> 0));
  });

  it("reads the pattern forms feeds use and says why it skips the rest", () => {
    assert.deepEqual(readPattern("[ipv4-addr:value = '198.51.100.0/24' OR domain-name:value = 'Evil.Example']"), [
      { value: "198.51.100.0/24", kind: "ipv4" },
      { value: "evil.example", kind: "domain" },
    ]);
    assert.deepEqual(readPattern("[url:value = 'http://bad.example:8080/x.sh']"), [{ value: "bad.example", kind: "domain" }]);
    assert.deepEqual(readPattern("[network-traffic:dst_ref.value IN ('203.0.113.1', '2001:db8::1')]"), [
      { value: "203.0.113.1", kind: "ipv4" },
      { value: "2001:db8::1", kind: "ipv6" },
    ]);
    assert.match(readPattern("[file:hashes.'SHA-256' = 'ab']") as string, /not something a flow record can match/);
    assert.match(readPattern("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.example']") as string, /several observations/);
    const bundle = {
      type: "bundle",
      id: "bundle--00000000-0000-4000-8000-000000000000",
      objects: [
        { type: "indicator", id: "indicator--1", pattern: "[ipv4-addr:value = '192.0.2.1']", pattern_type: "stix", revoked: true },
        { type: "indicator", id: "indicator--2", pattern: "[ipv4-addr:value = '192.0.2.2']", pattern_type: "stix", valid_until: "2020-01-01T00:00:00Z" },
        { type: "indicator", id: "indicator--3", pattern: "alert tcp any any", pattern_type: "snort" },
        { type: "indicator", id: "indicator--4", pattern: "[ipv4-addr:value = '192.0.2.4']", pattern_type: "stix" },
      ],
    };
    const imp = importIntel(JSON.stringify(bundle), "feed.json", Date.parse("2026-11-25T00:00:00Z"));
    assert.deepEqual(imp.entries.map((e) => e.value), ["192.0.2.4"]);
    assert.deepEqual(imp.skipped.map((s) => s.id), ["indicator--1", "indicator--2", "indicator--3"]);
    assert.match(importIntel("{oops", "x", 0).skipped[0]!.why, /not valid JSON/);
  });
});
