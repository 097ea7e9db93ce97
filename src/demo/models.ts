/**
 * The demo fleet's product lines: what each model is, and how its devices are typically configured in the field,
 * including the mistakes real fleets show (defects are rates per device). All names are fictitious.
 */
import type { DeviceModel } from "../core/fleet.ts";

export type KeyKind = "rsa-2048" | "rsa-1024" | "roca" | "p-256" | "ed25519";

export interface DemoModel {
  model: DeviceModel;
  share: number;
  prefix: string;
  tac: string;
  countries: string[];
  deployed: [number, number];
  firmware: [string, number][];
  services: string[];
  extraServices: [string, number][];
  cert?: { key: KeyKind; ca: "modern" | "legacy" | "self"; lifeYears: number; roca?: number };
  sim: { noLock: number; unknownLock: number; smsOn: number; publicIp: number; roamAny: number; allowed: "home" | "region" };
}

export const DEMO_MODELS: DemoModel[] = [
  {
    model: {
      model_id: "acme-sm-g2", manufacturer: "Acme Metering", name: "SmartMeter G2 (NB-IoT)", hardware_version: "B", ota_capable: false,
      support_end: "2031-12-31", vuln_disclosure_url: "https://acme-metering.example/security", data_only: true, constrained: true,
      crypto: { key_exchange: ["ecdh-p256"], signature: ["rsa-2048"], agile: false, secure_element: false }, latest_firmware: "2.4.1", latest_firmware_date: "2024-03-15", field_life_years: 15,
    },
    share: 16, prefix: "SMG2", tac: "35881207", countries: ["DE", "NL", "GB"], deployed: [2019, 2022],
    firmware: [["2.4.1", 60], ["2.3.0", 30], ["2.1.7", 10]], services: ["coaps:5684"], extraServices: [],
    cert: { key: "rsa-2048", ca: "modern", lifeYears: 8 }, sim: { noLock: 0.03, unknownLock: 0.02, smsOn: 0.08, publicIp: 0, roamAny: 0, allowed: "home" },
  },
  {
    model: {
      model_id: "acme-sm-g3", manufacturer: "Acme Metering", name: "SmartMeter G3 (LTE-M)", hardware_version: "A", ota_capable: true,
      support_end: "2038-06-30", vuln_disclosure_url: "https://acme-metering.example/security", data_only: true, constrained: true,
      crypto: { key_exchange: ["ecdh-p256", "ml-kem-768"], signature: ["ecdsa-p256"], agile: true, secure_element: true }, latest_firmware: "3.4.2", latest_firmware_date: "2026-10-01", field_life_years: 15,
    },
    share: 20, prefix: "SMG3", tac: "35953711", countries: ["DE", "NL", "GB"], deployed: [2023, 2026],
    firmware: [["3.4.2", 70], ["3.4.0", 20], ["3.2.9", 10]], services: ["coaps:5684"], extraServices: [],
    cert: { key: "p-256", ca: "modern", lifeYears: 10 }, sim: { noLock: 0.01, unknownLock: 0, smsOn: 0.02, publicIp: 0, roamAny: 0, allowed: "home" },
  },
  {
    model: {
      model_id: "nw-gw-100", manufacturer: "Northwind Industrial", name: "Industrial Gateway GW-100", ota_capable: true, support_end: "2029-12-31",
      vuln_disclosure_url: "https://northwind.example/psirt", data_only: true,
      crypto: { key_exchange: ["ecdh-p256", "rsa-2048"], signature: ["rsa-2048"], agile: false }, latest_firmware: "5.2.0", latest_firmware_date: "2025-09-01", field_life_years: 12,
    },
    share: 12, prefix: "GW100", tac: "86744804", countries: ["DE", "PL", "CZ", "AT"], deployed: [2021, 2025],
    firmware: [["5.2.0", 50], ["5.1.3", 35], ["4.8.2", 15]], services: ["ssh:22", "https:443"], extraServices: [["telnet:23", 0.08], ["http:80", 0.2], ["mqtt:1883", 0.1]],
    cert: { key: "rsa-2048", ca: "modern", lifeYears: 5 }, sim: { noLock: 0.06, unknownLock: 0.03, smsOn: 0.1, publicIp: 0.05, roamAny: 0.02, allowed: "region" },
  },
  {
    model: {
      model_id: "nw-gw-50", manufacturer: "Northwind Industrial", name: "Gateway GW-50 (legacy)", ota_capable: true, support_end: "2024-06-30",
      vuln_disclosure_url: "https://northwind.example/psirt", data_only: false,
      crypto: { key_exchange: ["dh-1024"], signature: ["rsa-1024"], agile: false }, latest_firmware: "3.9.7", latest_firmware_date: "2023-11-20", field_life_years: 12,
    },
    share: 6, prefix: "GW50", tac: "86106703", countries: ["DE", "PL"], deployed: [2016, 2020],
    firmware: [["3.9.7", 80], ["3.8.1", 20]], services: ["telnet:23", "http:80"], extraServices: [["snmp:161", 0.5], ["tftp:69", 0.05]],
    sim: { noLock: 0.2, unknownLock: 0.1, smsOn: 0, publicIp: 0.1, roamAny: 0.05, allowed: "region" },
  },
  {
    model: {
      model_id: "helio-t1", manufacturer: "Helio Tracking", name: "Asset Tracker T1", ota_capable: true, data_only: true, constrained: true,
      crypto: { key_exchange: ["ecdh-p256"], signature: ["rsa-2048"], agile: false, secure_element: true }, latest_firmware: "1.12.0", latest_firmware_date: "2025-04-02", field_life_years: 8,
    },
    share: 10, prefix: "HT1", tac: "35407115", countries: ["DE", "FR", "ES", "IT", "NL", "PL"], deployed: [2020, 2023],
    firmware: [["1.12.0", 55], ["1.11.4", 35], ["1.9.0", 10]], services: [], extraServices: [],
    cert: { key: "rsa-2048", ca: "modern", lifeYears: 6, roca: 0.6 }, sim: { noLock: 0.15, unknownLock: 0.05, smsOn: 0.05, publicIp: 0, roamAny: 0.4, allowed: "region" },
  },
  {
    model: {
      model_id: "helio-t2", manufacturer: "Helio Tracking", name: "Asset Tracker T2", ota_capable: true, support_end: "2033-12-31",
      vuln_disclosure_url: "https://helio-tracking.example/.well-known/security.txt", data_only: true, constrained: true,
      crypto: { key_exchange: ["x25519"], signature: ["ecdsa-p256"], agile: true, secure_element: true }, latest_firmware: "2.3.1", latest_firmware_date: "2026-06-20", field_life_years: 8,
    },
    share: 10, prefix: "HT2", tac: "35407116", countries: ["DE", "FR", "ES", "IT", "NL", "PL"], deployed: [2024, 2026],
    firmware: [["2.3.1", 75], ["2.2.0", 25]], services: [], extraServices: [],
    cert: { key: "p-256", ca: "modern", lifeYears: 5 }, sim: { noLock: 0.02, unknownLock: 0, smsOn: 0.01, publicIp: 0, roamAny: 0.03, allowed: "region" },
  },
  {
    model: {
      model_id: "volta-c7", manufacturer: "Volta Charging", name: "EV Charger C7", ota_capable: true, support_end: "2030-06-30",
      vuln_disclosure_url: "https://volta-charging.example/security", data_only: false,
      crypto: { key_exchange: ["ecdh-p256"], signature: ["rsa-2048"], agile: false }, latest_firmware: "4.0.3", latest_firmware_date: "2026-02-11", field_life_years: 10,
    },
    share: 10, prefix: "EVC7", tac: "35274311", countries: ["DE", "FR", "NL", "GB"], deployed: [2021, 2025],
    firmware: [["4.0.3", 45], ["3.9.8", 40], ["3.5.0", 15]], services: ["https:443"], extraServices: [["http:80", 0.3], ["upnp:1900", 0.05]],
    cert: { key: "rsa-2048", ca: "modern", lifeYears: 4 }, sim: { noLock: 0.05, unknownLock: 0.02, smsOn: 0, publicIp: 0.25, roamAny: 0, allowed: "home" },
  },
  {
    model: {
      model_id: "lumen-s4", manufacturer: "Lumen City Systems", name: "Streetlight Controller S4", ota_capable: false, support_end: "2030-12-31",
      data_only: true, constrained: true, crypto: { key_exchange: ["dh-1024"], signature: ["rsa-1024"], agile: false }, field_life_years: 20,
    },
    share: 9, prefix: "SL4", tac: "86952003", countries: ["ES", "IT"], deployed: [2018, 2021],
    firmware: [["1.4.2", 100]], services: ["coap:5683"], extraServices: [],
    cert: { key: "rsa-1024", ca: "legacy", lifeYears: 20 }, sim: { noLock: 0.1, unknownLock: 0.3, smsOn: 0.3, publicIp: 0, roamAny: 0, allowed: "home" },
  },
  {
    model: {
      model_id: "eyeris-cam-2", manufacturer: "Eyeris Vision", name: "Outdoor Camera 2 (LTE)", ota_capable: true, support_end: "2027-03-31",
      vuln_disclosure_url: "https://eyeris.example/security", data_only: true,
      crypto: { key_exchange: ["x25519"], signature: ["ed25519"], agile: false }, latest_firmware: "6.1.0", latest_firmware_date: "2025-12-01", field_life_years: 7,
    },
    share: 7, prefix: "CAM2", tac: "86730602", countries: ["GB"], deployed: [2022, 2025],
    firmware: [["6.1.0", 40], ["6.0.2", 45], ["5.8.0", 15]], services: ["rtsp:554", "https:443"], extraServices: [["telnet:23", 0.05], ["http:80", 0.4]],
    cert: { key: "ed25519", ca: "self", lifeYears: 10 }, sim: { noLock: 0.04, unknownLock: 0, smsOn: 0.04, publicIp: 0.08, roamAny: 0, allowed: "home" },
  },
];

export const NEIGHBOURS: Record<string, string[]> = {
  DE: ["AT", "NL", "PL", "CZ", "FR"], NL: ["DE", "BE"], GB: ["IE"], PL: ["DE", "CZ"], CZ: ["DE", "AT"], AT: ["DE", "CZ"],
  FR: ["BE", "DE", "ES"], ES: ["FR", "PT"], IT: ["FR", "AT"],
};

export const MCC: Record<string, string> = { DE: "262", NL: "204", GB: "234", PL: "260", CZ: "230", AT: "232", FR: "208", ES: "214", IT: "222" };
