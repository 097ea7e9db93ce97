import { createHash } from "node:crypto";
import { type Advisory, type Affected, canonicalVulnId, type EpssScore, type KevEntry } from "../../core/advisory.ts";
import type { StoredComponent, VexStatement } from "../../core/component.ts";
import { parseIsoDate } from "../../core/dates.ts";
import type { StoreEnv } from "../store.ts";
import { type AdvisoryInfo, type FeedImportInfo, type FeedWriteCounts, normalizeVulnId, type SbomRecord, sbomVexSource, type VulnCounts, type VulnRepository } from "../vulns.ts";
import { chunks, type PgDb, uniqueRuns } from "./db.ts";

const ROWS = 5000;

interface AdvisoryWrite {
  advisory: Advisory;
  digest: string;
  doc: string;
  affectedDocs: string[];
  isNew: boolean;
}

export class PgVulns implements VulnRepository {
  constructor(
    private readonly db: PgDb,
    private readonly env: StoreEnv,
  ) {}

  async replaceSbom(sbom: SbomRecord, components: readonly StoredComponent[], vex: readonly VexStatement[]): Promise<{ replaced: boolean }> {
    const source = sbomVexSource(sbom.model_id, sbom.firmware_version);
    return this.db.transaction(async (db) => {
      const replaced = (await db.query("DELETE FROM vuln_sboms WHERE model_id = $1 AND firmware_version = $2 RETURNING model_id", [sbom.model_id, sbom.firmware_version])).length > 0;
      await db.query("DELETE FROM vuln_components WHERE model_id = $1 AND firmware_version = $2", [sbom.model_id, sbom.firmware_version]);
      await db.query("DELETE FROM vuln_vex WHERE source = $1", [source]);
      await db.query("INSERT INTO vuln_sboms (model_id, firmware_version, format, source, imported_at, component_count, describes) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
        sbom.model_id,
        sbom.firmware_version,
        sbom.format,
        sbom.source,
        sbom.imported_at,
        sbom.component_count,
        sbom.describes ?? null,
      ]);
      for (let i = 0; i < components.length; i += ROWS) {
        const part = components.slice(i, i + ROWS);
        await db.query("INSERT INTO vuln_components (model_id, firmware_version, ord, doc) SELECT $1, $2, o + $3 - 1, d FROM unnest($4::text[]) WITH ORDINALITY AS c (d, o)", [sbom.model_id, sbom.firmware_version, i, part.map((c) => JSON.stringify(c))]);
      }
      await insertVex(db, source, vex);
      return { replaced };
    });
  }

  async sboms(): Promise<SbomRecord[]> {
    const rows = await this.db.query<Omit<SbomRecord, "describes"> & { describes: string | null }>('SELECT * FROM vuln_sboms ORDER BY model_id COLLATE "C", firmware_version COLLATE "C"');
    return rows.map(({ describes, ...r }) => (describes !== null ? { ...r, describes } : r));
  }

  async components(modelId: string, firmwareVersion: string, shared?: Map<string, StoredComponent>): Promise<StoredComponent[]> {
    const rows = await this.db.query<{ doc: string }>("SELECT doc FROM vuln_components WHERE model_id = $1 AND firmware_version = $2 ORDER BY ord", [modelId, firmwareVersion]);
    return rows.map(({ doc }) => {
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
    return this.db.transaction(async (db) => {
      for (const part of chunks(advisories, ROWS)) await this.writeAdvisories(db, part, counts);
      return counts;
    });
  }

  /** Decides each advisory against what is stored (and what this batch wrote before it), then writes in bulk. */
  private async writeAdvisories(db: PgDb, advisories: readonly Advisory[], counts: FeedWriteCounts): Promise<void> {
    const stored = new Map<string, { modified: string | null; digest: string }>();
    for (const r of await db.query<{ id: string; modified: string | null; digest: string }>("SELECT id, modified, digest FROM vuln_advisories WHERE id = ANY($1::text[])", [[...new Set(advisories.map((a) => a.id))]])) {
      stored.set(r.id, { modified: r.modified, digest: r.digest });
    }
    const inDb = new Set(stored.keys());
    const writes = new Map<string, AdvisoryWrite>();
    for (const a of advisories) {
      const { affected, ...info } = a;
      const doc = JSON.stringify(info);
      const affectedDocs = affected.map((x) => JSON.stringify(x));
      const digest = createHash("sha256").update(doc).update("\0").update(affectedDocs.join("\n")).digest("hex").slice(0, 32);
      const existing = stored.get(a.id);
      if (existing) {
        if (existing.digest === digest) {
          counts.unchanged++;
          continue;
        }
        if (isOlder(a.modified, existing.modified)) {
          counts.older++;
          continue;
        }
        counts.updated++;
      } else counts.added++;
      // A repeat of an id within the batch: the last version is written (as writing them one by one would leave it).
      writes.set(a.id, { advisory: a, digest, doc, affectedDocs, isNew: !inDb.has(a.id) });
      stored.set(a.id, { modified: a.modified ?? null, digest });
    }
    if (writes.size === 0) return;
    const all = [...writes.values()];
    const fresh = all.filter((w) => w.isNew);
    const changed = all.filter((w) => !w.isNew);
    const cols = (ws: AdvisoryWrite[]) => [ws.map((w) => w.advisory.id), ws.map((w) => w.advisory.source), ws.map((w) => canonicalVulnId(w.advisory)), ws.map((w) => w.advisory.modified ?? null), ws.map((w) => w.digest), ws.map((w) => w.doc)];
    if (fresh.length) await db.query("INSERT INTO vuln_advisories (id, source, canonical_id, modified, digest, doc) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])", cols(fresh));
    if (changed.length) {
      await db.query(
        `UPDATE vuln_advisories a SET source = u.source, canonical_id = u.canonical_id, modified = u.modified, digest = u.digest, doc = u.doc
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u (id, source, canonical_id, modified, digest, doc) WHERE a.id = u.id`,
        cols(changed),
      );
      const ids = changed.map((w) => w.advisory.id);
      await db.query("DELETE FROM vuln_affected WHERE advisory_id = ANY($1::text[])", [ids]);
      await db.query("DELETE FROM vuln_ids WHERE advisory_id = ANY($1::text[])", [ids]);
    }
    const alias: [string, string][] = [];
    const aff: [string, string, number, string][] = [];
    for (const w of all) {
      for (const id of new Set([w.advisory.id, ...w.advisory.aliases].map(normalizeVulnId))) alias.push([id, w.advisory.id]);
      // A withdrawn advisory is kept (its id stays known) but no longer affects anything.
      if (w.advisory.withdrawn === undefined) w.advisory.affected.forEach((x, i) => aff.push([x.key, w.advisory.id, i, w.affectedDocs[i]!]));
    }
    for (const part of chunks(alias, ROWS)) await db.query("INSERT INTO vuln_ids (alias, advisory_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING", [part.map((x) => x[0]), part.map((x) => x[1])]);
    for (const part of chunks(aff, ROWS)) {
      await db.query("INSERT INTO vuln_affected (key, advisory_id, seq, doc) SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])", [part.map((x) => x[0]), part.map((x) => x[1]), part.map((x) => x[2]), part.map((x) => x[3])]);
    }
  }

  async putKev(entries: readonly KevEntry[]): Promise<void> {
    await this.db.transaction(async (db) => {
      for (const run of uniqueRuns(entries, (e) => normalizeVulnId(e.cve_id))) {
        for (const part of chunks(run, ROWS)) {
          await db.query("INSERT INTO vuln_kev (cve_id, doc) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (cve_id) DO UPDATE SET doc = excluded.doc", [part.map((e) => normalizeVulnId(e.cve_id)), part.map((e) => JSON.stringify(e))]);
        }
      }
    });
  }

  async putEpss(scores: readonly EpssScore[]): Promise<void> {
    await this.db.transaction(async (db) => {
      for (const run of uniqueRuns(scores, (s) => normalizeVulnId(s.cve_id))) {
        for (const part of chunks(run, ROWS)) {
          await db.query(
            `INSERT INTO vuln_epss (cve_id, epss, percentile, score_date) SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::text[])
             ON CONFLICT (cve_id) DO UPDATE SET epss = excluded.epss, percentile = excluded.percentile, score_date = excluded.score_date
             WHERE excluded.score_date IS NULL OR vuln_epss.score_date IS NULL OR excluded.score_date >= vuln_epss.score_date`,
            [part.map((s) => normalizeVulnId(s.cve_id)), part.map((s) => s.epss), part.map((s) => s.percentile), part.map((s) => s.date ?? null)],
          );
        }
      }
    });
  }

  async replaceVex(source: string, statements: readonly VexStatement[]): Promise<void> {
    await this.db.transaction(async (db) => {
      await db.query("DELETE FROM vuln_vex WHERE source = $1", [source]);
      await insertVex(db, source, statements);
    });
  }

  async recordFeed(kind: string, source: string, detail: Record<string, unknown>): Promise<void> {
    await this.db.query("INSERT INTO vuln_feed_imports (kind, source, imported_at, detail) VALUES ($1, $2, $3, $4)", [kind, source, new Date(this.env.now()).toISOString(), JSON.stringify(detail)]);
  }

  async affectedByKeys(keys: readonly string[], opts: { knownExploited?: boolean } = {}): Promise<Map<string, { advisory_id: string; affected: Affected }[]>> {
    const out = new Map<string, { advisory_id: string; affected: Affected }[]>();
    const sql = opts.knownExploited
      ? `SELECT key, advisory_id, doc FROM vuln_affected a WHERE key = ANY($1::text[])
           AND EXISTS (SELECT 1 FROM vuln_ids i JOIN vuln_kev k ON k.cve_id = i.alias WHERE i.advisory_id = a.advisory_id)
         ORDER BY key COLLATE "C", advisory_id COLLATE "C", seq`
      : 'SELECT key, advisory_id, doc FROM vuln_affected WHERE key = ANY($1::text[]) ORDER BY key COLLATE "C", advisory_id COLLATE "C", seq';
    for (const part of chunks([...new Set(keys)], 5000)) {
      for (const r of await this.db.query<{ key: string; advisory_id: string; doc: string }>(sql, [part])) {
        const hit = { advisory_id: r.advisory_id, affected: JSON.parse(r.doc) as Affected };
        const list = out.get(r.key);
        if (list) list.push(hit);
        else out.set(r.key, [hit]);
      }
    }
    return out;
  }

  async advisories(ids: readonly string[]): Promise<Map<string, AdvisoryInfo>> {
    const out = new Map<string, AdvisoryInfo>();
    for (const part of chunks(ids, 5000)) for (const r of await this.db.query<{ id: string; doc: string }>("SELECT id, doc FROM vuln_advisories WHERE id = ANY($1::text[])", [part])) out.set(r.id, JSON.parse(r.doc) as AdvisoryInfo);
    return out;
  }

  async advisoriesAbout(vulnIds: readonly string[]): Promise<AdvisoryInfo[]> {
    const out: AdvisoryInfo[] = [];
    const seen = new Set<string>();
    for (const part of chunks([...new Set(vulnIds.map(normalizeVulnId))], 5000)) {
      for (const r of await this.db.query<{ id: string; doc: string }>("SELECT a.id, a.doc FROM vuln_ids i JOIN vuln_advisories a ON a.id = i.advisory_id WHERE i.alias = ANY($1::text[])", [part])) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        out.push(JSON.parse(r.doc) as AdvisoryInfo);
      }
    }
    return out;
  }

  async kev(cveIds: readonly string[]): Promise<Map<string, KevEntry>> {
    const out = new Map<string, KevEntry>();
    for (const part of chunks(cveIds.map(normalizeVulnId), 5000)) for (const r of await this.db.query<{ cve_id: string; doc: string }>("SELECT cve_id, doc FROM vuln_kev WHERE cve_id = ANY($1::text[])", [part])) out.set(r.cve_id, JSON.parse(r.doc) as KevEntry);
    return out;
  }

  async epss(cveIds: readonly string[]): Promise<Map<string, EpssScore>> {
    const out = new Map<string, EpssScore>();
    for (const part of chunks(cveIds.map(normalizeVulnId), 5000)) {
      for (const r of await this.db.query<{ cve_id: string; epss: number; percentile: number; score_date: string | null }>("SELECT cve_id, epss, percentile, score_date FROM vuln_epss WHERE cve_id = ANY($1::text[])", [part])) {
        const s: EpssScore = { cve_id: r.cve_id, epss: r.epss, percentile: r.percentile };
        if (r.score_date !== null) s.date = r.score_date;
        out.set(r.cve_id, s);
      }
    }
    return out;
  }

  async vex(vulnIds: readonly string[]): Promise<VexStatement[]> {
    const out: VexStatement[] = [];
    for (const part of chunks([...new Set(vulnIds.map(normalizeVulnId))], 5000)) for (const r of await this.db.query<{ doc: string }>("SELECT doc FROM vuln_vex WHERE vuln_id = ANY($1::text[]) ORDER BY id", [part])) out.push(JSON.parse(r.doc) as VexStatement);
    return out;
  }

  async counts(): Promise<VulnCounts> {
    const [r] = await this.db.query<VulnCounts>(
      `SELECT (SELECT COUNT(*) FROM vuln_sboms) AS sboms, (SELECT COUNT(*) FROM vuln_components) AS components, (SELECT COUNT(*) FROM vuln_advisories) AS advisories,
              (SELECT COUNT(*) FROM vuln_affected) AS affected, (SELECT COUNT(*) FROM vuln_kev) AS kev, (SELECT COUNT(*) FROM vuln_epss) AS epss, (SELECT COUNT(*) FROM vuln_vex) AS vex`,
    );
    return r!;
  }

  async feedImports(): Promise<FeedImportInfo[]> {
    const rows = await this.db.query<{ kind: string; source: string; imported_at: string; detail: string }>("SELECT kind, source, imported_at, detail FROM vuln_feed_imports ORDER BY id");
    return rows.map((r) => ({ kind: r.kind, source: r.source, imported_at: r.imported_at, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }
}

async function insertVex(db: PgDb, source: string, statements: readonly VexStatement[]): Promise<void> {
  for (const part of chunks(statements, ROWS)) {
    await db.query("INSERT INTO vuln_vex (vuln_id, source, doc) SELECT v, $1, d FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS x (v, d, o) ORDER BY o", [source, part.map((s) => normalizeVulnId(s.vuln_id)), part.map((s) => JSON.stringify(s))]);
  }
}

/** Whether `incoming` is strictly older than `stored` (both ISO dates; unknown on either side: not older). */
function isOlder(incoming: string | undefined, stored: string | null): boolean {
  if (incoming === undefined || stored === null) return false;
  const a = parseIsoDate(incoming) ?? Date.parse(incoming);
  const b = parseIsoDate(stored) ?? Date.parse(stored);
  return Number.isFinite(a) && Number.isFinite(b) && a < b;
}
