/**
 * `runScan(options) → ScanOutcome`: what `longwatch scan` does, as a library call the CLI and the service share.
 * Imports what it is given (models, credentials, an inventory), audits the whole stored fleet and returns what
 * happened as data; callers render it. Scans of one store take turns (scan-lease.ts), also across processes. The
 * imports, the audit that runs while the inventory streams in, the rest of the fleet and the scan's end are one
 * transaction: a `strict` stop, an error or a crash leaves the store as it was. A `chunked` scan with nothing to
 * import (the service's) writes in short transactions instead (scan-chunked.ts), and only its finish is seen.
 */
import { DeviceFieldsSchema, DeviceSchema } from "../core/fleet.ts";
import { LongwatchError } from "../core/errors.ts";
import type { Finding } from "../core/finding.ts";
import type { InputIssue } from "../core/input-issue.ts";
import { type CredentialImportResult, importCredentials } from "../inventory/credentials.ts";
import { type DeviceImportResult, importDevices } from "../inventory/devices.ts";
import { loadMapping } from "../inventory/mapping.ts";
import { importModels, type ModelImportResult } from "../inventory/models.ts";
import type { TextEncodingName } from "../formats/text-decode.ts";
import type { KeyedDigest } from "../inventory/secrets.ts";
import type { FleetDevice, Store, StoreTx } from "../store/store.ts";
import { loadScanConfig, type ScanConfig } from "./config-file.ts";
import { type AuditOptions, type AuditResult, type AuditSession, beginAudit, runAudit } from "./engine.ts";
import type { Rule } from "./rule.ts";
import { runChunkedAudit } from "./scan-chunked.ts";
import { takeScanLease } from "./scan-lease.ts";

export interface ScanOptions {
  store: Store;
  rules: readonly Rule[];
  /** The date the fleet is audited as of. */
  now: number;
  keyedDigest: KeyedDigest;
  /** Files to import first (all optional: without an inventory, what the store holds is audited). */
  inventory?: string;
  models?: string;
  credentials?: string;
  /** YAML mapping from the inventory's own columns (needs `inventory`). */
  mapping?: string;
  /** YAML rule settings and suppressions. */
  config?: string;
  /** Stop at the first rejected record and change nothing. */
  strict?: boolean;
  /** The inventory's and credentials file's text encoding (detected when not given). */
  encoding?: TextEncodingName;
  /**
   * With nothing to import, read a snapshot and write the findings in short transactions, so other writers (live
   * ingest) need not wait for the whole scan on SQLite; readers see the scan once it has finished. The service sets
   * it. Ignored with files to import (they and the audit stay one transaction) and on a store without snapshots.
   */
  chunked?: boolean;
  /** Delete stored devices the inventory no longer contains. */
  prune?: boolean;
  allowOutsideCerts?: boolean;
  onIssue(issue: InputIssue): void;
  /** Every finding of the scan, with its final status, as it is recorded. */
  onFinding?(finding: Finding): void;
  onProgress?(phase: "import" | "audit", done: number, total: number): void;
}

export type ScanOutcome =
  | { stopped: InputIssue; models?: ModelImportResult }
  | {
      stopped?: undefined;
      models?: ModelImportResult;
      devices?: DeviceImportResult;
      credentials?: CredentialImportResult;
      /** Devices in the store after the import. */
      fleetSize: number;
      audit: AuditResult;
    };

