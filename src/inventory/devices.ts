/**
 * Imports a device inventory (CSV, JSON or NDJSON, canonical columns or through a mapping) into the store, atomically.
 * Rejected records are reported (file:line, column, reason) and the rest is imported; devices the store knew but this
 * file does not contain are reported, or deleted with `prune`.
 *
 * Large files are read and validated in a worker thread while this thread writes to the store, so an import uses
 * both cores of a small machine; small files are handled inline.
 */
import { statSync } from "node:fs";
import type { InputIssue } from "../core/input-issue.ts";
import type { FleetDevice, ImportSummary, StoredDevice, StoreTx } from "../store/store.ts";
import { parseCertificateFile } from "../formats/x509.ts";
import { certificateLoader } from "./certificate-loader.ts";
import { type DeviceBatch, deviceBatches } from "./device-batches.ts";
import { workerDeviceBatches } from "./import-worker-client.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";
import type { Mapping } from "./mapping.ts";

export interface DeviceImportOptions {
  /** The store, or a transaction to import in (the import is then a nested transaction of it). */
  store: StoreTx;
  file: string;
  mapping?: Mapping;
  /** Stop at the first rejected record and leave the store unchanged. */
  strict?: boolean;
  /** The file's text encoding (formats/text-decode.ts); detected when not given. */
  encoding?: TextEncodingName;
  prune?: boolean;
  /** Load the certificates the inventory names (cert_file); by default only from inside the inventory's folder. */
  certificates?: { allowOutside: boolean };
  /** Use a worker thread: true, false, or by size (default: files over 16 MiB). */
  parallel?: boolean;
  onIssue(issue: InputIssue): void;
  onProgress?(bytesRead: number, totalBytes: number): void;
  /**
   * Receives each batch of devices as written (duplicates left out), with stored credentials and certificates, and the
   * import's transaction: a scan audits them (writing its findings in that transaction) while the next batch is read.
   */
  onImported?(devices: FleetDevice[], tx: StoreTx): Promise<void>;
}

export interface DeviceImportResult {
  file: string;
  imported: number;
  rejected: number;
  warnings: number;
  /** Invalid fields left out of devices that were imported without them (each also a warning). */
  fieldsDropped: number;
  certificates: { loaded: number; rejected: number };
  missing?: ImportSummary;
  /** Set when `strict` stopped the import: nothing was written. */
  stopped?: InputIssue;
}

const PARALLEL_FROM_BYTES = 16 << 20;

export async function importDevices(opts: DeviceImportOptions): Promise<DeviceImportResult> {
  const result: DeviceImportResult = { file: opts.file, imported: 0, rejected: 0, warnings: 0, fieldsDropped: 0, certificates: { loaded: 0, rejected: 0 } };
  const parallel = opts.parallel ?? statSync(opts.file).size > PARALLEL_FROM_BYTES;
  const batches: AsyncIterable<DeviceBatch> = parallel
    ? workerDeviceBatches({ file: opts.file, ...(opts.mapping ? { mapping: { file: opts.mapping.file, targets: [...opts.mapping.targets] } } : {}), ...(opts.strict ? { strict: true } : {}), ...(opts.encoding ? { encoding: opts.encoding } : {}), ...(opts.certificates ? { certificates: opts.certificates } : {}) })
    : deviceBatches({ file: opts.file, ...(opts.mapping ? { mapping: opts.mapping } : {}), ...(opts.certificates ? { certificates: certificateLoader(parseCertificateFile, opts.certificates) } : {}), ...(opts.strict ? { strict: true } : {}), ...(opts.encoding ? { encoding: opts.encoding } : {}) });
  // A strict stop rolls the whole import back (and whatever onImported wrote in it) and returns, so it is thrown
  // out of the transaction as this value and caught below.
  const stop = { issue: undefined as InputIssue | undefined };
  try {
    return await opts.store.transaction(async (tx) => {
      const run = await tx.fleet.startImport(opts.file);
      for await (const b of batches) {
        // Write first: the store reports duplicate ids. A strict stop below still rolls everything back.
        if (b.certificates.length) await tx.fleet.upsertCertificates(b.certificates, run);
        const duplicates = await tx.fleet.upsertDevices(run, b.rows);
        const skipped = new Set(duplicates.map((d) => d.index));
        const issues: (InputIssue & { kind: "record" | "certificate" })[] = [
          ...b.issues,
          ...duplicates.map((dup) => {
            const row = b.rows[dup.index]!;
            const reason = `"${row.device_id}" already appears${dup.firstLine !== undefined ? ` on line ${dup.firstLine}` : ""}`;
            return { file: opts.file, line: row.line!, column: "device_id", reason, level: "error" as const, kind: "record" as const };
          }),
        ].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
        for (const { kind, ...issue } of issues) {
          if (issue.code === "field-invalid") result.fieldsDropped++;
          if (issue.level === "warning") result.warnings++;
          else if (kind === "record") result.rejected++;
          else result.certificates.rejected++;
          opts.onIssue(issue);
          if (opts.strict && (issue.level === "error" || issue.code === "field-invalid")) {
            stop.issue = issue;
            throw stop;
          }
        }
        if (opts.onImported) {
          const docs: StoredDevice[] = [];
          for (let i = 0; i < b.rows.length; i++) if (!skipped.has(i)) docs.push(JSON.parse(b.rows[i]!.doc) as StoredDevice);
          await opts.onImported(await tx.fleet.withRelations(docs), tx);
        }
        result.imported += b.rows.length - duplicates.length;
        result.certificates.loaded += b.rows.reduce((n, r, i) => n + (r.cert_fingerprint !== null && !skipped.has(i) ? 1 : 0), 0);
        opts.onProgress?.(b.bytesRead, b.totalBytes);
      }
      result.missing = await tx.fleet.finishImport(run, opts.prune ? { prune: true } : {});
      return result;
    });
  } catch (e) {
    if (e === stop && stop.issue) return { ...result, imported: 0, stopped: stop.issue };
    throw e;
  }
}
