import { LongwatchError } from "../../core/errors.ts";
import { countDeviceImages } from "../list-sql.ts";
import { pgRun } from "./lists.ts";
import { DERIVED_TABLES, type TableInfo, type TableRepository } from "../tables.ts";
import type { PgDb } from "./db.ts";

const NAME = /^[a-z_][a-z0-9_]*$/;

export class PgTables implements TableRepository {
  constructor(private readonly db: PgDb) {}

  async list(): Promise<TableInfo[]> {
    const names = (await this.db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name COLLATE \"C\"",
    )).map((r) => r.table_name).filter((n) => !DERIVED_TABLES.has(n));
    const out: TableInfo[] = [];
    for (const name of names) out.push({ name, rows: (await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${checked(name)}`))[0]!.n });
    return out;
  }

  async columns(table: string): Promise<string[]> {
    return (await this.db.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position", [table])).map((r) => r.column_name);
  }

  async *read(table: string, columns: readonly string[], pageSize = 5000): AsyncIterable<Record<string, unknown>[]> {
    const t = checked(table);
    const key = await this.primaryKey(t);
    const cols = columns.map(checked).join(", ");
    // Keyset paging over the primary key: every row once, in key order, without OFFSET's cost.
    let after: unknown[] | undefined;
    for (;;) {
      const where = after ? `WHERE (${key.join(", ")}) > (${key.map((_, i) => `$${i + 1}`).join(", ")})` : "";
      const rows = await this.db.query<Record<string, unknown>>(`SELECT ${cols}, ${key.map((k, i) => `${k} AS lw_k${i}`).join(", ")} FROM ${t} ${where} ORDER BY ${key.map((k) => `${k}`).join(", ")} LIMIT ${Number(pageSize)}`, after ?? []);
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      after = key.map((_, i) => last[`lw_k${i}`]);
      yield rows.map((r) => {
        const out: Record<string, unknown> = {};
        for (const c of columns) out[c] = r[c];
        return out;
      });
    }
  }

  async write(table: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): Promise<void> {
    if (!this.db.inTransaction) throw new LongwatchError("internal", "copying rows runs inside store.transaction()");
    if (rows.length === 0) return;
    const types = new Map((await this.db.query<{ column_name: string; data_type: string }>("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1", [table])).map((r) => [r.column_name, pgArrayType(r.data_type)]));
    const cols = columns.map(checked);
    await this.db.query(
      `INSERT INTO ${checked(table)} (${cols.join(", ")}) SELECT * FROM unnest(${cols.map((c, i) => `$${i + 1}::${types.get(c) ?? "text"}[]`).join(", ")})`,
      cols.map((c) => rows.map((r) => pgValue(r[c], types.get(c)))),
    );
  }

  async snapshot(): Promise<void> {
    if (!this.db.inTransaction) throw new LongwatchError("internal", "a snapshot is taken inside store.transaction()");
    // Must be the transaction's first statement: PostgreSQL refuses it once a query has run.
    await this.db.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  }

  async afterCopy(): Promise<void> {
    await countDeviceImages(pgRun(this.db), "postgres");
    // Rows came with their ids: move every sequence past them so new rows don't collide.
    const serials = await this.db.query<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
    );
    for (const s of serials) {
      const t = checked(s.table_name);
      const c = checked(s.column_name);
      await this.db.query(`SELECT setval(pg_get_serial_sequence('${t}', '${c}'), COALESCE((SELECT MAX(${c}) FROM ${t}), 0) + 1, false)`);
    }
  }

  private async primaryKey(table: string): Promise<string[]> {
    const rows = await this.db.query<{ attname: string }>(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [table],
    );
    return rows.map((r) => checked(r.attname));
  }
}

function checked(name: string): string {
  if (!NAME.test(name)) throw new LongwatchError("internal", `unexpected table or column name "${name}"`);
  return name;
}

function pgArrayType(dataType: string): string {
  if (dataType === "bigint") return "bigint";
  if (dataType === "integer") return "int";
  if (dataType === "double precision") return "float8";
  if (dataType === "boolean") return "boolean";
  return "text";
}

function pgValue(v: unknown, type: string | undefined): unknown {
  if (v === undefined || v === null) return null;
  if (type === "boolean") return v === true || v === 1;
  return v;
}
