import { createHash } from "node:crypto";
import type Database from "better-sqlite3";
import { type Advisory, type Affected, canonicalVulnId, type EpssScore, type KevEntry } from "../../core/advisory.ts";
import type { StoredComponent, VexStatement } from "../../core/component.ts";
import { parseIsoDate } from "../../core/dates.ts";
import type { StoreEnv } from "../store.ts";
import { type AdvisoryInfo, type FeedImportInfo, type FeedWriteCounts, normalizeVulnId, type SbomRecord, sbomVexSource, type VulnCounts, type VulnRepository } from "../vulns.ts";

/** SQLite limits bound parameters; lists of keys and ids go in as one JSON array instead. */
const IN_LIST = "(SELECT value FROM json_each(?))";

export class SqliteVulns implements VulnRepository {
  private readonly find: Database.Statement;
  private readonly insertAdvisory: Database.Statement;
  private readonly updateAdvisory: Database.Statement;
  private readonly deleteAffected: Database.Statement;
  private readonly deleteIds: Database.Statement;
  private readonly insertAffected: Database.Statement;
  private readonly insertId: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly env: StoreEnv,
  ) {
    this.find = db.prepare("SELECT modified, digest FROM vuln_advisories WHERE id = ?");
    this.insertAdvisory = db.prepare("INSERT INTO vuln_advisories (id, source, canonical_id, modified, digest, doc) VALUES (?, ?, ?, ?, ?, ?)");
    this.updateAdvisory = db.prepare("UPDATE vuln_advisories SET source = ?, canonical_id = ?, modified = ?, digest = ?, doc = ? WHERE id = ?");
    this.deleteAffected = db.prepare("DELETE FROM vuln_affected WHERE advisory_id = ?");
    this.deleteIds = db.prepare("DELETE FROM vuln_ids WHERE advisory_id = ?");
    this.insertAffected = db.prepare("INSERT INTO vuln_affected (advisory_id, key, seq, doc) VALUES (?, ?, ?, ?)");
    this.insertId = db.prepare("INSERT OR IGNORE INTO vuln_ids (alias, advisory_id) VALUES (?, ?)");
  }

  async replaceSbom(sbom: SbomRecord, components: readonly StoredComponent[], vex: readonly VexStatement[]): Promise<{ replaced: boolean }> {
    const source = sbomVexSource(sbom.model_id, sbom.firmware_version);
    let replaced = false;
    this.db.transaction(() => {
      replaced = this.db.prepare("DELETE FROM vuln_sboms WHERE model_id = ? AND firmware_version = ?").run(sbom.model_id, sbom.firmware_version).changes > 0;
      this.db.prepare("DELETE FROM vuln_components WHERE model_id = ? AND firmware_version = ?").run(sbom.model_id, sbom.firmware_version);
      this.db.prepare("DELETE FROM vuln_vex WHERE source = ?").run(source);
      this.db
        .prepare("INSERT INTO vuln_sboms (model_id, firmware_version, format, source, imported_at, component_count, describes) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(sbom.model_id, sbom.firmware_version, sbom.format, sbom.source, sbom.imported_at, sbom.component_count, sbom.describes ?? null);
      const put = this.db.prepare("INSERT INTO vuln_components (model_id, firmware_version, ord, doc) VALUES (?, ?, ?, ?)");
      components.forEach((c, i) => put.run(sbom.model_id, sbom.firmware_version, i, JSON.stringify(c)));
      const putVex = this.db.prepare("INSERT INTO vuln_vex (vuln_id, source, doc) VALUES (?, ?, ?)");
      for (const s of vex) putVex.run(normalizeVulnId(s.vuln_id), source, JSON.stringify(s));
    })();
    return { replaced };
  }

  async sboms(): Promise<SbomRecord[]> {
    const rows = this.db.prepare("SELECT * FROM vuln_sboms ORDER BY model_id, firmware_version").all() as (Omit<SbomRecord, "describes"> & { describes: string | null })[];
    return rows.map(({ describes, ...r }) => (describes !== null ? { ...r, describes } : r));
  }

  async components(modelId: string, firmwareVersion: string, shared?: Map<string, StoredComponent>): Promise<StoredComponent[]> {
    const rows = this.db.prepare("SELECT doc FROM vuln_components WHERE model_id = ? AND firmware_version = ? ORDER BY ord").raw(true).all(modelId, firmwareVersion) as [string][];
    return rows.map(([doc]) => {
      if (!shared) return JSON.parse(doc) as StoredComponent;
      let c = shared.get(doc);
      if (!c) {
        c = JSON.parse(doc) as StoredComponent;
        shared.set(doc, c);
      }
      return c;
    });
  }

  async putAdvisories(advisories: readonly Advisory[]): Promise<FeedWriteCounts> {
    const counts: FeedWriteCounts = { added: 0, updated: 0, unchanged: 0, older: 0, kev: 0, epss: 0, vex: 0 };
    // Each call is atomic on its own (a savepoint inside a caller's transaction).
    this.db.transaction(() => this.writeAdvisories(advisories, counts))();
    return counts;
  }

  private writeAdvisories(advisories: readonly Advisory[], counts: FeedWriteCounts): void {
    for (const a of advisories) {
      const { affected, ...info } = a;
      const doc = JSON.stringify(info);
      const affectedDocs = affected.map((x) => JSON.stringify(x));
      const digest = createHash("sha256").update(doc).update("\0").update(affectedDocs.join("\n")).digest("hex").slice(0, 32);
      const existing = this.find.get(a.id) as { modified: string | null; digest: string } | undefined;
      if (existing) {
        if (existing.digest === digest) {
          counts.unchanged++;
          continue;
        }
        if (isOlder(a.modified, existing.modified)) {
          counts.older++;
          continue;
        }
        this.updateAdvisory.run(a.source, canonicalVulnId(a), a.modified ?? null, digest, doc, a.id);
        this.deleteAffected.run(a.id);
        this.deleteIds.run(a.id);
        counts.updated++;
      } else {
        this.insertAdvisory.run(a.id, a.source, canonicalVulnId(a), a.modified ?? null, digest, doc);
        counts.added++;
      }
      for (const id of new Set([a.id, ...a.aliases].map(normalizeVulnId))) this.insertId.run(id, a.id);
      // A withdrawn advisory is kept (its id stays known) but no longer affects anything.
      if (a.withdrawn === undefined) affected.forEach((x, i) => this.insertAffected.run(a.id, x.key, i, affectedDocs[i]));
    }
  }

  async putKev(entries: readonly KevEntry[]): Promise<void> {
    const stmt = this.db.prepare("INSERT INTO vuln_kev (cve_id, doc) VALUES (?, ?) ON CONFLICT (cve_id) DO UPDATE SET doc = excluded.doc");
    this.db.transaction(() => {
      for (const e of entries) stmt.run(normalizeVulnId(e.cve_id), JSON.stringify(e));
    })();
  }

  async putEpss(scores: readonly EpssScore[]): Promise<void> {
    const stmt = this.db.prepare(
      `INSERT INTO vuln_epss (cve_id, epss, percentile, score_date) VALUES (?, ?, ?, ?)
       ON CONFLICT (cve_id) DO UPDATE SET epss = excluded.epss, percentile = excluded.percentile, score_date = excluded.score_date
       WHERE excluded.score_date IS NULL OR vuln_epss.score_date IS NULL OR excluded.score_date >= vuln_epss.score_date`,
    );
    this.db.transaction(() => {
      for (const s of scores) stmt.run(normalizeVulnId(s.cve_id), s.epss, s.percentile, s.date ?? null);
    })();
  }

  async replaceVex(source: string, statements: readonly VexStatement[]): Promise<void> {
    const stmt = this.db.prepare("INSERT INTO vuln_vex (vuln_id, source, doc) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM vuln_vex WHERE source = ?").run(source);
      for (const s of statements) stmt.run(normalizeVulnId(s.vuln_id), source, JSON.stringify(s));
    })();
  }

  async recordFeed(kind: string, source: string, detail: Record<string, unknown>): Promise<void> {
    this.db.prepare("INSERT INTO vuln_feed_imports (kind, source, imported_at, detail) VALUES (?, ?, ?, ?)").run(kind, source, new Date(this.env.now()).toISOString(), JSON.stringify(detail));
  }

  async affectedByKeys(keys: readonly string[], opts: { knownExploited?: boolean } = {}): Promise<Map<string, { advisory_id: string; affected: Affected }[]>> {
    const out = new Map<string, { advisory_id: string; affected: Affected }[]>();
    if (keys.length === 0) return out;
    // One indexed lookup per key on the key-clustered table: faster than one IN (json_each) query for thousands of
    // keys. Raw rows (arrays) rather than objects: this returns hundreds of thousands of rows.
    const sql = opts.knownExploited
      ? `SELECT advisory_id, doc FROM vuln_affected a WHERE key = ?
           AND EXISTS (SELECT 1 FROM vuln_ids i JOIN vuln_kev k ON k.cve_id = i.alias WHERE i.advisory_id = a.advisory_id)`
      : "SELECT advisory_id, doc FROM vuln_affected WHERE key = ?";
    const stmt = this.db.prepare(sql).raw(true);
    for (const key of new Set(keys)) {
      const list: { advisory_id: string; affected: Affected }[] = [];
      for (const [advisoryId, doc] of stmt.iterate(key) as Iterable<[string, string]>) list.push({ advisory_id: advisoryId, affected: JSON.parse(doc) as Affected });
      if (list.length) out.set(key, list);
    }
    return out;
  }

  async advisories(ids: readonly string[]): Promise<Map<string, AdvisoryInfo>> {
    const out = new Map<string, AdvisoryInfo>();
    const stmt = this.db.prepare(`SELECT id, doc FROM vuln_advisories WHERE id IN ${IN_LIST}`);
    for (const chunk of chunks(ids, 5000)) for (const r of stmt.iterate(JSON.stringify(chunk)) as Iterable<{ id: string; doc: string }>) out.set(r.id, JSON.parse(r.doc) as AdvisoryInfo);
    return out;
  }

  async advisoriesAbout(vulnIds: readonly string[]): Promise<AdvisoryInfo[]> {
    const out: AdvisoryInfo[] = [];
    const seen = new Set<string>();
    const stmt = this.db.prepare(`SELECT a.id, a.doc FROM vuln_ids i JOIN vuln_advisories a ON a.id = i.advisory_id WHERE i.alias IN ${IN_LIST}`);
    for (const chunk of chunks([...new Set(vulnIds.map(normalizeVulnId))], 5000)) {
      for (const r of stmt.iterate(JSON.stringify(chunk)) as Iterable<{ id: string; doc: string }>) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        out.push(JSON.parse(r.doc) as AdvisoryInfo);
      }
    }
    return out;
  }

  async kev(cveIds: readonly string[]): Promise<Map<string, KevEntry>> {
    const out = new Map<string, KevEntry>();
    const stmt = this.db.prepare(`SELECT cve_id, doc FROM vuln_kev WHERE cve_id IN ${IN_LIST}`);
    for (const chunk of chunks(cveIds.map(normalizeVulnId), 5000)) for (const r of stmt.iterate(JSON.stringify(chunk)) as Iterable<{ cve_id: string; doc: string }>) out.set(r.cve_id, JSON.parse(r.doc) as KevEntry);
    return out;
  }

  async epss(cveIds: readonly string[]): Promise<Map<string, EpssScore>> {
    const out = new Map<string, EpssScore>();
    const stmt = this.db.prepare(`SELECT cve_id, epss, percentile, score_date FROM vuln_epss WHERE cve_id IN ${IN_LIST}`);
    for (const chunk of chunks(cveIds.map(normalizeVulnId), 5000)) {
      for (const r of stmt.iterate(JSON.stringify(chunk)) as Iterable<{ cve_id: string; epss: number; percentile: number; score_date: string | null }>) {
        const s: EpssScore = { cve_id: r.cve_id, epss: r.epss, percentile: r.percentile };
        if (r.score_date !== null) s.date = r.score_date;
        out.set(r.cve_id, s);
      }
    }
    return out;
  }

  async vex(vulnIds: readonly string[]): Promise<VexStatement[]> {
    const out: VexStatement[] = [];
    const stmt = this.db.prepare(`SELECT doc FROM vuln_vex WHERE vuln_id IN ${IN_LIST} ORDER BY id`);
    for (const chunk of chunks([...new Set(vulnIds.map(normalizeVulnId))], 5000)) for (const r of stmt.iterate(JSON.stringify(chunk)) as Iterable<{ doc: string }>) out.push(JSON.parse(r.doc) as VexStatement);
    return out;
  }

  async counts(): Promise<VulnCounts> {
    const n = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      sboms: n("SELECT COUNT(*) AS n FROM vuln_sboms"),
      components: n("SELECT COUNT(*) AS n FROM vuln_components"),
      advisories: n("SELECT COUNT(*) AS n FROM vuln_advisories"),
      affected: n("SELECT COUNT(*) AS n FROM vuln_affected"),
      kev: n("SELECT COUNT(*) AS n FROM vuln_kev"),
      epss: n("SELECT COUNT(*) AS n FROM vuln_epss"),
      vex: n("SELECT COUNT(*) AS n FROM vuln_vex"),
    };
  }

  async feedImports(): Promise<FeedImportInfo[]> {
    const rows = this.db.prepare("SELECT kind, source, imported_at, detail FROM vuln_feed_imports ORDER BY id").all() as { kind: string; source: string; imported_at: string; detail: string }[];
    return rows.map((r) => ({ kind: r.kind, source: r.source, imported_at: r.imported_at, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}

/** Whether `incoming` is strictly older than `stored` (both ISO dates; unknown on either side: not older). */
function isOlder(incoming: string | undefined, stored: string | null): boolean {
  if (incoming === undefined || stored === null) return false;
  const a = parseIsoDate(incoming) ?? Date.parse(incoming);
  const b = parseIsoDate(stored) ?? Date.parse(stored);
  return Number.isFinite(a) && Number.isFinite(b) && a < b;
}

function* chunks<T>(xs: readonly T[], n: number): Iterable<T[]> {
  for (let i = 0; i < xs.length; i += n) yield xs.slice(i, i + n);
}
