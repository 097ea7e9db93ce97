/**
 * Imports a device inventory (CSV, JSON or NDJSON, canonical columns or through a mapping) into the store, atomically.
 * Rejected records are reported (file:line, column, reason) and the rest is imported; devices the store knew but this
 * file does not contain are reported, or deleted with `prune`.
 */
import { dirname } from "node:path";
import { type Device, deviceCrossCheck, DeviceFieldsSchema } from "../core/fleet.ts";
import type { InputIssue } from "../core/input-issue.ts";
import type { ImportSummary, Store, StoredDevice } from "../store/store.ts";
import type { CertificateLoader } from "./certificate-loader.ts";
import type { Mapping } from "./mapping.ts";
import { validateTable } from "./validate-table.ts";

export interface DeviceImportOptions {
  store: Store;
  file: string;
  mapping?: Mapping;
  /** Stop at the first rejected record and leave the store unchanged. */
  strict?: boolean;
  prune?: boolean;
  certificates?: CertificateLoader;
  onIssue(issue: InputIssue): void;
  onProgress?(bytesRead: number, totalBytes: number): void;
}

export interface DeviceImportResult {
  file: string;
  imported: number;
  rejected: number;
  warnings: number;
  certificates: { loaded: number; rejected: number };
  missing?: ImportSummary;
  /** Set when `strict` stopped the import: nothing was written. */
  stopped?: InputIssue;
}

class StrictStop extends Error {
  constructor(readonly issue: InputIssue) {
    super(issue.reason);
  }
}

export async function importDevices(opts: DeviceImportOptions): Promise<DeviceImportResult> {
  const result: DeviceImportResult = { file: opts.file, imported: 0, rejected: 0, warnings: 0, certificates: { loaded: 0, rejected: 0 } };
  const firstLine = new Map<string, number>();
  const baseDir = dirname(opts.file);
  const report = (issue: InputIssue, what: "record" | "certificate" = "record") => {
    if (issue.level === "warning") result.warnings++;
    else if (what === "record") result.rejected++;
    else result.certificates.rejected++;
    opts.onIssue(issue);
    if (opts.strict && issue.level === "error") throw new StrictStop(issue);
  };
  const session = await opts.store.fleet.beginDeviceImport(opts.file);
  try {
    const check = (d: Device, line: number) => {
      const seen = firstLine.get(d.device_id);
      if (seen !== undefined) return { column: "device_id", reason: `"${d.device_id}" already appears on line ${seen}` };
      firstLine.set(d.device_id, line);
      return undefined;
    };
    const validateOpts = { onIssue: report, check, ...(opts.mapping ? { mapping: opts.mapping } : {}), ...(opts.onProgress ? { onBytes: opts.onProgress } : {}) };
    for await (const batch of validateTable(opts.file, DeviceFieldsSchema, deviceCrossCheck, validateOpts)) {
      const devices: StoredDevice[] = [];
      for (const { line, value } of batch) {
        devices.push(attachCertificate(value, line, baseDir, opts, result, report));
      }
      if (opts.certificates) await opts.store.fleet.upsertCertificates(opts.certificates.drain());
      await session.upsert(devices);
      result.imported += devices.length;
    }
    result.missing = await session.commit(opts.prune ? { prune: true } : {});
    return result;
  } catch (e) {
    await session.abort();
    if (e instanceof StrictStop) {
      result.stopped = e.issue;
      result.imported = 0;
      return result;
    }
    throw e;
  }
}

/** Loads the device's certificate when it names one; a certificate that can't be read is reported, the device kept. */
function attachCertificate(
  device: Device,
  line: number,
  baseDir: string,
  opts: DeviceImportOptions,
  result: DeviceImportResult,
  report: (i: InputIssue, what: "certificate") => void,
): StoredDevice {
  if (device.cert_file === undefined || !opts.certificates) return device;
  const r = opts.certificates.load(device.cert_file, baseDir);
  if ("error" in r) {
    // The device itself is valid: it is imported without a certificate.
    report({ file: opts.file, line, column: "cert_file", reason: r.error, level: "error" }, "certificate");
    return device;
  }
  result.certificates.loaded++;
  return { ...device, cert_fingerprint: r.fingerprint };
}
