/**
 * Generates the demo fleet: a deterministic synthetic inventory of several thousand cellular IoT devices over the
 * product lines in models.ts, with the defects real fleets show (default and shared passwords, weak or shared
 * certificates, unlocked SIMs, exposed services, stale firmware, ended support …), written as the files a user would
 * export: devices.csv, models.yaml, credentials.csv, certs/*.pem and a config with suppressions.
 */
import type { KeyObject } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { withCheckDigit } from "../core/coerce.ts";
import { addYears, DAY_MS, formatIsoDate } from "../core/dates.ts";
import type { Device } from "../core/fleet.ts";
import { int, pick, rng, type Rng, weighted } from "../core/random.ts";
import { csvDataLine as csvLine } from "../formats/csv.ts";
import { ed25519Key, p256Key, rocaModulus, rsaKey, rsaModulus } from "./keys.ts";
import { DEMO_MODELS, type DemoModel, type KeyKind, MCC, NEIGHBOURS } from "./models.ts";
import { buildCertificate, rsaSpki, spkiOf, toPem } from "./x509-build.ts";

export interface DemoFleetFiles {
  dir: string;
  devices: string;
  models: string;
  credentials: string;
  config: string;
  deviceCount: number;
}

const COLUMNS = [
  "device_id", "name", "serial", "mac", "ip", "model_id", "firmware_version", "imei", "iccid", "imsi", "msisdn", "mqtt_client_id", "deployed_at", "retire_at",
  "country", "groups", "cert_file", "open_services", "sim_imei_lock", "sim_sms_enabled", "sim_public_ip", "sim_allowed_countries", "sim_apn",
] as const;

const CITIES: Record<string, string[]> = {
  DE: ["Berlin", "Hamburg", "Munich", "Cologne", "Leipzig"], NL: ["Utrecht", "Rotterdam", "Eindhoven"], GB: ["Leeds", "Bristol", "Glasgow", "Cardiff"],
  PL: ["Poznan", "Gdansk", "Wroclaw"], CZ: ["Brno", "Ostrava"], AT: ["Graz", "Linz"], FR: ["Lyon", "Lille", "Nantes"], ES: ["Valencia", "Bilbao", "Seville"],
  IT: ["Turin", "Bologna", "Verona"],
};

const digits = (r: Rng, n: number) => Array.from({ length: n }, () => int(r, 0, 9)).join("");

interface Keys {
  caKey: Map<string, KeyObject>;
  caCert: Map<string, string>;
  legacyCa: KeyObject;
  legacyCaPem: string;
}

function makeKeys(r: Rng): Keys {
  const caKey = new Map<string, KeyObject>();
  const caCert = new Map<string, string>();
  for (const m of DEMO_MODELS) {
    const org = m.model.manufacturer!;
    if (caKey.has(org)) continue;
    const key = ed25519Key(r);
    caKey.set(org, key);
    const subject = { cn: `${org} Device CA`, o: org };
    const der = buildCertificate({ subject, issuer: subject, serial: BigInt(int(r, 1, 2 ** 30)), notBefore: Date.UTC(2018, 0, 1), notAfter: Date.UTC(2043, 0, 1), spki: spkiOf(key), ca: true, signWith: { key, alg: "ed25519" } });
    caCert.set(org, toPem(der));
  }
  // The streetlight vendor's old CA: RSA with SHA-1, and it expires long before its 20-year devices are retired.
  const legacyCa = rsaKey(r, 2048);
  const legacySubject = { cn: "Lumen Legacy CA", o: "Lumen City Systems" };
  const legacyCaPem = toPem(buildCertificate({ subject: legacySubject, issuer: legacySubject, serial: 4242n, notBefore: Date.UTC(2017, 5, 1), notAfter: Date.UTC(2032, 5, 1), spki: spkiOf(legacyCa), ca: true, signWith: { key: legacyCa, alg: "sha1WithRSA" } }));
  return { caKey, caCert, legacyCa, legacyCaPem };
}

/** Every device gets its own key pair (shared keys are a defect the demo shows on purpose elsewhere). */
function deviceSpki(r: Rng, kind: KeyKind, roca: boolean): { spki: Buffer; own?: KeyObject } {
  if (roca) return { spki: rsaSpki(rocaModulus(r)) };
  switch (kind) {
    case "rsa-2048":
      return { spki: rsaSpki(rsaModulus(r, 2048)) };
    case "rsa-1024":
      return { spki: rsaSpki(rsaModulus(r, 1024)) };
    case "p-256":
      return { spki: spkiOf(p256Key(r)) };
    default: {
      const own = ed25519Key(r);
      return { spki: spkiOf(own), own };
    }
  }
}

