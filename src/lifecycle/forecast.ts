/**
 * The fleet's security over the coming years: for each year, how many devices are still in the field, in support,
 * hold a valid identity, use cryptography that is still allowed (or can be migrated), and so can still be kept secure.
 * One pass over the fleet; each device's dates are worked out once and then checked against every year.
 */
import type { StoredDevice, StoreTx } from "../store/store.ts";
import { formatIsoDate } from "../core/dates.ts";
import type { CertificateInfo, DeviceModel } from "../core/fleet.ts";
import type { CryptoPolicy } from "./policy.ts";
import { type DeviceLifecycle, LifecycleAssessor } from "./secure-until.ts";

export interface ForecastRow {
  year: number;
  /** The date the year is evaluated at: 1 January, or today for the current year. */
  date: string;
  devices: number;
  retired: number;
  in_field: number;
  /** Of the devices in the field: */
  in_support: number;
  support_unknown: number;
  valid_identity: number;
  identity_unknown: number;
  crypto_allowed: number;
  /** Using disallowed cryptography, but able to replace it in the field (OTA or crypto-agile). */
  crypto_migratable: number;
  crypto_unknown: number;
  /** In the field and known to fail none of support, identity and crypto. */
  securable: number;
  /** In the field and known to fail at least one. */
  at_risk: number;
}

export interface Forecast {
  as_of: string;
  until: number;
  policy_version: string;
  devices: number;
  devices_without_retirement: number;
  rows: ForecastRow[];
  /** The same rows per device model (`byModel`), so a page can say which models make up the devices at risk. */
  by_model?: ModelForecast[];
}

export interface ModelForecast {
  /** null: devices without a model. */
  model_id: string | null;
  rows: ForecastRow[];
}

type Tri = 1 | 0 | -1; // yes, unknown, no

/** How far ahead the forecast a scan stores reaches: the CLI's default (2045) and the dashboard's (15 years) fit in it. */
export const SCAN_FORECAST_YEARS = 20;

export interface ForecastOptions {
  now: number;
  until: number;
  policy: CryptoPolicy;
  /** Also count per device model (`by_model`). */
  byModel?: boolean;
}

/** The counters of a forecast row (all but its year and date). */
const COUNTED = ["devices", "retired", "in_field", "in_support", "support_unknown", "valid_identity", "identity_unknown", "crypto_allowed", "crypto_migratable", "crypto_unknown", "securable", "at_risk"] as const satisfies readonly (keyof ForecastRow)[];

/**
 * The forecast counted device by device, for a caller that already has each device in hand (the audit engine tallies
 * it during a scan's one pass over the fleet, so the dashboard can show it without reading every device again).
 */
export class ForecastTally {
  private readonly dates: number[];
  private readonly rows: ForecastRow[];
  private readonly assessor: LifecycleAssessor;
  private readonly models = new Map<string | null, ForecastRow[]>();
  private devices = 0;
  private noRetirement = 0;

  /** `assessor`: one shared with the lifecycle rules (same policy), so a device they assessed is not assessed again. */
  constructor(private readonly opts: ForecastOptions, assessor?: LifecycleAssessor) {
    const start = new Date(opts.now).getUTCFullYear();
    if (opts.until < start) throw new RangeError(`--until ${opts.until} is before the current year ${start}`);
    this.assessor = assessor ?? new LifecycleAssessor(opts.policy);
    this.dates = [opts.now];
    for (let y = start + 1; y <= opts.until; y++) this.dates.push(Date.UTC(y, 0, 1));
    this.rows = this.emptyRows();
  }

  private emptyRows(): ForecastRow[] {
    const start = new Date(this.opts.now).getUTCFullYear();
    const zero = Object.fromEntries(COUNTED.map((k) => [k, 0])) as Record<(typeof COUNTED)[number], number>;
    return this.dates.map((d, i) => ({ year: start + i, date: i === 0 ? new Date(d).toISOString().slice(0, 10) : formatIsoDate(d), ...zero }));
  }