export async function runScan(o: ScanOptions): Promise<ScanOutcome> {
  const config: ScanConfig = o.config ? loadScanConfig(o.config, o.rules) : { settings: new Map(), suppressions: [] };
  if (o.mapping && !o.inventory) throw new LongwatchError("usage", "--mapping needs an inventory file");
  const mapping = o.mapping ? loadMapping(o.mapping, Object.keys(DeviceSchema.shape), DeviceFieldsSchema) : undefined;
  const store = o.store;
  // Credentials first, so that the inventory can be audited while it streams in (whether their devices exist is
  // checked once the inventory is in). Under `strict` they wait until the inventory passed, as a stop must leave them
  // out too; the audit then reads the store instead.
  const streamAudit = !(o.strict && o.credentials);
  const importCreds = (into: StoreTx, deferDeviceCheck: boolean) => importCredentials({ store: into, file: o.credentials!, keyedDigest: o.keyedDigest, onIssue: o.onIssue, deferDeviceCheck, ...(o.encoding ? { encoding: o.encoding } : {}) });
  const auditOptions: AuditOptions = {
    store,
    rules: o.rules,
    now: o.now,
    keyedDigest: o.keyedDigest,
    settings: config.settings,
    extraSuppressions: config.suppressions,
    ...(o.onFinding ? { onFinding: o.onFinding } : {}),
  };
  // What a scan with files does: the imports, the audit and the finish in one transaction.
  const inOneTransaction = () => store.transaction(async (tx): Promise<ScanOutcome> => {
    const models = o.models ? await importModels(tx, o.models, o.onIssue) : undefined;
    const withModels = <T extends object>(x: T): T & { models?: ModelImportResult } => (models ? { ...x, models } : x);
    let credentials = o.credentials && streamAudit ? await importCreds(tx, true) : undefined;
    let audit: AuditSession | undefined;
    const txAudit = { ...auditOptions, store: tx };
    let devices: DeviceImportResult | undefined;
    if (o.inventory) {
      devices = await importDevices({
        store: tx,
        file: o.inventory,
        certificates: { allowOutside: o.allowOutsideCerts === true },
        onIssue: o.onIssue,
        onProgress: (done, total) => o.onProgress?.("import", done, total),
        ...(streamAudit
          ? {
              // The scan belongs to the outer transaction (it outlives the import's nested one).
              onImported: async (batch: FleetDevice[]) => {
                audit ??= await beginAudit(txAudit);
                await audit.devices(batch);
              },
            }
          : {}),
        ...(mapping ? { mapping } : {}),
        ...(o.strict ? { strict: true } : {}),
        ...(o.encoding ? { encoding: o.encoding } : {}),
        ...(o.prune ? { prune: true } : {}),
      });
      if (devices.stopped) return withModels({ stopped: devices.stopped });
      // The stored devices this import did not contain are audited too.
      const missing = devices.missing;
      if (streamAudit && missing && missing.missingCount > 0 && !o.prune) {
        audit ??= await beginAudit(txAudit);
        for await (const page of tx.fleet.devicePages(5000, { exceptImport: missing.importId })) await audit.devices(page);
      }
    }
    if (o.credentials && !credentials) credentials = await importCreds(tx, false); // checks its devices itself
    else await credentials?.checkDevices(tx);
    const fleetSize = (await tx.fleet.counts()).devices;
    if (fleetSize === 0) throw noDevices();
    let result: AuditResult;
    if (audit) result = await audit.finish();
    // Nothing streamed (no inventory given, an empty one, or strict with credentials): audit what the store holds.
    else result = await runAudit({ ...txAudit, onProgress: (done) => o.onProgress?.("audit", done, fleetSize) });
    return withModels({ ...(devices ? { devices } : {}), ...(credentials ? { credentials } : {}), fleetSize, audit: result });
  });
  const lease = await takeScanLease(store);
  try {
    if (o.chunked && !o.inventory && !o.models && !o.credentials && store.canSnapshot) {
      const fleetSize = (await store.fleet.counts()).devices;
      if (fleetSize === 0) throw noDevices();
      const { store: _, ...reading } = auditOptions;
      const audit = await runChunkedAudit(store, lease, { ...reading, onProgress: (done) => o.onProgress?.("audit", done, fleetSize) });
      return { fleetSize: audit.devices, audit };
    }
    return await inOneTransaction();
  } finally {
    // A release that fails (the store went away) must not hide the scan's outcome: the lease lapses by itself.
    await lease.release().catch(() => undefined);
  }
}

function noDevices(): LongwatchError {
  return new LongwatchError("usage", "the store holds no devices: give an inventory file (longwatch scan devices.csv)");
}
