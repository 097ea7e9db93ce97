/** A small seeded fleet with every kind of what-if node: two CAs, shared and model-wide credentials, an SBOM, flows, SIMs. */
import type { StoredComponent } from "../../src/core/component.ts";
import { type CertificateInfo, type Credential, type DeviceModel } from "../../src/core/fleet.ts";
import { FlowDeclarationSchema } from "../../src/core/flows.ts";
import type { FlowObservation } from "../../src/store/flows.ts";
import { serializeDevice, type StoreTx, type StoredDevice } from "../../src/store/store.ts";
import { importRows } from "../helpers/store.ts";

export const CA_X = "ca".repeat(32);
const fp = (i: number) => i.toString(16).padStart(64, "0");

export const MODELS: DeviceModel[] = [
  {
    model_id: "tracker",
    name: "Tracker X1",
    ota_capable: true,
    crypto: { agile: true },
    flows: FlowDeclarationSchema.parse({ personal_data: ["location"], destinations: [{ host: "ota.acme.example", purpose: "update", data: ["none"] }, { host: "mqtt.acme.example", purpose: "telemetry" }] }),
  },
  { model_id: "meter", name: "Meter M2", ota_capable: false, crypto: { agile: false } },
  { model_id: "gateway", name: "Gateway G3" },
];

const cert = (i: number, issuer: string, issuer_fingerprint?: string): CertificateInfo => ({
  fingerprint: fp(i), subject: `CN=dev-${i}`, issuer, serial: "01", not_before: "2024-01-01T00:00:00Z", not_after: "2030-01-01T00:00:00Z",
  key_type: "ec", key_bits: 256, sig_alg: "ecdsa-with-SHA256", sig_hash: "sha256", self_issued: false, self_signed: false, is_ca: false, roca: false, chain_length: 2,
  ...(issuer_fingerprint ? { issuer_fingerprint } : {}),
});

export function fleetDevices(): { devices: StoredDevice[]; certs: CertificateInfo[] } {
  const devices: StoredDevice[] = [];
  const certs: CertificateInfo[] = [];
  for (let i = 0; i < 10; i++) {
    certs.push(cert(i + 1, "CN=Acme Device CA,O=Acme", CA_X));
    devices.push({ device_id: `trk-${i}`, model_id: "tracker", firmware_version: i < 8 ? "2.0" : "2.1", country: "DE", groups: i < 5 ? ["berlin", "pilot"] : ["munich"], cert_fingerprint: fp(i + 1), mqtt_client_id: `trk-${i}`, iccid: `894900000000000000${i}`, imsi: `26201000000000${i}`, sim_apn: "iot.acme" });
  }
  for (let i = 0; i < 6; i++) {
    certs.push(cert(100 + i, "CN=Legacy CA"));
    devices.push({ device_id: `mtr-${i}`, model_id: "meter", firmware_version: "1.0", country: "FR", cert_fingerprint: fp(100 + i), imsi: `20801000000000${i}`, sim_apn: "m2m.orange" });
  }
  for (let i = 0; i < 4; i++) devices.push({ device_id: `gw-${i}`, model_id: "gateway", country: i < 2 ? "DE" : "AT", mqtt_client_id: `gw-${i}` });
  return { devices, certs };
}

export const CREDENTIALS: Credential[] = [
  { device_id: "trk-0", service: "ssh", username: "admin", secret: { kind: "keyed", digest: "lwk1$shared" } },
  { device_id: "trk-1", service: "ssh", username: "admin", secret: { kind: "keyed", digest: "lwk1$shared" } },
  { device_id: "gw-0", service: "ssh", username: "admin", secret: { kind: "keyed", digest: "lwk1$shared" } },
  { device_id: "trk-2", service: "ssh", username: "admin", secret: { kind: "keyed", digest: "lwk1$own" } },
  { model_id: "meter", service: "telnet", username: "root", secret: { kind: "crypt", hash: "$1$abc$default" } },
];

/**
 * Credentials the seeded fleet lacks: a firmware-scoped secret also held by a device of another model and by one the
 * model row already covers, a holder and a model that are not in the fleet, and an image no device runs.
 */
export const MORE_CREDENTIALS: Credential[] = [
  { model_id: "tracker", firmware_version: "2.1", service: "http", username: "admin", secret: { kind: "crypt", hash: "$1$x$fw" } },
  { device_id: "gw-1", service: "http", username: "admin", secret: { kind: "crypt", hash: "$1$x$fw" } },
  { device_id: "trk-9", service: "http", username: "admin", secret: { kind: "crypt", hash: "$1$x$fw" } },
  { device_id: "ghost-1", service: "ssh", username: "admin", secret: { kind: "keyed", digest: "lwk1$shared" } },
  { device_id: "ghost-2", service: "ftp", username: "x", secret: { kind: "keyed", digest: "lwk1$ghost" } },
  { model_id: "nosuch", service: "telnet", username: "root", secret: { kind: "crypt", hash: "$1$abc$default" } },
  { model_id: "tracker", firmware_version: "9.9", service: "snmp", username: "public", secret: { kind: "crypt", hash: "$1$s$nmp" } },
  { model_id: "gateway", service: "ssh", username: "admin", secret: { kind: "keyed", digest: "lwk1$own" } },
];

const comp = (name: string, version: string, purl?: string): StoredComponent => ({ name, version, ...(purl ? { purl } : {}), keys: [] });

export async function seedFleet(store: StoreTx): Promise<void> {
  const { devices, certs } = fleetDevices();
  await store.fleet.upsertModels(MODELS);
  await store.fleet.upsertCertificates(certs);
  await importRows(store, devices.map(serializeDevice), { source: "test" });
  await store.fleet.upsertCredentials(CREDENTIALS);
  const sbom = (fw: string) => ({ model_id: "tracker", firmware_version: fw, format: "cyclonedx" as const, source: "t.json", imported_at: "2026-11-25T00:00:00Z", component_count: 2 });
  await store.vulns.replaceSbom(sbom("2.0"), [comp("openssl", "3.0.11", "pkg:deb/debian/openssl@3.0.11?arch=arm64"), comp("swupdate", "2023.05")], []);
  await store.vulns.replaceSbom(sbom("2.1"), [comp("openssl", "3.0.13", "pkg:deb/debian/openssl@3.0.13"), comp("swupdate", "2023.05")], []);
  const o: Omit<FlowObservation, "device_id" | "destination"> = { model_id: "tracker", day: "2026-11-24", address: "198.51.100.7", port: 443, protocol: "tcp", direction: "from-device", name_source: "record", local: false, party: "first", categories: [], declared: true, flows: 1, bytes_out: 1, bytes_in: 1, first_seen: "2026-11-24T01:00:00Z", last_seen: "2026-11-24T01:00:00Z" };
  await store.flows.record([0, 1, 2, 3, 4, 5].map((i) => ({ ...o, device_id: `trk-${i}`, destination: "ota.acme.example" })));
  await store.flows.record([{ ...o, device_id: "gw-0", destination: "mqtt.acme.example", port: 8883 }]);
}