  add(device: StoredDevice, model: DeviceModel | undefined, certificate: CertificateInfo | undefined): void {
    const l = this.assessor.assess({ device, ...(model ? { model } : {}), ...(certificate ? { certificate } : {}) });
    this.devices++;
    if (l.retirement === undefined) this.noRetirement++;
    // By model, each device counts in its model's rows only; the fleet's rows are their sum (result()).
    let rows = this.rows;
    if (this.opts.byModel) {
      const key = device.model_id ?? null;
      const mine = this.models.get(key);
      if (mine) rows = mine;
      else this.models.set(key, (rows = this.emptyRows()));
    }
    for (let i = 0; i < this.dates.length; i++) count(rows[i]!, l, this.dates[i]!);
  }

  result(): Forecast {
    const fleet = this.opts.byModel ? this.emptyRows() : this.rows.map((r) => ({ ...r }));
    if (this.opts.byModel) {
      for (const rows of this.models.values()) {
        rows.forEach((r, i) => {
          for (const k of COUNTED) fleet[i]![k] += r[k];
        });
      }
    }
    return { as_of: new Date(this.opts.now).toISOString().slice(0, 10), until: this.opts.until, policy_version: this.opts.policy.version, devices: this.devices, devices_without_retirement: this.noRetirement, rows: fleet,
      ...(this.opts.byModel ? { by_model: [...this.models].map(([model_id, rows]) => ({ model_id, rows: rows.map((r) => ({ ...r })) })).sort((a, b) => ((a.model_id ?? "") < (b.model_id ?? "") ? -1 : 1)) } : {}) };
  }
}

/** One pass over the stored fleet. */
export async function computeForecast(store: StoreTx, opts: ForecastOptions): Promise<Forecast> {
  const tally = new ForecastTally(opts);
  const models = new Map<string, DeviceModel>((await store.fleet.models()).map((m) => [m.model_id, m]));
  for await (const page of store.fleet.devicePages()) {
    for (const fd of page) tally.add(fd.device, fd.device.model_id !== undefined ? models.get(fd.device.model_id) : undefined, fd.certificate);
  }
  return tally.result();
}

/**
 * The stored forecast (tallied by the latest scan) cut to `until`, when it answers the question: made in the current
 * year, reaching `until`, with this policy. Otherwise undefined, and the caller computes it.
 */
export function fromStored(stored: Omit<Forecast, "by_model"> & { by_model?: unknown }, opts: { now: number; until: number; policyVersion: string }): Forecast | undefined {
  const year = new Date(opts.now).getUTCFullYear();
  if (stored.rows[0]?.year !== year || stored.until < opts.until || stored.policy_version !== opts.policyVersion) return undefined;
  const { by_model: _byModel, ...rest } = stored;
  return { ...rest, until: opts.until, rows: stored.rows.filter((r) => r.year <= opts.until) };
}

function count(row: ForecastRow, l: DeviceLifecycle, at: number): void {
  row.devices++;
  if (l.retirement !== undefined && l.retirement <= at) {
    row.retired++;
    return;
  }
  row.in_field++;
  const support: Tri = l.support_end === undefined ? 0 : l.support_end > at ? 1 : -1;
  const c = l.certificate;
  const identity: Tri = !c ? 0 : c.not_after > at && (c.issuer_not_after === undefined || c.issuer_not_after > at) ? 1 : -1;
  const knownCrypto = l.crypto.algorithms.length > 0;
  const disallowed = l.crypto.disallowed_from !== undefined && l.crypto.disallowed_from <= at;
  const crypto: Tri = disallowed ? (l.migratable === true ? 1 : -1) : knownCrypto ? 1 : 0;
  if (support === 1) row.in_support++;
  else if (support === 0) row.support_unknown++;
  if (identity === 1) row.valid_identity++;
  else if (identity === 0) row.identity_unknown++;
  if (crypto === 1) {
    if (disallowed) row.crypto_migratable++;
    else row.crypto_allowed++;
  } else if (crypto === 0) row.crypto_unknown++;
  if (support === -1 || identity === -1 || crypto === -1) row.at_risk++;
  else row.securable++;
}
