/**
 * What the audit could not look at: devices without a firmware inventory, a certificate, credentials or (once detection
 * ran) traffic. A rule that has nothing to read raises no finding, so these counts go beside the findings in every
 * report: a missing finding is not a clean result.
 */
import type { Coverage } from "../store/lists.ts";

export interface CoverageGapLine {
  key: "no_firmware_inventory" | "no_certificate" | "no_credentials" | "no_traffic";
  label: string;
  /** Devices with this gap; null when it was not measured (no detection has run, so traffic is unknown). */
  devices: number | null;
  /** What cannot be checked for them, and how to close the gap. */
  meaning: string;
}

/** The report's form of a Coverage: traffic counts only once detection has seen any device. */
export interface ScanCoverage extends Coverage {
  traffic_measured: boolean;
}

export function scanCoverage(c: Coverage): ScanCoverage {
  return { ...c, traffic_measured: c.no_traffic < c.devices };
}

export function coverageLines(c: ScanCoverage): CoverageGapLine[] {
  return [
    { key: "no_firmware_inventory", label: "no firmware inventory", devices: c.no_firmware_inventory, meaning: "their components were not checked for known vulnerabilities (longwatch import sbom)" },
    { key: "no_certificate", label: "no certificate", devices: c.no_certificate, meaning: "their identity (key strength, expiry, sharing) was not checked (cert_file in the inventory)" },
    { key: "no_credentials", label: "no credentials", devices: c.no_credentials, meaning: "default and weak passwords were not checked (--credentials)" },
    { key: "no_traffic", label: "no traffic", devices: c.traffic_measured ? c.no_traffic : null, meaning: c.traffic_measured ? "detection has seen nothing from them (longwatch detect)" : "not measured: no detection has run on this store (longwatch detect)" },
  ];
}
