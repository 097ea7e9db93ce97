/**
 * Keeping the derived device tables — `device_images` (devices and those with a certificate per model and firmware),
 * `device_cells` (devices and those with an MQTT client id per combination of what whatif/ selects by) and
 * `traffic_devices` (devices with alerts or flow observations) — in step with the devices an import writes or prunes,
 * instead of counting them again over the whole fleet (`countDeviceImages`), which at a million devices held SQLite's
 * write lock for seconds whatever the import's size.
 *
 * An import collects a `DerivedDelta`: each stored device it is about to replace is subtracted (its row as it was),
 * each row it writes is added (as the upsert returned it). `finishImport` adds the
 * delta's non-zero counts to the tables, deleting rows that reach 0. The result equals a full recount; a row that
 * would go negative (tables out of step, e.g. written by hand), or a "missing" count the devices contradict
 * (importMissing), makes it recount instead — a row missing or counted too high that the delta does not make negative
 * goes unnoticed until then, which is why nothing an import decides rests on these tables alone. A full recount is
 * also what the first import, an import writing more than 1/32 of the fleet (RECOUNT_SHARE) and store copy pay,
 * and a prune — it deletes more devices than remain (the import's), which are then what is counted. Migrations fill
 * the tables the same way.
 */

/** A counted table: its key columns (nullable ones compared with IS / IS NOT DISTINCT FROM) and count columns. */
export interface CountTable {
  table: string;
  keys: readonly { name: keyof CellRow & string; nullable: boolean }[];
  counts: readonly [string, string];
}

/**
 * The cells' key: the one list of what device_cells counts by. The SELECT / RETURNING lists below, the recount
 * (list-sql.ts countDeviceImages, COUNT_DEVICE_CELLS) and the delta's keys all come from it; device_images' key is its
 * first two columns.
 */
export const DEVICE_CELLS: CountTable = {
  table: "device_cells",
  keys: [
    { name: "model_id", nullable: true },
    { name: "firmware_version", nullable: false },
    { name: "country", nullable: false },
    { name: "groups", nullable: false },
    { name: "apn", nullable: false },
    { name: "mccmnc", nullable: false },
    { name: "issuer", nullable: true },
    { name: "issuer_fingerprint", nullable: true },
  ],
  counts: ["devices", "mqtt"],
};

export const DEVICE_IMAGES: CountTable = {
  table: "device_images",
  keys: DEVICE_CELLS.keys.slice(0, 2),
  counts: ["devices", "with_cert"],
};

/** DEVICE_CELLS' key columns as a comma-separated list (`d.`: alias), e.g. for a GROUP BY. */
export function cellKeys(d = ""): string {
  return DEVICE_CELLS.keys.map((k) => `${d}${k.name}`).join(", ");
}

/** What the derived tables count of a stored device (its cell's key, MQTT id, certificate) as a SELECT or RETURNING list over `devices`. */
export function cellRowColumns(d = ""): string {
  return `${cellKeys(d)}, ${d}mqtt, CASE WHEN ${d}cert_fingerprint IS NULL THEN 0 ELSE 1 END AS cert`;
}
export const CELL_ROW_COLUMNS = cellRowColumns();

/** One device's values as CELL_ROW_COLUMNS reads them. */
export interface CellRow {
  model_id: string | null;
  firmware_version: string;
  country: string;
  groups: string;
  apn: string;
  mccmnc: string;
  issuer: string | null;
  issuer_fingerprint: string | null;
  mqtt: number | string;
  cert: number | string;
}

/** A change to one row of a counted table: add `counts` to the row with `key` (creating it, deleting it at 0). */
export interface CountChange {
  key: (string | null)[];
  counts: [number, number];
}

/** Adds changes to a counted table; false when the table was not in step with the devices (a row would go wrong). */
export type ApplyCounts = (table: CountTable, changes: readonly CountChange[]) => Promise<boolean>;

/** The change an import (or a certificate stored again) makes to device_images and device_cells, not yet written. */
export class DerivedDelta {
  private readonly cells = new Map<string, { key: (string | null)[]; devices: number; mqtt: number; cert: number }>();

  /** Counts a device row in (+1) or out (-1). */
  add(r: CellRow, sign: 1 | -1): void {
    const key = DEVICE_CELLS.keys.map((k) => r[k.name] as string | null);
    const k = JSON.stringify(key);
    let c = this.cells.get(k);
    if (!c) this.cells.set(k, (c = { key, devices: 0, mqtt: 0, cert: 0 }));
    c.devices += sign;
    c.mqtt += sign * Number(r.mqtt);
    c.cert += sign * Number(r.cert);
  }

  cellChanges(): CountChange[] {
    const out: CountChange[] = [];
    for (const c of this.cells.values()) if (c.devices !== 0 || c.mqtt !== 0) out.push({ key: c.key, counts: [c.devices, c.mqtt] });
    return out;
  }

  imageChanges(): CountChange[] {
    const images = new Map<string, CountChange>();
    for (const c of this.cells.values()) {
      const key = c.key.slice(0, DEVICE_IMAGES.keys.length);
      const k = JSON.stringify(key);
      const i = images.get(k);
      if (i) {
        i.counts[0] += c.devices;
        i.counts[1] += c.cert;
      } else images.set(k, { key, counts: [c.devices, c.cert] });
    }
    return [...images.values()].filter((i) => i.counts[0] !== 0 || i.counts[1] !== 0);
  }

