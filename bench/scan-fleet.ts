/**
 * A lean generator for benchmark fleets: the demo's product lines and defect rates, but streamed to disk so that a
 * million devices and a hundred thousand certificate files are quick to produce and never sit in memory.
 */
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { stringify } from "yaml";
import { DAY_MS, formatIsoDate } from "../src/core/dates.ts";
import { withCheckDigit } from "../src/core/coerce.ts";
import { int, pick, rng, weighted } from "../src/core/random.ts";
import { csvDataLine as csvLine } from "../src/formats/csv.ts";
import { ed25519Key, p256Key, rsaModulus } from "../src/demo/keys.ts";
import { DEMO_MODELS } from "../src/demo/models.ts";
import { buildCertificate, rsaSpki, spkiOf, toPem } from "../src/demo/x509-build.ts";

const COLUMNS = ["device_id", "model_id", "firmware_version", "imei", "iccid", "mqtt_client_id", "deployed_at", "country", "cert_file", "open_services", "sim_imei_lock", "sim_sms_enabled", "sim_public_ip", "sim_allowed_countries"];

export async function generateBenchFleet(o: { dir: string; devices: number; certs: number; seed: number }): Promise<void> {
  const r = rng(o.seed);
  mkdirSync(join(o.dir, "certs"), { recursive: true });
  writeFileSync(join(o.dir, "models.yaml"), stringify(DEMO_MODELS.map((m) => m.model)));
  const ca = ed25519Key(r);
  const caSubject = { cn: "Bench Device CA", o: "Longwatch Bench" };
  const caPem = toPem(buildCertificate({ subject: caSubject, issuer: caSubject, serial: 1n, notBefore: Date.UTC(2018, 0, 1), notAfter: Date.UTC(2043, 0, 1), spki: spkiOf(ca), ca: true, signWith: { key: ca, alg: "ed25519" } }));
  // Each certified device has its own key; one in fifty is a legacy RSA-1024 key.
  const deviceKey = () => (r() < 0.02 ? rsaSpki(rsaModulus(r, 1024)) : r() < 0.5 ? spkiOf(p256Key(r)) : rsaSpki(rsaModulus(r, 2048)));
  const out = createWriteStream(join(o.dir, "devices.csv"));
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, "drain");
  };
  await write(`${csvLine(COLUMNS)}\n`);
  const certEvery = o.certs > 0 ? o.devices / o.certs : Infinity;
  let nextCert = 0;
  let buf = "";
  const buckets = new Set<string>();
  const now = Date.UTC(2026, 10, 25);
  for (let i = 0; i < o.devices; i++) {
    const dm = weighted(r, DEMO_MODELS.map((m) => [m, m.share] as const));
    const id = `${dm.prefix}-${String(i).padStart(7, "0")}`;
    const country = pick(r, dm.countries);
    const deployed = Date.UTC(int(r, dm.deployed[0], dm.deployed[1]), int(r, 0, 11), int(r, 1, 28));
    let certFile = "";
    if (i >= nextCert && nextCert < o.devices) {
      nextCert += certEvery;
      const bucket = String(Math.floor(i / 10000)).padStart(3, "0");
      if (!buckets.has(bucket)) {
        mkdirSync(join(o.dir, "certs", bucket), { recursive: true });
        buckets.add(bucket);
      }
      certFile = `certs/${bucket}/${id}.pem`;
      const roll = r();
      const notBefore = deployed - 7 * DAY_MS;
      const notAfter = roll < 0.01 ? now - int(r, 5, 400) * DAY_MS : roll < 0.03 ? now + int(r, 1, 29) * DAY_MS : deployed + 8 * 365 * DAY_MS;
      const der = buildCertificate({ subject: { cn: id, o: dm.model.manufacturer! }, issuer: caSubject, serial: BigInt(i + 10), notBefore, notAfter, spki: deviceKey(), signWith: { key: ca, alg: "ed25519" } });
      writeFileSync(join(o.dir, certFile), toPem(der) + caPem);
    }
    const services = [...dm.services, ...dm.extraServices.filter(([, p]) => r() < p).map(([s]) => s)];
    const s = dm.sim;
    buf += `${csvLine([
      id, dm.model.model_id, weighted(r, dm.firmware), withCheckDigit(`${dm.tac}${String(i).padStart(6, "0").slice(-6)}`), `8949${String(i).padStart(15, "0")}`,
      r() < 0.0005 ? "shared-client" : id.toLowerCase(), formatIsoDate(deployed), country, certFile, services.join(";"),
      r() < s.unknownLock ? "" : String(r() >= s.noLock), String(dm.model.data_only ? r() < s.smsOn : true), String(r() < s.publicIp), r() < s.roamAny ? "*" : country,
    ])}\n`;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = "";
    }
  }
  await write(buf);
  out.end();
  await once(out, "finish");
}
