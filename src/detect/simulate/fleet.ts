/**
 * A simulated fleet, derived from device numbers rather than stored: device n's identifiers, model, address and
 * position are functions of n and the seed, so a million devices cost no memory and the same seed gives the same
 * fleet. Three models with different rhythms: smart meters, asset trackers and gateways.
 */
import { luhnValid } from "../../core/coerce.ts";

export interface SimModel {
  id: string;
  name: string;
  /** Minutes between reports (scaled by the run's interval factor). */
  everyMinutes: number;
  /** Median bytes sent per report. */
  bytes: number;
  cloudName: string;
  cloudIps: readonly string[];
  port: number;
  dataOnly: boolean;
}

export const SIM_MODELS: readonly SimModel[] = [
  { id: "meter-m1", name: "Smart meter M1", everyMinutes: 15, bytes: 2400, cloudName: "ingest.meters.example.com", cloudIps: ["52.28.10.1", "52.28.10.2"], port: 8883, dataOnly: true },
  { id: "tracker-t2", name: "Asset tracker T2", everyMinutes: 30, bytes: 900, cloudName: "api.tracking.example.net", cloudIps: ["34.120.5.9"], port: 443, dataOnly: true },
  { id: "gateway-g3", name: "Building gateway G3", everyMinutes: 5, bytes: 9000, cloudName: "gw.buildings.example.org", cloudIps: ["13.37.0.10", "13.37.0.11", "13.37.0.12"], port: 8883, dataOnly: false },
];

/** Type allocation codes used for simulated IMEIs: a cellular IoT module and a phone (from data/tac-classes.csv). */
export const MODULE_TAC = "35006300";
export const HANDSET_TAC = "01194800";

export class SimFleet {
  constructor(
    readonly size: number,
    readonly seed: number,
  ) {}

  model(n: number): SimModel {
    const r = n % 20;
    return SIM_MODELS[r < 12 ? 0 : r < 17 ? 1 : 2]!;
  }

  id(n: number): string {
    return `dev-${String(n).padStart(7, "0")}`;
  }

  client(n: number): string {
    return `mqtt-${String(n).padStart(7, "0")}`;
  }

  iccid(n: number): string {
    return `894910${String(this.seed % 1000).padStart(3, "0")}${String(n).padStart(10, "0")}`;
  }

  imsi(n: number): string {
    return `26201${String(n).padStart(10, "0")}`;
  }

  imei(n: number, tac = MODULE_TAC): string {
    return withCheckDigit(`${tac}${String(n % 1_000_000).padStart(6, "0")}`);
  }

  /** Addresses in 10.0.0.0/8 (a private APN's range), unique up to 16 million devices. */
  ip(n: number): string {
    const v = n + 256;
    return `10.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }

  /** Position of the device (Germany), fixed: these devices are installed, not carried. */
  position(n: number): [number, number] {
    const h = Math.imul(n + this.seed, 0x9e3779b1) >>> 0;
    return [round2(47.5 + ((h & 0xffff) / 0xffff) * 6.5), round2(6.5 + ((h >>> 16) / 0xffff) * 8)];
  }

  /** Seconds into its reporting interval at which a device reports (spreads the fleet over time). */
  phase(n: number, intervalSeconds: number): number {
    return (Math.imul(n ^ this.seed, 0x85ebca6b) >>> 0) % intervalSeconds;
  }
}

function withCheckDigit(body14: string): string {
  for (let d = 0; d < 10; d++) if (luhnValid(body14 + d)) return body14 + d;
  return `${body14}0`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
