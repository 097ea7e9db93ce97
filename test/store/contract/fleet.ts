import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CertificateInfo } from "../../../src/core/fleet.ts";
import { type SerializedDevice, serializeDevice, type StoredDevice, type StoreTx } from "../../../src/store/store.ts";
import type { ContractContext } from "./context.ts";

export function rows(devices: StoredDevice[]): SerializedDevice[] {
  return devices.map((d, i) => ({ ...serializeDevice(d), line: i + 2 }));
}

export async function importDevices(store: StoreTx, devices: StoredDevice[], opts: { prune?: boolean; source?: string } = {}) {
  return store.transaction(async (tx) => {
    const run = await tx.fleet.startImport(opts.source ?? "devices.csv");
    const duplicates = await tx.fleet.upsertDevices(run, rows(devices));
    return { duplicates, summary: await tx.fleet.finishImport(run, opts.prune ? { prune: true } : {}) };
  });
}

export const cert = (fp: string): CertificateInfo => ({
  fingerprint: fp,
  subject: `CN=${fp}`,
  issuer: "CN=ca",
  serial: "01",
  not_before: "2024-01-01T00:00:00Z",
  not_after: "2034-01-01T00:00:00Z",
  key_type: "ec",
  key_bits: 256,
  curve: "secp256r1",
  sig_alg: "ecdsa-with-SHA256",
  sig_hash: "sha256",
  self_issued: false,
  self_signed: false,
  is_ca: false,
  roca: false,
  chain_length: 1,
});

