import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseMud } from "../../src/formats/mud.ts";
import { writeCountryMmdb } from "../helpers/mmdb.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { cli } from "./run-cli.ts";

const CAPTURE = new URL("../fixtures/flows/ctu-normal-40-day1.conn.log", import.meta.url).pathname;
const LUMINAIRE = new URL("../fixtures/mud/cisco_Luminaire_150.json", import.meta.url).pathname;

describe("longwatch privacy / mud / intel", () => {
  it("detect records flows; privacy report, export mud and intel export/import work from the store", async () => {
    const tmp = tmpDir();
    const data = join(tmp.dir, "data");
    const devices = tmp.write("devices.csv", "device_id,ip,model_id\nctu-host,147.32.81.167,ctu-host\n");
    const models = tmp.write(
      "models.yaml",
      [
        "- model_id: ctu-host",
        "  flows:",
        "    personal_data: [location]",
        "    jurisdictions: [EEA]",
        "    mud_url: https://example.com/.well-known/mud/ctu-host",
        "    destinations:",
        "      - { cidr: 91.228.164.0/22, ports: [80, 443, 8883], protocol: tcp, purpose: update, owner: ESET, party: support, data: [pseudonymous] }",
        "      - { cidr: 20.0.0.0/8, ports: [443], protocol: tcp, purpose: telemetry, owner: Microsoft }",
        "      - { host: never-used.example.com, purpose: diagnostics }",
      ].join("\n"),
    );
    const mmdb = join(tmp.dir, "geo.mmdb");
    writeCountryMmdb(mmdb, { "91.228.164.0/22": "SK", "162.125.0.0/16": "US", "20.0.0.0/8": "US" });
    const imp = await cli(["--data", data, "import", "models", models]);
    assert.equal(imp.code, 0, imp.stderr);
    await cli(["--data", data, "import", "devices", devices]);
    const run = await cli(["--data", data, "detect", CAPTURE, "--local-net", "147.32.81.167/32", "--geoip", mmdb, "--detectors", "undeclared-flow,data-residency,location-to-third-party", "--format", "json"]);
    assert.equal(run.code, 0, run.stderr);
    const detectors = new Set((JSON.parse(run.stdout) as { detector: string }[]).map((a) => a.detector));
    assert.deepEqual([...detectors].sort(), ["data-residency", "location-to-third-party", "undeclared-flow"]);

    const report = await cli(["--data", data, "privacy", "report", "--model", "ctu-host", "--since", "2022-06-01", "--format", "json"], { LONGWATCH_NOW: "2022-06-13T23:00:00Z" });
    assert.equal(report.code, 0, report.stderr);
    const r = JSON.parse(report.stdout) as { destinations: { destination: string; declared: boolean; country?: string; party: string }[]; unused_declared: string[]; changes: unknown };
    assert.ok(r.destinations.some((d) => d.destination.startsWith("162.125.") && !d.declared && d.country === "US" && d.party === "third"));
    assert.ok(r.destinations.some((d) => d.destination.startsWith("91.228.") && d.declared && d.country === "SK"));
    assert.deepEqual(r.unused_declared, ["never-used.example.com"]);
    assert.equal(r.changes, null);
    const again = await cli(["--data", data, "privacy", "report", "--model", "ctu-host", "--since", "2022-06-01"], { LONGWATCH_NOW: "2022-06-13T23:00:00Z" });
    assert.match(again.stdout, /UNDECLARED +162\.125\./);
    assert.match(again.stdout, /Since the report of .*: 0 new/);
    const html = await cli(["--data", data, "privacy", "report", "--model", "ctu-host", "--since", "2022-06-01", "--format", "html", "--no-save"], { LONGWATCH_NOW: "2022-06-13T23:00:00Z" });
    assert.match(html.stdout, /<table>/);

    const mud = await cli(["--data", data, "export", "mud", "--model", "ctu-host", "--since", "2022-06-01", "--min-share", "1"], { LONGWATCH_NOW: "2022-06-13T23:00:00Z" });
    assert.equal(mud.code, 0, mud.stderr);
    const parsed = parseMud(mud.stdout);
    assert.deepEqual(parsed.issues, []);
    assert.equal(parsed.meta.url, "https://example.com/.well-known/mud/ctu-host");
    assert.ok(parsed.rules.length > 10);

    const bundleFile = tmp.write("feed.json", JSON.stringify({ type: "bundle", id: "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", objects: [{ type: "indicator", spec_version: "2.1", id: "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade", created: "2022-01-01T00:00:00.000Z", modified: "2022-01-01T00:00:00.000Z", name: "sync host", pattern: "[ipv4-addr:value = '162.125.19.9']", pattern_type: "stix", valid_from: "2022-01-01T00:00:00Z", indicator_types: ["malicious-activity"] }, { type: "indicator", id: "indicator--x", pattern: "[file:name = 'a']", pattern_type: "stix" }] }));
    const ii = await cli(["--data", data, "intel", "import", bundleFile]);
    assert.equal(ii.code, 3, "one indicator skipped: exit 3 with the reason");
    assert.match(ii.stderr, /indicator--x: skipped/);
    const hit = await cli(["--data", data, "detect", CAPTURE, "--local-net", "147.32.81.167/32", "--detectors", "watchlist-hit", "--format", "json"]);
    const hits = JSON.parse(hit.stdout) as { detector: string; evidence: { matched: string } }[];
    assert.ok(hits.length >= 1 && hits.every((h) => h.evidence.matched === "162.125.19.9"));
    const ex = await cli(["--data", data, "intel", "export", "--since", "2022-06-01", "--tlp", "green", "--producer", "Test CERT"], { LONGWATCH_NOW: "2022-06-13T23:00:00Z" });
    assert.equal(ex.code, 0, ex.stderr);
    const bundle = JSON.parse(ex.stdout) as { objects: { type: string; sighting_of_ref?: string; count?: number }[] };
    assert.ok(bundle.objects.some((o) => o.type === "sighting" && o.sighting_of_ref === "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade" && o.count === 1));
    assert.ok(!ex.stdout.includes("ctu-host"));
    assert.ok(bundle.objects.some((o) => o.type === "marking-definition" && (o as { id?: string }).id === "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"), "TLP 2.0 GREEN");
    const v1 = await cli(["--data", data, "intel", "export", "--since", "2022-06-01", "--tlp", "clear", "--tlp-version", "1"], { LONGWATCH_NOW: "2022-06-13T23:00:00Z" });
    assert.equal(v1.code, 0, v1.stderr);
    assert.match(v1.stdout, /"name": "TLP:WHITE"/);
    const strict = await cli(["--data", data, "intel", "export", "--tlp", "amber+strict", "--tlp-version", "1"], { LONGWATCH_NOW: "2022-06-13T23:00:00Z" });
    assert.equal(strict.code, 2);
    assert.match(strict.stderr, /TLP 1.0 has no such level/);
  });

  it("intel export --exposure shares the latest scan's posture as ATT&CK attack patterns with device counts, never ids", async () => {
    const tmp = tmpDir();
    const data = join(tmp.dir, "data");
    await cli(["--data", data, "import", "devices", tmp.write("devices.csv", "device_id,model_id,sim_public_ip\nd-1,m,true\nd-2,m,true\nd-3,m,false\n")]);
    const none = await cli(["--data", data, "intel", "export", "--exposure"]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stderr, /no audit scan is stored yet/);
    const scan = await cli(["--data", data, "scan"]);
    assert.ok(scan.code === 0 || scan.code === 1, scan.stderr);
    const ex = await cli(["--data", data, "intel", "export", "--exposure", "--tlp", "amber"]);
    assert.equal(ex.code, 0, ex.stderr);
    const bundle = JSON.parse(ex.stdout) as { objects: { type: string; description?: string; external_references?: { external_id: string }[] }[] };
    assert.deepEqual(bundle.objects.filter((o) => o.type === "attack-pattern").map((o) => o.external_references![0]!.external_id), ["T0883"]);
    assert.match(bundle.objects.find((o) => o.type === "report")!.description!, /2 devices open to T0883 \(audit rule sim-public-ip/);
    assert.ok(!/d-[123]/.test(ex.stdout), "no device id in the bundle");
    const without = await cli(["--data", data, "intel", "export", "--tlp", "amber"]);
    assert.ok(!without.stdout.includes("attack-pattern"), "posture is opt-in");
  });

  it("recording flow observations is idempotent: the same file again adds nothing, a grown file adds only its new lines", async () => {
    const tmp = tmpDir();
    const data = join(tmp.dir, "data");
    const models = tmp.write("models.yaml", ["- model_id: ctu-host", "  flows:", "    destinations:", "      - { cidr: 91.228.164.0/22, protocol: tcp, purpose: update }"].join("\n"));
    await cli(["--data", data, "import", "models", models]);
    await cli(["--data", data, "import", "devices", tmp.write("devices.csv", "device_id,ip,model_id\nctu-host,147.32.81.167,ctu-host\n")]);
    const lines = readFileSync(CAPTURE, "utf8").split("\n");
    const header = lines.filter((l) => l.startsWith("#") && !l.startsWith("#close"));
    const body = lines.filter((l) => l !== "" && !l.startsWith("#"));
    // The first half of the capture, then the whole of it under the same name (a log that grew).
    const file = join(tmp.dir, "conn.log");
    const half = tmp.write("conn.log", [...header, ...body.slice(0, Math.floor(body.length / 2)), ""].join("\n"));
    assert.equal(half, file);
    const detect = (f: string) => cli(["--data", data, "detect", f, "--local-net", "147.32.81.167/32", "--detectors", "undeclared-flow", "--format", "json"]);
    const volume = async () => {
      const r = await cli(["--data", data, "privacy", "report", "--model", "ctu-host", "--since", "2000-01-01", "--format", "json", "--no-save"], { LONGWATCH_NOW: "2022-06-13T23:00:00Z" });
      const doc = JSON.parse(r.stdout) as { destinations: { flows: number; bytes_out: number }[] };
      return { flows: doc.destinations.reduce((n, d) => n + d.flows, 0), bytes: doc.destinations.reduce((n, d) => n + d.bytes_out, 0) };
    };
    assert.equal((await detect(file)).code, 0);
    const first = await volume();
    assert.ok(first.flows > 0);
    assert.equal((await detect(file)).code, 0);
    assert.deepEqual(await volume(), first, "the same file again adds nothing");
    const copy = tmp.write("copy-of-conn.log", readFileSync(file, "utf8"));
    await detect(copy);
    assert.deepEqual(await volume(), first, "a copy of it elsewhere is the same input");
    tmp.write("conn.log", [...header, ...body, ""].join("\n"));
    await detect(file);
    const grown = await volume();
    await detect(CAPTURE);
    const whole = await volume();
    assert.ok(grown.flows > first.flows);
    // The whole capture under another name has another first 4 KiB only if its head differs; here it is the same
    // content as the grown file, so nothing is added: the totals are those of the whole capture counted once.
    assert.deepEqual(whole, grown);
    const fresh = join(tmp.dir, "fresh");
    await cli(["--data", fresh, "import", "models", models]);
    await cli(["--data", fresh, "import", "devices", join(tmp.dir, "devices.csv")]);
    await cli(["--data", fresh, "detect", CAPTURE, "--local-net", "147.32.81.167/32", "--detectors", "undeclared-flow", "--format", "json"]);
    const once = await cli(["--data", fresh, "privacy", "report", "--model", "ctu-host", "--since", "2000-01-01", "--format", "json", "--no-save"], { LONGWATCH_NOW: "2022-06-13T23:00:00Z" });
    const o = JSON.parse(once.stdout) as { destinations: { flows: number; bytes_out: number }[] };
    assert.deepEqual(grown, { flows: o.destinations.reduce((n, d) => n + d.flows, 0), bytes: o.destinations.reduce((n, d) => n + d.bytes_out, 0) }, "half, then the grown file, counts exactly what one run over the whole does");
  });

  it("import mud stores a model's MUD allow-list and reports a bad file with its place", async () => {
    const tmp = tmpDir();
    const data = join(tmp.dir, "data");
    const ok = await cli(["--data", data, "import", "mud", LUMINAIRE, "--model", "lum"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Imported \d+ destination/);
    const bad = await cli(["--data", data, "import", "mud", tmp.write("bad.json", readFileSync(LUMINAIRE, "utf8").slice(0, 200)), "--model", "lum"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not valid JSON/);
    const none = await cli(["--data", data, "export", "mud", "--model", "lum"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no flows of model lum/);
  });
});
