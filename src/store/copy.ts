/**
 * Copies everything one store holds into another, empty one — history, verdicts, suppressions, alerts and their
 * history, advisories, SBOMs, assessments — table by table, a page at a time (never the whole store in memory), in
 * one transaction on the target: a copy that fails leaves the target empty. `longwatch store copy` calls it to move
 * from the embedded store to PostgreSQL (or back).
 */
import { LongwatchError } from "../core/errors.ts";
import type { Store } from "./store.ts";

export interface CopyResult {
  tables: { name: string; rows: number }[];
  rows: number;
}

export async function copyStore(from: Store, to: Store, opts: { pageSize?: number; onProgress?(table: string, done: number, total: number): void } = {}): Promise<CopyResult> {
  const [vf, vt] = [await from.schemaVersions(), await to.schemaVersions()];
  if (JSON.stringify(vf) !== JSON.stringify(vt)) {
    throw new LongwatchError("store_incompatible", `the two stores have different schemas (${JSON.stringify(vf)} and ${JSON.stringify(vt)}); open both with the same Longwatch version first`);
  }
  // The source is read in one transaction that sees one state of it: a scan or import running meanwhile is either
  // wholly in the copy or not at all (on SQLite it waits for the copy; on PostgreSQL it goes on beside it).
  return from.transaction(async (src) => {
    await src.tables.snapshot();
    const source = await src.tables.list();
    const target = new Map((await to.tables.list()).map((t) => [t.name, t.rows]));
    const filled = [...target].filter(([, n]) => n > 0).map(([name]) => name);
    if (filled.length) throw new LongwatchError("conflict", `the target store ${to.location} is not empty (${filled.join(", ")}); copy into a new store`, { tables: filled });
    const result: CopyResult = { tables: [], rows: 0 };
    await to.transaction(async (tx) => {
      for (const t of source) {
        if (!target.has(t.name)) throw new LongwatchError("store_incompatible", `the target store has no table ${t.name}`);
        const theirs = new Set(await tx.tables.columns(t.name));
        const columns = (await src.tables.columns(t.name)).filter((c) => theirs.has(c));
        let done = 0;
        for await (const page of src.tables.read(t.name, columns, opts.pageSize ?? 5000)) {
          await tx.tables.write(t.name, columns, page);
          done += page.length;
          opts.onProgress?.(t.name, done, t.rows);
        }
        result.tables.push({ name: t.name, rows: done });
        result.rows += done;
      }
      await tx.tables.afterCopy();
    });
    return result;
  });
}

export interface StoreInfo {
  engine: Store["engine"];
  location: string;
  schema: Record<string, number>;
  tables: { name: string; rows: number }[];
  latestScan?: { id: number; started_at: string; finished_at?: string; rules: number };
}

export async function storeInfo(store: Store): Promise<StoreInfo> {
  const latest = await store.findings.latestScan();
  return {
    engine: store.engine,
    location: store.location,
    schema: await store.schemaVersions(),
    tables: await store.tables.list(),
    ...(latest ? { latestScan: { id: latest.id, started_at: latest.started_at, ...(latest.finished_at ? { finished_at: latest.finished_at } : {}), rules: latest.rules.length } } : {}),
  };
}