export function generateDemoFleet(opts: { dir: string; devices: number; seed: number; now: number }): DemoFleetFiles {
  const r = rng(opts.seed);
  const { dir, now } = opts;
  rmSync(join(dir, "certs"), { recursive: true, force: true });
  mkdirSync(join(dir, "certs"), { recursive: true });
  const keys = makeKeys(r);
  const totalShare = DEMO_MODELS.reduce((s, m) => s + m.share, 0);
  const rows: Device[] = [];
  const creds: string[][] = [];
  let serial = 1000;
  let goldenWritten = false;

  for (const dm of DEMO_MODELS) {
    const m = dm.model;
    const count = Math.round((opts.devices * dm.share) / totalShare);
    for (let i = 1; i <= count; i++) {
      const id = `${dm.prefix}-${String(i).padStart(6, "0")}`;
      const country = pick(r, dm.countries);
      const city = pick(r, CITIES[country] ?? ["Site"]);
      const deployedMs = Math.min(now - 14 * DAY_MS, Date.UTC(int(r, dm.deployed[0], dm.deployed[1]), int(r, 0, 11), int(r, 1, 28)));
      const d: Device = {
        device_id: id,
        name: `${m.name!.split(" (")[0]} ${city} ${String(i).padStart(4, "0")}`,
        serial: `${dm.prefix}${String(2000000 + i * 7 + int(r, 0, 6))}`,
        mac: `02:${[0, 0, 0, 0, 0].map(() => int(r, 0, 255).toString(16).padStart(2, "0")).join(":")}`,
        ip: `10.${DEMO_MODELS.indexOf(dm) + 10}.${Math.floor(i / 250)}.${(i % 250) + 2}`,
        model_id: m.model_id,
        firmware_version: weighted(r, dm.firmware),
        deployed_at: formatIsoDate(deployedMs),
        country,
        groups: [country.toLowerCase(), city.toLowerCase(), r() < 0.1 ? "pilot" : "production"],
      };
      const imeiBody = dm.tac + digits(r, 6);
      d.imei = withCheckDigit(imeiBody);
      const iccidBody = `89${country === "GB" ? "44" : "49"}${digits(r, 15)}`;
      d.iccid = withCheckDigit(iccidBody);
      d.imsi = `${MCC[country] ?? "262"}${r() < 0.5 ? "01" : "02"}${digits(r, 10)}`;
      if (!m.data_only) d.msisdn = `+${country === "GB" ? "44" : "49"}15${digits(r, 8)}`;
      d.mqtt_client_id = id.toLowerCase();
      if (r() < 0.3) d.retire_at = formatIsoDate(addYears(deployedMs, (m.field_life_years ?? 10) + int(r, -1, 2)));
      const services = [...dm.services, ...dm.extraServices.filter(([, p]) => r() < p).map(([s]) => s)];
      if (services.length) d.open_services = services;

      const s = dm.sim;
      if (r() >= s.unknownLock) d.sim_imei_lock = r() >= s.noLock;
      d.sim_sms_enabled = m.data_only ? r() < s.smsOn : true;
      d.sim_public_ip = r() < s.publicIp;
      d.sim_allowed_countries = r() < s.roamAny ? ["*"] : s.allowed === "home" ? [country] : [country, ...(NEIGHBOURS[country] ?? [])];
      d.sim_apn = d.sim_public_ip ? "internet" : `iot.${m.manufacturer!.split(" ")[0]!.toLowerCase()}.example`;

      if (dm.cert) {
        const golden = m.model_id === "helio-t2" && i <= 6;
        if (golden) {
          // A cloned provisioning image: six trackers carry the very same certificate.
          d.cert_file = "certs/helio-t2-golden.pem";
          if (goldenWritten) {
            rows.push(d);
            continue;
          }
          goldenWritten = true;
        } else d.cert_file = `certs/${id}.pem`;
        const roca = dm.cert.roca !== undefined && r() < dm.cert.roca;
        const { spki, own } = deviceSpki(r, dm.cert.key, roca);
        let notBefore = deployedMs - 7 * DAY_MS;
        let notAfter = addYears(notBefore, dm.cert.lifeYears);
        const roll = r();
        if (roll < 0.01) notAfter = now - int(r, 5, 400) * DAY_MS; // expired and never renewed
        else if (roll < 0.03) notAfter = now + int(r, 1, 29) * DAY_MS; // renewal due this month
        else if (roll < 0.033) notBefore = now + int(r, 30, 300) * DAY_MS; // device clock or provisioning error
        const org = m.manufacturer!;
        const subject = { cn: id, o: org };
        let pem: string;
        if (dm.cert.ca === "self") {
          pem = toPem(buildCertificate({ subject, issuer: subject, serial: BigInt(serial++), notBefore, notAfter, spki, signWith: { key: own!, alg: "ed25519" } }));
        } else if (dm.cert.ca === "legacy") {
          pem = toPem(buildCertificate({ subject, issuer: { cn: "Lumen Legacy CA", o: org }, serial: BigInt(serial++), notBefore, notAfter, spki, signWith: { key: keys.legacyCa, alg: "sha1WithRSA" } })) + keys.legacyCaPem;
        } else {
          pem = toPem(buildCertificate({ subject, issuer: { cn: `${org} Device CA`, o: org }, serial: BigInt(serial++), notBefore, notAfter, spki, signWith: { key: keys.caKey.get(org)!, alg: "ed25519" } })) + keys.caCert.get(org)!;
        }
        writeFileSync(join(dir, d.cert_file), pem);
      }
      rows.push(d);
      addCredentials(r, dm, d, creds);
    }
  }
  injectIdentityClones(r, rows);

  const devicesFile = join(dir, "devices.csv");
  writeFileSync(devicesFile, [csvLine([...COLUMNS]), ...rows.map((d) => csvLine(COLUMNS.map((c) => cell((d as Record<string, unknown>)[c]))))].join("\n") + "\n");
  const modelsFile = join(dir, "models.yaml");
  writeFileSync(modelsFile, `# Device models of the Longwatch demo fleet (fictitious vendors).\n${stringify(DEMO_MODELS.map((m) => m.model))}`);
  const credentialsFile = join(dir, "credentials.csv");
  writeFileSync(credentialsFile, [csvLine(["device_id", "model_id", "firmware_version", "service", "username", "password", "password_hash"]), ...modelCredentials(), ...creds.map(csvLine)].join("\n") + "\n");
  const configFile = join(dir, "longwatch.yaml");
  const chargers = rows.filter((d) => d.model_id === "volta-c7" && d.sim_public_ip).slice(0, 2);
  writeFileSync(
    configFile,
    stringify({
      rules: { "cert-expiring": { params: { days: 30 } }, "stale-firmware": { params: { grace_days: 90 } } },
      suppressions: chargers.map((c) => ({ rule: "sim-public-ip", device_id: c.device_id, reason: "public IP needed for the roaming operator's OCPP back end; inbound traffic filtered by the operator (ticket NET-214)", expires: formatIsoDate(addYears(now, 1)) })),
    }).replace(/^/, "# Rule settings and suppressions for the demo fleet.\n"),
  );
  return { dir, devices: devicesFile, models: modelsFile, credentials: credentialsFile, config: configFile, deviceCount: rows.length };
}