export function fleetContract(c: ContractContext): void {
  describe(`fleet (${c.target.name})`, () => {
    it("imports devices atomically and idempotently: the same file twice changes nothing", async () => {
      const store = await c.fresh();
      const devices: StoredDevice[] = Array.from({ length: 70 }, (_, i) => ({ device_id: `d-${String(i).padStart(3, "0")}`, model_id: i % 2 ? "m-a" : "m-b", firmware_version: "1.0" }));
      const first = await importDevices(store, devices);
      assert.deepEqual(first.duplicates, []);
      assert.equal(first.summary.missingCount, 0);
      const again = await importDevices(store, devices);
      assert.deepEqual(again.duplicates, []);
      assert.equal(again.summary.missingCount, 0);
      assert.equal((await store.fleet.counts()).devices, 70);
      assert.deepEqual((await store.fleet.getDevice("d-005"))!.device, devices[5]);
    });

    it("reports a device id repeated within one import, naming the first line, and writes only the first", async () => {
      const store = await c.fresh();
      const devices: StoredDevice[] = Array.from({ length: 40 }, (_, i) => ({ device_id: `d-${i}`, name: `first ${i}` }));
      devices.push({ device_id: "d-3", name: "second" }, { device_id: "d-39", name: "second" });
      const { duplicates } = await importDevices(store, devices);
      assert.deepEqual(duplicates, [
        { index: 40, firstLine: 5 },
        { index: 41, firstLine: 41 },
      ]);
      assert.equal((await store.fleet.getDevice("d-3"))!.device.name, "first 3");
      assert.equal((await store.fleet.counts()).devices, 40);
    });

    it("a re-import replaces the whole document, reports devices it did not contain, and prunes them when asked", async () => {
      const store = await c.fresh();
      await importDevices(store, [{ device_id: "a", name: "A", country: "DE" }, { device_id: "b" }, { device_id: "c" }]);
      await store.fleet.upsertCredentials([{ device_id: "c", service: "ssh", username: "root", secret: { kind: "locked" } }]);
      const kept = await importDevices(store, [{ device_id: "a", name: "A2" }]);
      assert.equal(kept.summary.missingCount, 2);
      assert.deepEqual(kept.summary.missingSample, ["b", "c"]);
      assert.deepEqual((await store.fleet.getDevice("a"))!.device, { device_id: "a", name: "A2" }, "an emptied cell clears the stored value");
      const pruned = await importDevices(store, [{ device_id: "a" }], { prune: true });
      assert.equal(pruned.summary.missingCount, 2);
      assert.deepEqual(await store.fleet.counts(), { devices: 1, models: 0, credentials: 0, certificates: 0 });
    });

    it("an import only runs inside a transaction", async () => {
      const store = await c.fresh();
      await assert.rejects(() => store.fleet.startImport("x"), { code: "internal" });
    });

    it("pages every device exactly once in a stable order, and leaves out an import's devices when asked", async () => {
      const store = await c.fresh();
      await importDevices(store, Array.from({ length: 23 }, (_, i) => ({ device_id: `old-${i}` })));
      const { summary } = await importDevices(store, Array.from({ length: 11 }, (_, i) => ({ device_id: `new-${i}` })));
      const seen: string[] = [];
      const sizes: number[] = [];
      for await (const page of store.fleet.devicePages(5)) {
        sizes.push(page.length);
        for (const d of page) seen.push(d.device.device_id);
      }
      assert.equal(seen.length, 34);
      assert.equal(new Set(seen).size, 34);
      assert.ok(sizes.every((n) => n <= 5));
      const again: string[] = [];
      for await (const page of store.fleet.devicePages(7)) for (const d of page) again.push(d.device.device_id);
      assert.deepEqual(again, seen, "the order is stable whatever the page size");
      const rest: string[] = [];
      for await (const page of store.fleet.devicePages(4, { exceptImport: summary.importId })) for (const d of page) rest.push(d.device.device_id);
      assert.deepEqual(rest.sort(), Array.from({ length: 23 }, (_, i) => `old-${i}`).sort());
    });

    it("joins certificates and device credentials; model credentials apply by model; upserts are idempotent", async () => {
      const store = await c.fresh();
      await store.fleet.upsertCertificates([cert("fp1"), cert("fp2")]);
      await store.fleet.upsertCertificates([cert("fp1")]);
      await importDevices(store, [{ device_id: "x", cert_fingerprint: "fp1", model_id: "m" }, { device_id: "y", model_id: "m" }]);
      const creds = [
        { device_id: "x", service: "ssh" as const, username: "root", secret: { kind: "crypt" as const, hash: "$6$a$b" } },
        { model_id: "m", service: "telnet" as const, username: "admin", secret: { kind: "keyed" as const, digest: "lwk1$abc" } },
        { model_id: "m", firmware_version: "2.0", service: "telnet" as const, username: "admin", secret: { kind: "locked" as const } },
      ];
      await store.fleet.upsertCredentials(creds);
      await store.fleet.upsertCredentials([{ ...creds[0]!, secret: { kind: "crypt", hash: "$6$c$d" } }]);
      assert.equal((await store.fleet.counts()).credentials, 3, "same device, service and user: updated, not added");
      const x = (await store.fleet.getDevice("x"))!;
      assert.equal(x.certificate?.fingerprint, "fp1");
      assert.deepEqual(x.credentials, [{ device_id: "x", service: "ssh", username: "root", secret: { kind: "crypt", hash: "$6$c$d" } }]);
      assert.deepEqual((await store.fleet.getDevice("y"))!.credentials, []);
      assert.deepEqual(await store.fleet.modelCredentials(), creds.slice(1));
      const [wx, wy] = await store.fleet.withRelations([{ device_id: "x", cert_fingerprint: "fp2" }, { device_id: "y" }]);
      assert.equal(wx!.certificate?.fingerprint, "fp2");
      assert.equal(wx!.credentials.length, 1);
      assert.equal(wy!.certificate, undefined);
      assert.equal(await store.fleet.getDevice("nope"), undefined);
      assert.deepEqual((await store.fleet.counts()).certificates, 2);
    });

    it("answers which devices exist and their models, for any number of ids", async () => {
      const store = await c.fresh();
      await importDevices(store, Array.from({ length: 2500 }, (_, i) => ({ device_id: `d${i}`, ...(i % 3 ? { model_id: `m${i % 3}` } : {}) })));
      const ids = Array.from({ length: 3000 }, (_, i) => `d${i}`);
      const known = await store.fleet.knownDevices(ids);
      assert.equal(known.size, 2500);
      assert.ok(!known.has("d2500"));
      const models = await store.fleet.deviceModels(ids);
      assert.equal(models.size, 2500 - Math.ceil(2500 / 3));
      assert.equal(models.get("d4"), "m1");
      assert.equal(models.get("d3"), undefined);
    });

    it("keeps models by id, ordered, replacing on upsert", async () => {
      const store = await c.fresh();
      await store.fleet.upsertModels([{ model_id: "zz", name: "Z" }, { model_id: "aa", name: "A" }]);
      await store.fleet.upsertModels([{ model_id: "zz", name: "Z2", ota_capable: true }]);
      assert.deepEqual(await store.fleet.models(), [{ model_id: "aa", name: "A" }, { model_id: "zz", name: "Z2", ota_capable: true }]);
    });

    it("stores Unicode and large documents exactly", async () => {
      const store = await c.fresh();
      const name = "Zähler ☃ 電力計 🚀 e\u0301 \u202e ' \" \\ ; -- DROP TABLE devices;";
      const big = "x".repeat(2_000_000);
      await importDevices(store, [{ device_id: "ünï-☃-🚀", name, groups: ["groß", "東京"] }, { device_id: "big", name: big }]);
      assert.deepEqual((await store.fleet.getDevice("ünï-☃-🚀"))!.device, { device_id: "ünï-☃-🚀", name, groups: ["groß", "東京"] });
      assert.equal((await store.fleet.getDevice("big"))!.device.name, big);
      assert.deepEqual([...(await store.fleet.knownDevices(["ünï-☃-🚀", "unï-☃-🚀"]))], ["ünï-☃-🚀"]);
    });
  });
}
