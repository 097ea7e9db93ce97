import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StoredComponent } from "../../../src/core/component.ts";
import type { CertificateInfo, Credential } from "../../../src/core/fleet.ts";
import { serializeDevice, type Store } from "../../../src/store/store.ts";
import { importRows } from "../../helpers/store.ts";
import type { ContractContext } from "./context.ts";

const cert = (fingerprint: string, issuer: string, issuer_fingerprint?: string): CertificateInfo => ({
  fingerprint, subject: `CN=${fingerprint.slice(0, 4)}`, issuer, serial: "01", not_before: "2024-01-01T00:00:00Z", not_after: "2030-01-01T00:00:00Z",
  key_type: "ec", key_bits: 256, sig_alg: "ecdsa-with-SHA256", sig_hash: "sha256", self_issued: false, self_signed: false, is_ca: false, roca: false, chain_length: issuer_fingerprint ? 2 : 1,
  ...(issuer_fingerprint ? { issuer_fingerprint } : {}),
});
const cred = (c: Partial<Credential> & { secret: Credential["secret"] }): Credential => ({ service: "ssh", username: "root", ...c });
const comp = (name: string, version: string, purl?: string): StoredComponent => ({ name, version, ...(purl ? { purl } : {}), keys: [] });

async function all<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(...p);
  return out;
}

async function seeded(c: ContractContext): Promise<Store> {
  const store = await c.fresh();
  const fpA = "a".repeat(64), fpB = "b".repeat(64), ca = "c".repeat(64);
  await store.fleet.upsertCertificates([cert(fpA, "CN=Device CA,O=Acme", ca), cert(fpB, "CN=Old CA")]);
  await importRows(store, [
    { device_id: "d-1", model_id: "m1", firmware_version: "1.0", cert_fingerprint: fpA, country: "DE", groups: ["berlin", "pilot ✓"], imsi: "262011234567890", iccid: "8949000000000000001", sim_apn: "iot.acme", mqtt_client_id: "c-1" },
    { device_id: "d-2", model_id: "m1", firmware_version: "1.1", cert_fingerprint: fpB },
    { device_id: "d-3" },
  ].map(serializeDevice), { source: "test" });
  await store.fleet.upsertCredentials([
    cred({ device_id: "d-1", secret: { kind: "keyed", digest: "lwk1$same" } }),
    cred({ device_id: "d-2", secret: { kind: "keyed", digest: "lwk1$same" } }),
    cred({ device_id: "d-3", secret: { kind: "keyed", digest: "lwk1$other" } }),
    cred({ model_id: "m1", firmware_version: "1.0", service: "http", username: "admin", secret: { kind: "crypt", hash: "$1$x$same" } }),
  ]);
  await store.vulns.replaceSbom({ model_id: "m1", firmware_version: "1.0", format: "cyclonedx", source: "m1.json", imported_at: "2026-11-25T00:00:00Z", component_count: 2 }, [comp("openssl", "3.0.11", "pkg:deb/debian/openssl@3.0.11?arch=arm64"), comp("busybox", "1.36.1")], []);
  return store;
}