function cell(v: unknown): unknown {
  return typeof v === "boolean" ? (v ? "true" : "false") : v;
}

/** Credentials declared once for a whole model: the classic shipped-with-the-firmware defaults. */
function modelCredentials(): string[] {
  return [
    csvLine(["", "nw-gw-50", "", "telnet", "admin", "admin", ""]),
    csvLine(["", "nw-gw-50", "3.8.1", "http", "root", "", "lwzDvE6vmYhdM"]),
    csvLine(["", "eyeris-cam-2", "", "telnet", "root", "", "$1$lwdemo01$BseQnYE6BP//n87ko5.Iy/"]),
    csvLine(["", "lumen-s4", "", "mqtt", "lumen", "", "$6$lwdemo0123456789$MsXs.iLQGrY5K3xkPP0KJX2Ed5m3RGivBXalb0EDfV4EH10m7EwoHCkZaNlj2qD09tCALXC1YQH7rxySNUFgd1"]),
  ];
}

/** Per-device accounts: mostly unique passwords, with the shortcuts people take at scale. */
function addCredentials(r: Rng, dm: DemoModel, d: Device, out: string[][]): void {
  const unique = () => `${digits(r, 4)}-${Math.floor(r() * 2 ** 32).toString(36)}-${Math.floor(r() * 2 ** 32).toString(36)}`;
  switch (dm.model.model_id) {
    case "volta-c7":
      // The installer used one web-admin password for most chargers.
      out.push([d.device_id, "", "", "http", "admin", r() < 0.7 ? "Volta2019!" : unique(), ""]);
      break;
    case "nw-gw-100": {
      const roll = r();
      out.push([d.device_id, "", "", "ssh", "admin", roll < 0.02 ? "admin" : roll < 0.025 ? "<empty>" : unique(), ""]);
      break;
    }
    case "acme-sm-g3":
      out.push([d.device_id, "", "", "ssh", "maint", unique(), ""]);
      break;
    default:
  }
}

/** A few identity clones that real fleets end up with: copied IMEIs, re-used SIM records and MQTT client ids. */
function injectIdentityClones(r: Rng, rows: Device[]): void {
  const withSim = rows.filter((d) => d.imei !== undefined);
  for (let k = 0; k < 3; k++) pick(r, withSim).imei = pick(r, withSim).imei!;
  for (let k = 0; k < 2; k++) pick(r, withSim).iccid = pick(r, withSim).iccid!;
  const gateways = rows.filter((d) => d.model_id === "nw-gw-100");
  for (let k = 0; k < 4 && k < gateways.length; k++) gateways[int(r, 0, gateways.length - 1)]!.mqtt_client_id = "gw-fieldtest";
}
