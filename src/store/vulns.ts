/** Port: component inventories (SBOMs), advisories and the feeds around them (KEV, EPSS, VEX). */
import type { Advisory, Affected, EpssScore, KevEntry } from "../core/advisory.ts";
import type { SbomFormat, StoredComponent, VexStatement } from "../core/component.ts";

/** The component inventory of one firmware image: a device model at one firmware version. */
export interface SbomRecord {
  model_id: string;
  firmware_version: string;
  format: SbomFormat;
  /** The file it was imported from. */
  source: string;
  imported_at: string;
  component_count: number;
  describes?: string;
}

/** An advisory as the matcher needs it (without its affected list). */
export type AdvisoryInfo = Omit<Advisory, "affected">;

/** What one write of feed data did to the stored advisories. */
export interface FeedWriteCounts {
  added: number;
  updated: number;
  /** Same id and same content as stored. */
  unchanged: number;
  /** Same id but older `modified` than stored: the stored one is kept. */
  older: number;
  kev: number;
  epss: number;
  vex: number;
}

export interface VulnCounts {
  sboms: number;
  components: number;
  advisories: number;
  affected: number;
  kev: number;
  epss: number;
  vex: number;
}

export interface FeedImportInfo {
  kind: string;
  source: string;
  imported_at: string;
  detail: Record<string, unknown>;
}

/** CVE ids are matched case-insensitively across feeds; everything else as written. */
export function normalizeVulnId(id: string): string {
  const t = id.trim();
  return /^cve-\d{4}-\d+$/i.test(t) ? t.toUpperCase() : t;
}

/** The VEX source under which the statements embedded in a firmware image's SBOM are filed. */
export function sbomVexSource(modelId: string, firmwareVersion: string): string {
  return `sbom:${modelId}@${firmwareVersion}`;
}

export interface VulnRepository {
  /** Replaces the inventory of one firmware image (and the VEX statements embedded in it), atomically. */
  replaceSbom(sbom: SbomRecord, components: readonly StoredComponent[], vex: readonly VexStatement[]): Promise<{ replaced: boolean }>;
  /** Ordered by model_id, firmware_version. */
  sboms(): Promise<SbomRecord[]>;
  /**
   * The inventory of one firmware image, in its order. With `shared`, a component stored identically in several
   * images is returned as one shared (read-only) object, so fleet-wide matching parses and matches it once.
   */
  components(modelId: string, firmwareVersion: string, shared?: Map<string, StoredComponent>): Promise<StoredComponent[]>;
  /**
   * Writes advisories by id: a changed one replaces the stored one unless it is older (`modified`). Feed imports run
   * these writes inside `store.transaction()` so that a failure half-way leaves the store as it was.
   */
  putAdvisories(advisories: readonly Advisory[]): Promise<FeedWriteCounts>;
  putKev(entries: readonly KevEntry[]): Promise<void>;
  /** A score is replaced only by one of the same or a later date. */
  putEpss(scores: readonly EpssScore[]): Promise<void>;
  /** Replaces every statement that came from `source` (a CSAF document id) with these. */
  replaceVex(source: string, statements: readonly VexStatement[]): Promise<void>;
  /** Notes that a feed file was imported (with the store's clock). */
  recordFeed(kind: string, source: string, detail: Record<string, unknown>): Promise<void>;
  /** Affected entries filed under these keys; `knownExploited` keeps only advisories about a CVE in the KEV catalogue. */
  affectedByKeys(keys: readonly string[], opts?: { knownExploited?: boolean }): Promise<Map<string, { advisory_id: string; affected: Affected }[]>>;
  advisories(ids: readonly string[]): Promise<Map<string, AdvisoryInfo>>;
  /** Every advisory known by any of these ids (its own id or an alias), e.g. NVD's record for a CVE a distro feed matched. */
  advisoriesAbout(vulnIds: readonly string[]): Promise<AdvisoryInfo[]>;
  kev(cveIds: readonly string[]): Promise<Map<string, KevEntry>>;
  epss(cveIds: readonly string[]): Promise<Map<string, EpssScore>>;
  /** Statements about any of these vulnerability ids, in the order they were stored. */
  vex(vulnIds: readonly string[]): Promise<VexStatement[]>;
  counts(): Promise<VulnCounts>;
  /** In the order they were imported. */
  feedImports(): Promise<FeedImportInfo[]>;
}
