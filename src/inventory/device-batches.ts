/**
 * The CPU side of a device import: reads the inventory, maps and validates records, loads
 * certificates and serialises each device for the store. It touches no database, so it can run in a worker thread
 * while the main thread writes (see import-worker.ts). Batches keep their issues in line order.
 */
import { dirname } from "node:path";
import { deviceCrossCheck, DeviceFieldsSchema } from "../core/fleet.ts";
import type { CertificateInfo } from "../core/fleet.ts";
import type { InputIssue } from "../core/input-issue.ts";
import { type SerializedDevice, serializeDevice, type StoredDevice } from "../store/store.ts";
import type { CertificateLoader } from "./certificate-loader.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";
import type { Mapping } from "./mapping.ts";
import { validateTable } from "./validate-table.ts";

export interface DeviceBatch {
  rows: SerializedDevice[];
  certificates: CertificateInfo[];
  /** Problems found while producing this batch, in line order; `kind` says what a rejection counts against. */
  issues: (InputIssue & { kind: "record" | "certificate" })[];
  bytesRead: number;
  totalBytes: number;
}

export interface DeviceBatchOptions {
  file: string;
  mapping?: Mapping;
  certificates?: CertificateLoader;
  /** Stop after the first rejected record. */
  strict?: boolean;
  encoding?: TextEncodingName;
}

const ID_FIELDS: ReadonlySet<string> = new Set(["device_id"]);

export async function* deviceBatches(opts: DeviceBatchOptions): AsyncGenerator<DeviceBatch> {
  const baseDir = dirname(opts.file);
  let pending: DeviceBatch["issues"] = [];
  let stop = false;
  let bytesRead = 0;
  let totalBytes = 0;
  const onIssue = (i: InputIssue) => {
    if (stop) return;
    pending.push({ ...i, kind: "record" });
    if (opts.strict && (i.level === "error" || i.code === "field-invalid")) stop = true;
  };
  const validateOpts = {
    onIssue,
    onBytes: (read: number, total: number) => {
      bytesRead = read;
      totalBytes = total;
    },
    // Only device_id identifies a device: any other invalid field is left out and the device kept (and audited).
    rejectOn: ID_FIELDS,
    ...(opts.encoding ? { encoding: opts.encoding } : {}),
    ...(opts.mapping ? { mapping: opts.mapping } : {}),
  };
  for await (const valid of validateTable(opts.file, DeviceFieldsSchema, deviceCrossCheck, validateOpts)) {
    const rows: SerializedDevice[] = [];
    for (const { line, value, dropped } of valid) {
      if (stop) break;
      const device = value as StoredDevice;
      if (dropped) device.invalid_fields = dropped.map((d) => ({ field: d.field, reason: d.reason, line }));
      if (device.cert_file !== undefined && opts.certificates) {
        const r = opts.certificates.load(device.cert_file, baseDir);
        if ("error" in r) {
          // The device itself is valid: it is imported without a certificate.
          pending.push({ file: opts.file, line, column: "cert_file", reason: r.error, level: "error", kind: "certificate" });
          if (opts.strict) stop = true;
        } else {
          for (const w of r.warnings ?? []) pending.push({ file: opts.file, line, column: "cert_file", reason: w, level: "warning", kind: "certificate" });
          device.cert_fingerprint = r.fingerprint;
        }
      }
      if (stop) break;
      // Duplicate ids are caught by the store, which knows what this import already wrote (no id map in memory).
      rows.push(serializeDevice(device, line));
    }
    const issues = pending.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    pending = [];
    yield { rows, certificates: opts.certificates?.drain() ?? [], issues, bytesRead, totalBytes };
    if (stop) return;
  }
  if (pending.length) yield { rows: [], certificates: [], issues: pending, bytesRead, totalBytes };
}
