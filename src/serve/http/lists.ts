/**
 * Lists: `page_size` and an opaque `page_token`, answered as `{items, next_page_token, total: {count, type}}`
 * (`type` is `at_least` when counting stopped early). The big lists (devices, findings, alerts, audit log) page in the
 * store with keyset queries (store/lists.ts): page 1,000 costs what page 1 costs. `format=csv` or `format=ndjson` (or
 * `Accept: text/csv` / `application/x-ndjson`) exports the whole filtered list — from `page_token` on, if given —
 * streamed a keyset page at a time (bounded memory, waiting for a slow client), CSV cells formula-neutralised as the
 * CLI's exports are. Small lists (models, suppressions, responses, tokens, assessments, scan jobs) page in memory
 * (memoryList). Route-made page tokens (`encodePageToken` here) are
 * base64url JSON naming the list they belong to, so one list's token is refused by another.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { csvLine } from "../../formats/csv.ts";
import { Reply, type RouteContext, StreamReply } from "./route.ts";

export const MAX_PAGE_SIZE = 1000;
/** Totals are counted exactly up to this many, and reported as `at_least` beyond. */
export const COUNT_CAP = 10_000;

export const pageQuery = {
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(100).describe("Items per page (1–1000)."),
  page_token: z.string().max(1000).optional().describe("The next_page_token of the previous page."),
  format: z.enum(["json", "csv", "ndjson"]).default("json").describe("csv or ndjson: the whole filtered list (from page_token on, if given), streamed; so do Accept: text/csv and Accept: application/x-ndjson."),
};

export const TotalSchema = z.object({ count: z.number().int().min(0), type: z.enum(["exact", "at_least"]) }).meta({ id: "Total" });

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), next_page_token: z.string().nullable(), total: TotalSchema }).meta({ id: `${name}Page` });
}

export interface Page<T> {
  items: T[];
  next_page_token: string | null;
  total: { count: number; type: "exact" | "at_least" };
}

export function encodePageToken(list: string, key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ l: list, ...key })).toString("base64url");
}

export function decodePageToken<T extends Record<string, unknown>>(list: string, token: string | undefined): T | undefined {
  if (token === undefined || token === "") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    v = undefined;
  }
  if (typeof v !== "object" || v === null || (v as { l?: unknown }).l !== list) throw new LongwatchError("usage", "page_token: not a page token of this list (start again without it)", { field: "query.page_token" });
  return v as T;
}

/** The object without its undefined properties (zod's optional output keeps them; the ports take them absent). */
export function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

type ListCtx = Pick<RouteContext<unknown, { format?: string | undefined; page_size?: number | undefined; page_token?: string | undefined }, unknown>, "query" | "header" | "accept">;

/** What a list request asks for: a JSON page, or the whole list as CSV or NDJSON. */
export function listFormat(ctx: Pick<ListCtx, "query" | "accept">): "json" | "csv" | "ndjson" {
  const f = ctx.query.format;
  if (f === "csv" || f === "ndjson") return f;
  const accept = ctx.accept;
  if (f === undefined || f === "json") {
    if (accept !== undefined && !/application\/json/.test(accept)) {
      if (/\btext\/csv\b/.test(accept)) return "csv";
      if (/\bapplication\/(x-)?ndjson\b/.test(accept)) return "ndjson";
    }
  }
  return "json";
}

/** One page of a list as the store gives it (`total` absent when `withTotal` is false). */
type FetchPage<T> = (token: string | undefined, size: number, withTotal: boolean) => Promise<{ items: T[]; next_page_token: string | null; total?: { count: number; type: "exact" | "at_least" } }>;

const EXPORT_PAGE = 1000;

/**
 * A list answered from keyset pages: one page as JSON, or — for csv/ndjson — every page from `page_token` on, streamed.
 * `X-Total-Count`/`X-Total-Count-Type` carry the total (counted up to the cap) of an export too.
 */
export async function keysetList<T>(ctx: ListCtx, name: string, fetchPage: FetchPage<T>, columns: readonly string[]): Promise<unknown> {
  const format = listFormat(ctx);
  const size = ctx.query.page_size ?? 100;
  if (format === "json") {
    const p = await fetchPage(ctx.query.page_token, size, true);
    return { items: p.items, next_page_token: p.next_page_token, total: p.total ?? { count: p.items.length, type: "exact" } } satisfies Page<T>;
  }
  const first = await fetchPage(ctx.query.page_token, EXPORT_PAGE, true);
  if (first.total) {
    ctx.header("X-Total-Count", String(first.total.count));
    ctx.header("X-Total-Count-Type", first.total.type);
  }
  ctx.header("Content-Disposition", `attachment; filename="${name}.${format}"`);
  const line = format === "csv" ? (it: T) => csvLine(columns.map((c) => csvCell((it as Record<string, unknown>)[c]))) : (it: T) => JSON.stringify(it);
  return new StreamReply(format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8", async (write, signal, drained) => {
    let ok = format === "csv" ? write(`${csvLine(columns)}\n`) : true;
    let page = first;
    for (;;) {
      // A page is one string: one write, one syscall, not one per row.
      if (page.items.length > 0) ok = write(`${page.items.map(line).join("\n")}\n`);
      if (page.next_page_token === null || signal.aborted) return;
      if (!ok) await drained();
      else await yieldToLoop();
      if (signal.aborted) return;
      page = await fetchPage(page.next_page_token, EXPORT_PAGE, false);
    }
  });
}

