/**
 * Lists: `page_size` and an opaque `page_token`, answered as `{items, next_page_token, total: {count, type}}`
 * (`type` is `at_least` when counting stopped early), and `format=csv` (or `Accept: text/csv`) for an export of the
 * same page. Page tokens are base64url JSON naming the list they belong to, so one list's token is refused by another.
 */
import { z } from "zod";
import { LongwatchError } from "../../core/errors.ts";
import { csvLine } from "../../formats/csv.ts";
import { Reply, type RouteContext } from "./route.ts";

export const MAX_PAGE_SIZE = 1000;
/** Totals are counted exactly up to this many, and reported as `at_least` beyond. */
export const COUNT_CAP = 10_000;

export const pageQuery = {
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(100).describe("Items per page (1–1000)."),
  page_token: z.string().max(1000).optional().describe("The next_page_token of the previous page."),
  format: z.enum(["json", "csv"]).default("json").describe("csv exports the page's items as CSV (so does Accept: text/csv)."),
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

/** The page as JSON, or as CSV with the given columns (cells that are objects or lists are JSON). */
export function listReply<T>(ctx: Pick<RouteContext<unknown, { format?: string }, unknown>, "query" | "header" | "accept">, page: Page<T>, columns: readonly string[]): unknown {
  const accept = ctx.accept;
  const csv = ctx.query.format === "csv" || (accept !== undefined && /\btext\/csv\b/.test(accept) && !/application\/json/.test(accept));
  if (!csv) return page;
  ctx.header("X-Total-Count", String(page.total.count));
  ctx.header("X-Total-Count-Type", page.total.type);
  if (page.next_page_token) ctx.header("X-Next-Page-Token", page.next_page_token);
  const cell = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : v);
  const lines = [csvLine(columns), ...page.items.map((it) => csvLine(columns.map((c) => cell((it as Record<string, unknown>)[c]))))];
  return new Reply(200, `${lines.join("\n")}\n`, "text/csv; charset=utf-8");
}

/**
 * A page from a list the store can only give as "the first N" (until keyset queries land for it): fetches
 * offset + size + 1 and pages by offset; past the page the total is `at_least`.
 */
export async function offsetPage<T>(list: string, token: string | undefined, size: number, fetch: (limit: number) => Promise<T[]>): Promise<Page<T>> {
  const offset = decodePageToken<{ o: number }>(list, token)?.o ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > 1_000_000) throw new LongwatchError("usage", "page_token: damaged", { field: "query.page_token" });
  const rows = await fetch(offset + size + 1);
  const more = rows.length > offset + size;
  return { items: rows.slice(offset, offset + size), next_page_token: more ? encodePageToken(list, { o: offset + size }) : null, total: { count: rows.length, type: more ? "at_least" : "exact" } };
}

/** A page of rows already fetched and filtered in memory (`capped`: the fetch stopped at its bound). */
export function memoryPage<T>(list: string, token: string | undefined, size: number, rows: readonly T[], capped: boolean): Page<T> {
  const offset = decodePageToken<{ o: number }>(list, token)?.o ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new LongwatchError("usage", "page_token: damaged", { field: "query.page_token" });
  const more = rows.length > offset + size;
  return { items: rows.slice(offset, offset + size), next_page_token: more ? encodePageToken(list, { o: offset + size }) : null, total: { count: rows.length, type: capped ? "at_least" : "exact" } };
}

/** Lets other requests in between pages of a list read in the service's thread (each page is one synchronous read on SQLite). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
