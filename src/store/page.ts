/**
 * What both adapters share to answer a list: page tokens, the bounds of page size and total, and a streaming export
 * over any list. A page token is the last row's sort key plus what it was made for (list, filter, sort), with a
 * checksum: decoding refuses a token that was edited, cut, or made for another list, filter or sort, so a client can
 * never page one query with another's position. The key values only ever reach SQL as parameters.
 */
import { createHash } from "node:crypto";
import { LongwatchError } from "../core/errors.ts";
import type { Page, PageQuery } from "./lists.ts";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_TOTAL_CAP = 10_000;
export const MAX_TOTAL_CAP = 100_000;

/** The type of each value of a list's sort key, in order. */
export type KeyKind = "string" | "number" | "nullable-string";
export type KeyValue = string | number | null;

/** Fields of a query that are not its filter. */
const PAGING = new Set(["page_size", "page_token", "total_cap"]);

function bad(detail: string): LongwatchError {
  return new LongwatchError("usage", `invalid page_token: ${detail}; start again from the first page`, { field: "page_token" });
}

export function pageSize(q: PageQuery): number {
  const n = q.page_size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw new LongwatchError("usage", `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`, { field: "page_size" });
  return n;
}

export function totalCap(q: PageQuery): number {
  const n = q.total_cap ?? DEFAULT_TOTAL_CAP;
  if (!Number.isInteger(n) || n < 0 || n > MAX_TOTAL_CAP) throw new LongwatchError("usage", `total_cap must be an integer from 0 to ${MAX_TOTAL_CAP}`, { field: "total_cap" });
  return n;
}

/** Checks `sort` and `order` against what a list offers (each sort with its natural order); fills in the defaults. */
export function sortOf<S extends string>(q: PageQuery<S>, orders: Readonly<Record<S, "asc" | "desc">>, defaultSort: S): { sort: S; order: "asc" | "desc" } {
  const sort = q.sort ?? defaultSort;
  if (!Object.hasOwn(orders, sort)) throw new LongwatchError("usage", `sort must be one of ${Object.keys(orders).join(", ")}`, { field: "sort" });
  const order = q.order ?? orders[sort];
  if (order !== "asc" && order !== "desc") throw new LongwatchError("usage", "order must be asc or desc", { field: "order" });
  return { sort, order };
}

/** A digest of everything in the query that decides which rows come in which order (filters, sort, order). */
function queryDigest(list: string, q: object, sort: string, order: string): string {
  const filter = Object.entries(q)
    .filter(([k, v]) => !PAGING.has(k) && k !== "sort" && k !== "order" && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256").update(JSON.stringify([list, sort, order, filter])).digest("base64url").slice(0, 16);
}

function checksum(body: string): string {
  return createHash("sha256").update(`longwatch-page-token\0${body}`).digest("base64url").slice(0, 12);
}

export function encodePageToken(list: string, q: object, sort: string, order: string, key: readonly KeyValue[]): string {
  const body = Buffer.from(JSON.stringify([1, queryDigest(list, q, sort, order), key])).toString("base64url");
  return `${body}.${checksum(body)}`;
}

/** The sort key a token carries, or undefined without a token; throws `usage` for a token that is not this query's. */
export function decodePageToken(token: string | undefined, list: string, q: object, sort: string, order: string, kinds: readonly KeyKind[]): KeyValue[] | undefined {
  if (token === undefined) return undefined;
  if (typeof token !== "string" || token.length > 4096) throw bad("too long");
  const dot = token.lastIndexOf(".");
  if (dot < 0) throw bad("not a page token");
  const body = token.slice(0, dot);
  if (checksum(body) !== token.slice(dot + 1)) throw bad("it was changed or cut");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    throw bad("not a page token");
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== 1) throw bad("not a page token of this version");
  if (parsed[1] !== queryDigest(list, q, sort, order)) throw bad("it was made for another list, filter or sort");
  const key = parsed[2] as unknown;
  if (!Array.isArray(key) || key.length !== kinds.length) throw bad("its position does not fit this list");
  kinds.forEach((kind, i) => {
    const v: unknown = key[i];
    const ok = kind === "number" ? typeof v === "number" && Number.isFinite(v) : kind === "string" ? typeof v === "string" : v === null || typeof v === "string";
    if (!ok) throw bad("its position does not fit this list");
  });
  return key as KeyValue[];
}

/**
 * Every row of a list, a page at a time, through its own keyset pages (no total counted, bounded memory): the
 * streaming export behind `?format=csv|ndjson` and `longwatch … --format`.
 */
export async function* exportPages<T, Q>(list: (q: Q) => Promise<Page<T>>, q: NoInfer<NonNullable<Q>>, pageSizeOf = MAX_PAGE_SIZE): AsyncIterable<T[]> {
  let token: string | undefined;
  for (;;) {
    const page = await list({ ...q, page_size: pageSizeOf, total_cap: 0, ...(token !== undefined ? { page_token: token } : {}) } as Q);
    if (page.items.length) yield page.items;
    if (page.next_page_token === null) return;
    token = page.next_page_token;
  }
}
