/**
 * What the engine knows about each device beyond its traffic: the inventory (model, SIM settings, bound IMEI,
 * allowed countries) and reference tables (MCC → country, TAC → device class). Kept in columns like all other
 * per-device state; sets that many devices share (allowed countries) are stored once and referenced by number.
 */
import type { Device, DeviceModel } from "../core/fleet.ts";
import type { FlowContext } from "../flows/classify.ts";
import type { Watchlist } from "../intel/watchlist.ts";
import type { Columns } from "./columns.ts";
import type { DeviceIndex } from "./device-index.ts";

export type TacClass = "module" | "handset";

export interface ReferenceData {
  /** MCC → ISO 3166-1 alpha-2 country. */
  mccCountry: ReadonlyMap<number, string>;
  /** TAC (first 8 IMEI digits) → class. */
  tacClass: ReadonlyMap<number, TacClass>;
  /** Declared flows, destination classification and the flow ledger, for the data-flow detectors. */
  flows?: FlowContext;
  /** Indicators imported with `intel import`, for watchlist-hit. */
  watchlist?: Watchlist;
}

export const EMPTY_REFERENCE: ReferenceData = { mccCountry: new Map(), tacClass: new Map() };

export interface FleetView {
  name(device: number): string;
  /** 1-based model number, 0 when unknown. */
  model(device: number): number;
  modelName(model: number): string | undefined;
  modelCount(): number;
  inInventory(device: number): boolean;
  /** Declared data-only: its model uses no voice/SMS, or its SIM has SMS disabled. */
  dataOnly(device: number): boolean;
  /** The IMEI the inventory binds to the device's SIM (its 14-digit body, see imeiBody), NaN when none. */
  declaredImei(device: number): number;
  /** Countries the SIM may attach in; undefined when not declared or unrestricted. */
  allowedCountries(device: number): readonly string[] | undefined;
  countryOfMcc(mcc: number): string | undefined;
  /** Event time (ms) of the device's first record, 0 before it has any. */
  firstSeen(device: number): number;
  tacClass(imei: number): TacClass | undefined;
  /** The reference data the engine was given (flow declarations, watchlists …). */
  reference(): ReferenceData;
}

/** An IMEI's first 14 digits (TAC + serial) as a number: the check digit and IMEISV version digits vary. */
export function imeiBody(imei: string): number {
  return Number(imei.replace(/\D/g, "").slice(0, 14));
}

/** The type allocation code: the first 8 of an IMEI body's 14 digits. */
export function tacOf(body: number): number {
  return Math.floor(body / 1e6);
}

const IN_INVENTORY = 1;
const DATA_ONLY = 2;

export class Fleet implements FleetView {
  private readonly modelCol;
  private readonly flags;
  private readonly imei;
  private readonly allowed;
  /** First record's time in whole seconds (0 = none yet). */
  readonly first;
  private readonly models: string[] = [];
  private readonly modelNums = new Map<string, number>();
  private readonly allowedSets: string[][] = [];
  private readonly allowedKeys = new Map<string, number>();

  constructor(
    private readonly index: DeviceIndex,
    columns: Columns,
    private readonly ref: ReferenceData = EMPTY_REFERENCE,
  ) {
    this.modelCol = columns.u16("fleet.model");
    this.flags = columns.u8("fleet.flags");
    this.imei = columns.f64("fleet.imei", 1, NaN);
    this.allowed = columns.u16("fleet.allowed");
    this.first = columns.u32("fleet.first");
  }

  /** Records what the inventory says about a device (already created in the index). */
  setDevice(device: number, d: Device, model: DeviceModel | undefined): void {
    if (d.model_id !== undefined) this.modelCol.a[device] = this.modelNumber(d.model_id);
    let f = IN_INVENTORY;
    if (model?.data_only === true || d.sim_sms_enabled === false) f |= DATA_ONLY;
    this.flags.a[device] = f;
    if (d.imei !== undefined) this.imei.a[device] = imeiBody(d.imei);
    const countries = d.sim_allowed_countries;
    if (countries && countries.length > 0 && !countries.includes("*")) {
      const key = [...countries].sort().join(",");
      let n = this.allowedKeys.get(key);
      if (n === undefined) {
        this.allowedSets.push([...countries].sort());
        n = this.allowedSets.length;
        this.allowedKeys.set(key, n);
      }
      this.allowed.a[device] = n;
    }
  }

  modelNumber(modelId: string): number {
    let n = this.modelNums.get(modelId);
    if (n === undefined) {
      this.models.push(modelId);
      n = this.models.length;
      this.modelNums.set(modelId, n);
    }
    return n;
  }

  name(device: number): string {
    return this.index.name(device);
  }
  model(device: number): number {
    return this.modelCol.a[device]!;
  }
  modelName(model: number): string | undefined {
    return model > 0 ? this.models[model - 1] : undefined;
  }
  modelCount(): number {
    return this.models.length;
  }
  inInventory(device: number): boolean {
    return (this.flags.a[device]! & IN_INVENTORY) !== 0;
  }
  dataOnly(device: number): boolean {
    return (this.flags.a[device]! & DATA_ONLY) !== 0;
  }
  declaredImei(device: number): number {
    return this.imei.a[device]!;
  }
  allowedCountries(device: number): readonly string[] | undefined {
    const n = this.allowed.a[device]!;
    return n === 0 ? undefined : this.allowedSets[n - 1];
  }
  firstSeen(device: number): number {
    return this.first.a[device]! * 1000;
  }
  countryOfMcc(mcc: number): string | undefined {
    return this.ref.mccCountry.get(mcc);
  }
  tacClass(imei: number): TacClass | undefined {
    return imei > 0 ? this.ref.tacClass.get(tacOf(imei)) : undefined;
  }
  reference(): ReferenceData {
    return this.ref;
  }

  /** Model and allowed-country tables, for snapshots (the columns hold the per-device numbers). */
  save(): unknown {
    return { models: this.models, allowed: this.allowedSets };
  }

  load(state: unknown): void {
    const s = state as { models: string[]; allowed: string[][] };
    for (const m of s.models) this.modelNumber(m);
    for (const a of s.allowed) {
      this.allowedSets.push(a);
      this.allowedKeys.set(a.join(","), this.allowedSets.length);
    }
  }
}
