/**
 * Port: observed data flows per device × destination × day (from detection runs), the watchlists imported with
 * `intel import`, and saved privacy reports (so the next one can say what changed). `devicesTalkingTo` answers "which
 * devices were seen talking to this endpoint" — what `whatif compromise endpoint:HOST` needs.
 */
import type { WatchEntry } from "../intel/watchlist.ts";

export interface FlowObservation {
  device_id: string;
  model_id?: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** DNS name, or the address when no name was known. */
  destination: string;
  address: string;
  port?: number;
  protocol?: string;
  direction: "from-device" | "to-device";
  name_source: "record" | "dns-log" | "address";
  local: boolean;
  party: string;
  owner?: string;
  country?: string;
  purpose?: string;
  categories: string[];
  declared: boolean;
  mud_allowed?: boolean;
  flows: number;
  bytes_out: number;
  bytes_in: number;
  first_seen: string;
  last_seen: string;
}

/** One destination of a model on one day, over all its devices. */
export interface DestinationDay {
  day: string;
  destination: string;
  port?: number;
  protocol?: string;
  party: string;
  owner?: string;
  country?: string;
  purpose?: string;
  categories: string[];
  declared: boolean;
  local: boolean;
  devices: number;
  flows: number;
  bytes_out: number;
  bytes_in: number;
}

export interface EndpointContact {
  device_id: string;
  model_id?: string;
  destination: string;
  address: string;
  first_seen: string;
  last_seen: string;
  flows: number;
  bytes_out: number;
  bytes_in: number;
}

/**
 * An input file whose flows were counted, identified by its first bytes (so a copy elsewhere is the same input, a
 * rotated log with the same name is not), with the last line counted: a later run over the same file — again, or after
 * it grew — counts only the lines after it, so volumes never double.
 */
export interface FlowInput {
  /** sha256 (hex) of the file's first `head_len` bytes. */
  head_sha256: string;
  head_len: number;
  path: string;
  /** Lines 1..lines were counted. */
  lines: number;
  updated_at: string;
}

export interface StoredPrivacyReport {
  id: number;
  model_id: string;
  created_at: string;
  doc: unknown;
}

export interface FlowRepository {
  /** Adds the counts of a run (rows with the same device, day, destination, address, port, protocol and direction add up). */
  record(rows: readonly FlowObservation[]): Promise<void>;
  /** A model's destinations per day in [since, until) (days as YYYY-MM-DD), ordered by day, then destination, port. */
  modelDays(modelId: string, since: string, until: string): Promise<DestinationDay[]>;
  /** Distinct devices of the model seen in the period. */
  modelDevices(modelId: string, since: string, until: string): Promise<number>;
  /**
   * Devices seen talking to an endpoint: an exact name, `.example.com` for a domain and its subdomains, or an address;
   * ordered by device id, in pages.
   */
  devicesTalkingTo(endpoint: string, opts?: { since?: string; until?: string; pageSize?: number }): AsyncIterable<EndpointContact[]>;
  /** Devices per destination over the whole fleet in the period (for intel sightings), keyed by destination name. */
  destinationDevices(since: string, until: string): Promise<Map<string, number>>;
  /** Inputs counted before, found by the hash of their first bytes or by their path. */
  inputs(hashes: readonly string[], paths: readonly string[]): Promise<FlowInput[]>;
  /** Saves inputs (a row with the same hash is replaced); `replaces` are hashes to delete (the shorter head of a file that grew). */
  saveInputs(rows: readonly FlowInput[], replaces?: readonly string[]): Promise<void>;
  saveReport(r: Omit<StoredPrivacyReport, "id">): Promise<number>;
  /** The newest saved report of a model. */
  latestReport(modelId: string): Promise<StoredPrivacyReport | undefined>;
  /** Replaces every watchlist entry that came from `source`; returns how many there are now. */
  replaceWatchlist(source: string, entries: readonly WatchEntry[], importedAt: string): Promise<number>;
  /** Every watchlist entry, ordered by source then value. */
  watchlist(): Promise<WatchEntry[]>;
}