export function graphContract(c: ContractContext): void {
  describe(`what-if graph reads (${c.target.name})`, () => {
    it("reads every device's linking fields in pages, ordered by device id", async () => {
      const store = await seeded(c);
      const pages: number[] = [];
      const rows = [];
      for await (const p of store.graph.devices(2)) {
        pages.push(p.length);
        rows.push(...p);
      }
      assert.deepEqual(pages, [2, 1]);
      assert.deepEqual(rows[0], { device_id: "d-1", model_id: "m1", firmware_version: "1.0", cert_fingerprint: "a".repeat(64), country: "DE", groups: ["berlin", "pilot ✓"], mccmnc: "262011", apn: "iot.acme", mqtt: true });
      assert.deepEqual(rows[2], { device_id: "d-3", model_id: null, firmware_version: null, cert_fingerprint: null, country: null, groups: [], mccmnc: null, apn: null, mqtt: false });
    });

    it("counts by image, model, certificate, CA and APN from the counts kept at import", async () => {
      const store = await seeded(c);
      const by = <T extends Record<string, unknown>>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();
      assert.deepEqual(by(await store.graph.imageCounts()), by([{ model_id: "m1", firmware_version: "1.0", devices: 1 }, { model_id: "m1", firmware_version: "1.1", devices: 1 }]));
      assert.deepEqual(await store.graph.modelCounts(), [{ model_id: "m1", devices: 2 }]);
      assert.deepEqual(by(await store.graph.certificateCounts()), by([{ fingerprint: "a".repeat(64), devices: 1 }, { fingerprint: "b".repeat(64), devices: 1 }]));
      assert.deepEqual(by(await store.graph.caCounts()), by([{ issuer_fingerprint: "c".repeat(64), issuer: "CN=Device CA,O=Acme", devices: 1 }, { issuer_fingerprint: null, issuer: "CN=Old CA", devices: 1 }]));
      assert.deepEqual(await store.graph.apnCounts(), [{ apn: "iot.acme", devices: 1 }]);
      assert.equal(await store.graph.issuerSubject("c".repeat(64)), "CN=Device CA,O=Acme");
    });

    it("selects devices by APN, IMSI prefix, issuer and credential holders, without counting one twice", async () => {
      const store = await seeded(c);
      const n = async (sel: Parameters<Store["graph"]["affected"]>[0]) => {
        const a = await store.graph.affected(sel, 5);
        return [a.rows.reduce((x, r) => x + r.devices, 0), a.mqtt, a.mqtt_sample.join(","), a.certificates];
      };
      assert.deepEqual(await n({ apn: "iot.acme" }), [1, 1, "d-1", 0]);
      assert.deepEqual(await n({ mccmnc: "26201" }), [1, 1, "d-1", 0]);
      assert.deepEqual(await n({ mccmnc: "26202" }), [0, 0, "", 0]);
      assert.deepEqual(await n({ issuer_fingerprint: "c".repeat(64) }), [1, 1, "d-1", 1]);
      assert.deepEqual(await n({ issuer: "CN=Old CA" }), [1, 0, "", 1]);
      assert.deepEqual(await n({ holders: { device_ids: ["d-1", "d-3"], models: [{ model: "m1" }] } }), [3, 1, "d-1", 0]);
      assert.deepEqual(await n({ holders: { device_ids: ["d-2"], models: [{ model: "m1", firmware: "1.0" }] } }), [2, 1, "d-1", 0]);
    });

    it("groups credentials by secret in the database: the nodes a device or model holds, and the ranking", async () => {
      const store = await seeded(c);
      assert.deepEqual(await store.graph.credentialNodes("d-2", false, "ssh", "root"), [{ name: "d-1/ssh/root", device_ids: ["d-1", "d-2"], models: [] }]);
      assert.deepEqual(await store.graph.credentialNodes("d-1", false, "http", "admin"), [{ name: "model:m1/http/admin", device_ids: [], models: [{ model: "m1", firmware: "1.0" }] }]);
      assert.deepEqual(await store.graph.credentialNodes("d-2", false, "http", "admin"), [], "d-2 runs 1.1, not the 1.0 the model credential is for");
      assert.deepEqual(await store.graph.credentialNodes("m1", true, "http", "admin"), [{ name: "model:m1/http/admin", device_ids: [], models: [{ model: "m1", firmware: "1.0" }] }]);
      assert.equal(await store.graph.credentialNodes("nope", false, "ssh", "root"), undefined);
      assert.equal(await store.graph.credentialNodes("nope", true, "ssh", "root"), undefined);
      const r = await store.graph.rankCredentials(1);
      assert.deepEqual(r, { counted: 3, nodes: [{ name: "d-1/ssh/root", service: "ssh", username: "root", devices: 2 }, { name: "d-3/ssh/root", service: "ssh", username: "root", devices: 1 }, { name: "model:m1/http/admin", service: "http", username: "admin", devices: 1 }] });
      assert.deepEqual(await store.graph.rankCredentials(2, 5), { counted: 1, nodes: [r.nodes[0]] });
      assert.deepEqual((await store.graph.rankCredentials(1, 1)).nodes, [r.nodes[0]]);
      assert.ok(!JSON.stringify(r).includes("lwk1") && !JSON.stringify(r).includes("$1$"), "no secret");
    });

    it("reads certificates with their issuers, and the issuing certificate's fingerprint when known", async () => {
      const store = await seeded(c);
      assert.deepEqual(await all(store.graph.certificates(1)), [
        { fingerprint: "a".repeat(64), subject: "CN=aaaa", issuer: "CN=Device CA,O=Acme", issuer_fingerprint: "c".repeat(64) },
        { fingerprint: "b".repeat(64), subject: "CN=bbbb", issuer: "CN=Old CA", issuer_fingerprint: null },
      ]);
    });

    it("groups credentials by secret without returning the secret", async () => {
      const store = await seeded(c);
      const rows = await all(store.graph.credentials(3));
      assert.equal(rows.length, 4);
      assert.ok(rows.every((r) => !JSON.stringify(r).includes("lwk1") && !JSON.stringify(r).includes("$1$")));
      const group = (d: string | null) => rows.find((r) => r.device_id === d)!.secret_group;
      assert.equal(group("d-1"), group("d-2"));
      assert.notEqual(group("d-1"), group("d-3"));
      const model = rows.find((r) => r.model_id === "m1")!;
      assert.deepEqual({ ...model, secret_group: 0 }, { device_id: null, model_id: "m1", firmware_version: "1.0", service: "http", username: "admin", secret_group: 0 });
      assert.notEqual(model.secret_group, group("d-1"));
    });

    it("reads firmware components with name, version and purl", async () => {
      const store = await seeded(c);
      assert.deepEqual(await all(store.graph.components(1)), [
        { model_id: "m1", firmware_version: "1.0", name: "openssl", version: "3.0.11", purl: "pkg:deb/debian/openssl@3.0.11?arch=arm64" },
        { model_id: "m1", firmware_version: "1.0", name: "busybox", version: "1.36.1", purl: null },
      ]);
    });

    it("counts devices per endpoint and finds the devices of one endpoint by name, domain, address and port", async () => {
      const store = await seeded(c);
      const o = { model_id: "m1", day: "2026-11-24", address: "198.51.100.1", port: 8883, protocol: "tcp", direction: "from-device" as const, name_source: "record" as const, local: false, party: "first", categories: [], declared: true, flows: 1, bytes_out: 1, bytes_in: 1, first_seen: "2026-11-24T01:00:00Z", last_seen: "2026-11-24T01:00:00Z" };
      await store.flows.record([
        { ...o, device_id: "d-2", destination: "mqtt.acme.example" },
        { ...o, device_id: "d-1", destination: "mqtt.acme.example" },
        { ...o, device_id: "d-1", destination: "mqtt.acme.example", day: "2026-11-25" },
        { ...o, device_id: "d-1", destination: "ota.acme.example", port: 443, address: "198.51.100.2" },
      ]);
      assert.deepEqual(await store.graph.endpoints(), [{ destination: "mqtt.acme.example", devices: 2 }, { destination: "ota.acme.example", devices: 1 }]);
      assert.deepEqual(await store.graph.endpointDevices("MQTT.acme.example"), ["d-1", "d-2"]);
      assert.deepEqual(await store.graph.endpointDevices(".acme.example"), ["d-1", "d-2"]);
      assert.deepEqual(await store.graph.endpointDevices("198.51.100.2"), ["d-1"]);
      assert.deepEqual(await store.graph.endpointDevices(".acme.example", 443), ["d-1"]);
      assert.deepEqual(await store.graph.endpointDevices("acme.example"), []);
    });
  });
}