  /** Writes the delta; false when a table was out of step (the caller recounts). */
  async apply(write: ApplyCounts): Promise<boolean> {
    const cells = this.cellChanges();
    const images = this.imageChanges();
    return (cells.length === 0 || (await write(DEVICE_CELLS, cells))) && (images.length === 0 || (await write(DEVICE_IMAGES, images)));
  }
}

/** Whether a row's counts after a change are possible: no negative count, no more MQTT or certified devices than devices. */
export function countsValid(devices: number, other: number): boolean {
  return devices >= 0 && other >= 0 && other <= devices;
}

/** What an import keeps between startImport and finishImport about the derived tables. */
export interface ImportTracking {
  /** Devices in the store when the import started (from device_images). */
  readonly fleet: number;
  /** Devices this import wrote that were not stored before. */
  inserted: number;
  /** The change so far; undefined once the import is recounting instead. */
  delta: DerivedDelta | undefined;
}

/** The part of a DeviceImportRun (fleet.ts) this file reads and writes. */
interface Run {
  readonly written: number;
  derived?: ImportTracking;
}

/** Called by startImport with the fleet's size as device_images counts it. */
export function trackImport(run: Run, fleet: number): void {
  // The first import into an empty store counts everything once.
  run.derived = { fleet, inserted: 0, delta: fleet > 0 ? new DerivedDelta() : undefined };
}

/**
 * An import that writes more than 1/RECOUNT_SHARE of the fleet stops collecting its delta and recounts at the end.
 * Collecting costs about what a recount does per device (reading the stored row, the returned row, the map: bench
 * import-delta, bench/RESULTS.md), so a full re-import pays at most 1/32 of a recount (one batch at 200,000 devices)
 * more than before, and any import up to 1/32 of the fleet (31,250 devices of 1,000,000) reads only its own.
 */
const RECOUNT_SHARE = 32;

/** The import's tracking before it writes `more` devices: its delta, or undefined when it recounts at the end. */
export function importDelta(run: Run, more: number): ImportTracking | undefined {
  const t = run.derived;
  if (!t?.delta) return undefined;
  if ((run.written + more) * RECOUNT_SHARE > t.fleet) {
    t.delta = undefined;
    return undefined;
  }
  return t;
}

export function importTracking(run: Run): ImportTracking | undefined {
  return run.derived;
}

/** How many of the stored devices an import did not write it names (in device_id order). */
export const MISSING_SAMPLE = 20;

/** How finishImport reads the devices for importMissing. */
export interface MissingReads {
  /** COUNT(*) over devices. */
  countDevices(): Promise<number>;
  /** Up to MISSING_SAMPLE stored devices this import did not write, in device_id order. */
  sample(): Promise<string[]>;
}

/**
 * The stored devices an import did not write: how many, and the first MISSING_SAMPLE. Whether there are any decides
 * whether a prune runs and whether a scan audits them (audit/scan.ts), so it never rests on device_images alone,
 * which a hand edit can put out of step without an import noticing (a row not touched, or one counted too high):
 *  - without a delta every device is counted (over the primary key's index);
 *  - with one the sample is always read: it walks the devices this import wrote (at most 1/32 of the fleet) and
 *    stops after MISSING_SAMPLE others. Fewer than MISSING_SAMPLE found is the exact count; a full sample where
 *    device_images says fewer counts the devices. Only a count of MISSING_SAMPLE or more, where the sample agrees
 *    there are that many, comes from device_images (shown, decides nothing more than "some"); a prune then reports
 *    the devices it deleted instead. A count found out of step drops the delta, so finishImport recounts the tables.
 */
export async function importMissing(run: Run, reads: MissingReads): Promise<{ missingCount: number; missingSample: string[] }> {
  const t = run.derived;
  if (!t?.delta) {
    const missingCount = (await reads.countDevices()) - run.written;
    return { missingCount, missingSample: missingCount > 0 ? await reads.sample() : [] };
  }
  const counted = t.fleet + t.inserted - run.written;
  const missingSample = await reads.sample();
  let missingCount = missingSample.length;
  if (missingCount === MISSING_SAMPLE) {
    if (counted >= MISSING_SAMPLE) return { missingCount: counted, missingSample };
    missingCount = (await reads.countDevices()) - run.written;
  }
  if (missingCount !== counted) t.delta = undefined;
  return { missingCount, missingSample };
}

/** The fleet's size as the derived tables count it (a few rows, not the devices). */
export const FLEET_SIZE_SQL = "SELECT COALESCE(SUM(devices), 0) AS n FROM device_images";

/**
 * Adds the devices just written (the one `?`: a JSON array of their ids) that have alerts or flow observations to
 * `traffic_devices` (what a recount would find for them). Sorted, like markTrafficSql; `d` is the ListDialect.
 */
export function markWrittenTrafficSql(d: { jsonElements(column: string): string }): string {
  return `INSERT INTO traffic_devices (device_id) SELECT DISTINCT j.value FROM ${d.jsonElements("?")}
    WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.device_id = j.value) OR EXISTS (SELECT 1 FROM flow_observations f WHERE f.device_id = j.value)
    ORDER BY j.value ON CONFLICT (device_id) DO NOTHING`;
}