/** Lists of plain values as `;`-separated cells (FORMATS.md), other objects as JSON. */
const csvCell = (v: unknown) => (v === undefined || v === null ? "" : Array.isArray(v) && v.every((x) => x === null || typeof x !== "object") ? v : typeof v === "object" ? JSON.stringify(v) : v);

/** The page as JSON, or its items as CSV (the given columns) or NDJSON: for lists small enough to hold (models). */
function listReply<T>(ctx: Pick<ListCtx, "query" | "header" | "accept">, page: Page<T>, columns: readonly string[]): unknown {
  const format = listFormat(ctx);
  if (format === "json") return page;
  ctx.header("X-Total-Count", String(page.total.count));
  ctx.header("X-Total-Count-Type", page.total.type);
  if (page.next_page_token) ctx.header("X-Next-Page-Token", page.next_page_token);
  if (format === "ndjson") return new Reply(200, page.items.map((it) => `${JSON.stringify(it)}\n`).join(""), "application/x-ndjson; charset=utf-8");
  const lines = [csvLine(columns), ...page.items.map((it) => csvLine(columns.map((c) => csvCell((it as Record<string, unknown>)[c]))))];
  return new Reply(200, `${lines.join("\n")}\n`, "text/csv; charset=utf-8");
}

/**
 * A list small enough to hold (suppressions, responses, tokens …), filtered and sorted by the caller: one page as
 * JSON, or — for csv/ndjson — all of it (from page_token on). Its page tokens name the list and a digest of the other query parameters,
 * so a token is refused by another list and under another filter or sort, as the store-paged lists refuse theirs
 * (an offset taken under one filter would skip or repeat rows under another).
 */
export function memoryList<T>(ctx: Pick<ListCtx, "query" | "header" | "accept">, name: string, rows: readonly T[], columns: readonly string[], capped = false): unknown {
  const all = listFormat(ctx) !== "json";
  if (all) ctx.header("Content-Disposition", `attachment; filename="${name}.${listFormat(ctx)}"`);
  // An export is the rest of the list from page_token on, as the store-paged lists export.
  return listReply(ctx, memoryPage(scopedList(name, ctx.query), ctx.query.page_token, all ? rows.length + 1 : (ctx.query.page_size ?? 100), rows, capped), columns);
}

/** The list's name and a short digest of the query that is not paging or format: what a page token belongs to. */
function scopedList(name: string, query: object): string {
  const rest = Object.entries(query)
    .filter(([k, v]) => v !== undefined && k !== "page_size" && k !== "page_token" && k !== "format")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return rest.length === 0 ? name : `${name}:${createHash("sha256").update(JSON.stringify(rest)).digest("base64url").slice(0, 12)}`;
}

/**
 * Rows held in memory, ordered by one field (absent values last in either order), then by `tie` in the same
 * direction: the `sort`/`order` of the small lists. Strings compare by code point, as the store-paged lists sort.
 */
export function sortRows<T>(rows: readonly T[], field: keyof T, order: "asc" | "desc", tie: keyof T): T[] {
  const sign = order === "asc" ? 1 : -1;
  const absent = (v: unknown) => v === undefined || v === null;
  const by = (k: keyof T) => (a: T, b: T): number => {
    const x = a[k];
    const y = b[k];
    if (absent(x) || absent(y)) return (absent(x) ? 1 : 0) - (absent(y) ? 1 : 0);
    return x < y ? -sign : x > y ? sign : 0;
  };
  const first = by(field);
  const then = by(tie);
  return [...rows].sort((a, b) => first(a, b) || then(a, b));
}

/** The `sort` and `order` parameters of a list sorted in memory: `sorts[0]` is the default. */
export function sortQuery<S extends string>(sorts: readonly [S, ...S[]], describe: string) {
  return {
    sort: z.enum(sorts).default(sorts[0]).describe(describe),
    order: z.enum(["asc", "desc"]).optional().describe("asc or desc (the default depends on sort, as described there)."),
  };
}

/** A page of rows already fetched and filtered in memory (`capped`: the fetch stopped at its bound). */
export function memoryPage<T>(list: string, token: string | undefined, size: number, rows: readonly T[], capped: boolean): Page<T> {
  const offset = decodePageToken<{ o: number }>(list, token)?.o ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new LongwatchError("usage", "page_token: damaged", { field: "query.page_token" });
  const more = rows.length > offset + size;
  return { items: rows.slice(offset, offset + size), next_page_token: more ? encodePageToken(list, { o: offset + size }) : null, total: { count: rows.length, type: capped ? "at_least" : "exact" } };
}

/** Lets other requests in between pages of a list read in the service's thread (each page is one synchronous read on SQLite). */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
