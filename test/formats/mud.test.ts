import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseMud } from "../../src/formats/mud.ts";
import { exportMud, importMud } from "../../src/flows/mud.ts";
import { DeclarationMatcher } from "../../src/flows/match.ts";
import { chunks, rng } from "../helpers/random.ts";

const fixture = (f: string) => readFileSync(new URL(`../fixtures/mud/${f}`, import.meta.url), "utf8");
const errors = (f: ReturnType<typeof parseMud>) => f.issues.filter((i) => i.level === "error");

describe("MUD files (RFC 8520) from real tools", () => {
  it("reads the RFC form (Cisco MUD-Manager luminaire): DNS name, my-controller and local-networks", () => {
    const f = parseMud(fixture("cisco_Luminaire_150.json"));
    assert.deepEqual(errors(f), []);
    assert.equal(f.meta.url, "https://luminaire.example.com/Luminaire_150");
    const from = f.rules.filter((r) => r.policy === "from-device");
    assert.deepEqual(
      from.map((r) => [r.remote, r.protocol, r.ports, r.initiated]),
      [
        [{ kind: "dnsname", name: "fw-update.luminaire.example.com" }, "tcp", [443, 443], "from-device"],
        [{ kind: "class", class: "my-controller" }, "udp", [5684, 5684], undefined],
        [{ kind: "class", class: "local-networks" }, "udp", [5683, 5683], undefined],
      ],
    );
    // to-device rules are seen from the device too: the remote end is the source.
    assert.deepEqual(f.rules.find((r) => r.policy === "to-device")?.remote, { kind: "dnsname", name: "fw-update.luminaire.example.com" });
  });

  it("reads the pre-RFC access-lists root (osMUD lightbulb) and says it is not conformant", () => {
    const f = parseMud(fixture("osmud_lightbulb2000.json"));
    assert.deepEqual(errors(f), []);
    assert.ok(f.issues.some((i) => /pre-RFC root/.test(i.message)));
    assert.deepEqual(f.rules.find((r) => r.policy === "from-device")?.ports, [443, 443]);
    assert.equal(f.rules.find((r) => r.policy === "from-device")?.protocol, "tcp");
  });

  it("reads the older draft form (osMUD Nest): acl-name, port ranges, same-manufacturer directly under matches", () => {
    const f = parseMud(fixture("osmud_MUDFILE.NEST.json"));
    assert.deepEqual(errors(f), []);
    const classes = f.rules.filter((r) => r.remote.kind === "class").map((r) => (r.remote as { class: string }).class);
    assert.ok(classes.includes("same-manufacturer") && classes.includes("my-controller"));
    assert.deepEqual(f.rules.find((r) => r.remote.kind === "dnsname" && r.policy === "from-device")?.ports, [9543, 9543]);
  });

  it("reads the IETF draft example", () => {
    const f = parseMud(fixture("osmud_ietf-draft.json"));
    assert.deepEqual(errors(f), []);
    assert.ok(f.rules.some((r) => r.remote.kind === "dnsname" && r.remote.name === "test.example.com"));
  });

  it("imports as declared destinations a matcher accepts — and rejects what the file does not allow", () => {
    const f = parseMud(fixture("cisco_Luminaire_150.json"));
    const imp = importMud(f, undefined, "Luminaire_150.json", Date.parse("2026-11-25T00:00:00Z"));
    assert.equal(imp.declaration.mud_url, "https://luminaire.example.com/Luminaire_150");
    assert.ok(imp.declaration.destinations.every((d) => d.source === "mud"));
    // The to-device mirror of the update server merges into the same destination.
    assert.equal(imp.declaration.destinations.filter((d) => d.host === "fw-update.luminaire.example.com").length, 1);
    const m = new DeclarationMatcher({ ...imp.declaration, controllers: { "my-controller": ["192.0.2.10"] } });
    const q = { ip: "203.0.113.5", outbound: true, local: false };
    assert.ok(m.match({ ...q, name: "fw-update.luminaire.example.com", port: 443, proto: "tcp" }).index >= 0);
    assert.match(m.match({ ...q, name: "fw-update.luminaire.example.com", port: 80, proto: "tcp" }).why!, /not port 80/);
    assert.equal(m.match({ ...q, name: "evil.example.net", port: 443, proto: "tcp" }).index, -1);
    assert.ok(m.match({ ip: "192.0.2.10", port: 5684, proto: "udp", outbound: true, local: false }).index >= 0);
    assert.ok(m.match({ ip: "10.1.1.1", port: 5683, proto: "udp", outbound: true, local: true }).index >= 0);
    assert.equal(m.match({ ip: "10.1.1.1", port: 5684, proto: "udp", outbound: true, local: true }).index, -1);
  });

  it("keeps destinations declared by hand and replaces earlier MUD entries on re-import", () => {
    const f = parseMud(fixture("osmud_ietf-draft.json"));
    const first = importMud(f, undefined, "a.json", 0);
    first.declaration.destinations.push({ host: "time.example.org", protocol: "udp", direction: "from-device", source: "declared", purpose: "time" });
    const again = importMud(f, first.declaration, "a.json", 1);
    assert.equal(again.declaration.destinations.filter((d) => d.source === "declared").length, 1);
    assert.equal(again.declaration.destinations.filter((d) => d.source === "mud").length, first.added);
  });

  it("exports a learned MUD file that reads back without errors and keeps only widely used destinations", () => {
    const learned = [
      { name: "mqtt.acme.example", isAddress: false, local: false, port: 8883, protocol: "tcp", devices: 98 },
      { name: "203.0.113.9", isAddress: true, local: false, port: 123, protocol: "udp", devices: 100 },
      { name: "one-off.example", isAddress: false, local: false, port: 443, protocol: "tcp", devices: 3 },
      { name: "2001:db8::5", isAddress: true, local: false, port: 443, protocol: "tcp", devices: 97 },
    ];
    const out = exportMud(learned, { modelId: "meter v2", mudUrl: "https://acme.example/.well-known/mud/meter-v2", now: Date.parse("2026-11-25T10:00:00Z"), devices: 100, minShare: 0.95 });
    assert.deepEqual(out.dropped.map((d) => d.name), ["one-off.example"]);
    const back = parseMud(JSON.stringify(out.mud));
    assert.deepEqual(back.issues, []);
    const imp = importMud(back, undefined, "x", 0);
    const m = new DeclarationMatcher(imp.declaration);
    assert.ok(m.match({ name: "mqtt.acme.example", ip: "198.51.100.1", port: 8883, proto: "tcp", outbound: true, local: false }).index >= 0);
    assert.ok(m.match({ ip: "203.0.113.9", port: 123, proto: "udp", outbound: true, local: false }).index >= 0);
    assert.ok(m.match({ ip: "2001:db8::5", port: 443, proto: "tcp", outbound: true, local: false }).index >= 0);
    assert.equal(m.match({ name: "one-off.example", ip: "198.51.100.2", port: 443, proto: "tcp", outbound: true, local: false }).index, -1);
  });

  it("reports bad files with a path and a reason instead of throwing", () => {
    assert.match(errors(parseMud("{ not json"))[0]!.message, /not valid JSON/);
    assert.match(errors(parseMud("{}"))[0]!.message, /ietf-mud:mud/);
    const missing = parseMud(JSON.stringify({ "ietf-mud:mud": { "mud-url": "https://x", "from-device-policy": { "access-lists": { "access-list": [{ name: "nope" }] } } }, "ietf-access-control-list:acls": { acl: [] } }));
    assert.match(errors(missing)[0]!.message, /does not define/);
    const badProto = fixture("cisco_Luminaire_150.json").replace('"protocol": 6', '"protocol": 47');
    assert.ok(errors(parseMud(badProto)).some((i) => /protocol 47/.test(i.message) && i.path.includes("ace[0]")));
  });

  it("never throws on mangled MUD text (fuzz)", () => {
    const r = rng(17);
    const texts = ["cisco_Luminaire_150.json", "osmud_MUDFILE.NEST.json"].map(fixture);
    for (let i = 0; i < 400; i++) {
      const base = texts[i % 2]!;
      const parts = chunks(r, base);
      const cut = parts.filter(() => r() > 0.05).join("");
      const json = (() => {
        try {
          return JSON.parse(base) as unknown;
        } catch {
          return {};
        }
      })();
      // Structural fuzz: delete or retype a random key.
      const mutated = JSON.stringify(json, (k, v) => (k !== "" && r() < 0.03 ? (r() < 0.5 ? undefined : 42) : v));
      for (const t of [cut, mutated]) {
        const f = parseMud(t);
        assert.ok(Array.isArray(f.rules) && Array.isArray(f.issues));
      }
    }
  });
});
