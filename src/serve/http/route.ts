/**
 * One API operation, declared once: method, path, the least role that may call it, the zod schemas its parameters,
 * query, body and answer are validated with, and the handler. The server, the OpenAPI document and the auth tests
 * all read the same table (routes/index.ts), so adding an operation is adding one entry there.
 */
import type { z } from "zod";
import type { Role } from "../../core/roles.ts";
import type { AuditEntry, Principal, Store, StoreTx } from "../../store/store.ts";
import type { ServiceDeps } from "./deps.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a change records in the audit log (who and when are added by the server). */
export interface AuditNote {
  target_kind: string;
  target_id?: string;
  before?: unknown;
  after?: unknown;
  /** Default: the route's id. */
  action?: string;
  /** Who acted, when not the caller (a sign-in names who signed in). */
  actor?: Principal;
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  store: Store;
  deps: ServiceDeps;
  requestId: string;
  /** The request's clock (epoch ms). */
  now: number;
  /** Records a change in the audit log, in the given transaction (or on its own). Every non-GET route must call it. */
  audit(note: AuditNote, tx?: StoreTx): Promise<AuditEntry>;
  /** Sets a response header. */
  header(name: string, value: string): void;
  /** The raw request body, for routes that read bodies themselves (`body: "raw"`). */
  raw?: Buffer;
  contentType?: string;
  /** The Accept header. */
  accept?: string;
  sourceIp: string;
  cookies: Map<string, string>;
}

/** A reply other than JSON 200: a status, a content type, a body as text. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly contentType = "application/json",
  ) {}
}

/**
 * A reply written as it happens (server-sent events, whole-list exports): `run` writes chunks until it is done, the
 * client goes away or the server closes (`signal`), and returns when it has stopped. `write` answers false when the
 * socket's buffer is full: await `drained()` before writing more, so a slow client never grows memory. If `run`
 * throws, the connection is cut instead of ended, so the client sees an incomplete answer, never a short one.
 */
export class StreamReply {
  constructor(
    readonly contentType: string,
    readonly run: (write: (chunk: string) => boolean, signal: AbortSignal, drained: () => Promise<void>) => Promise<void>,
  ) {}
}

export interface Route<P = unknown, Q = unknown, B = unknown> {
  /** operationId, `area.verb` (also the audit log's action). */
  id: string;
  method: Method;
  /** OpenAPI form: `/api/v1/alerts/{id}`. */
  path: string;
  /** The least role allowed; `public` needs no credentials (only /healthz and /readyz). */
  role: Role | "public";
  tag: string;
  summary: string;
  description?: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** A zod schema for a JSON body, or `raw` (with the media types accepted) for a body the handler reads. */
  body?: z.ZodType<B> | { raw: readonly string[] };
  /** The answer's schema (JSON), or a non-JSON media type. */
  response: z.ZodType | { mediaType: string };
  /** The success status (default 200). */
  status?: number;
  /** Alternative answers by media type (e.g. text/csv for exports), documented in OpenAPI. */
  alsoProduces?: readonly string[];
  handler(ctx: RouteContext<P, Q, B>): Promise<unknown>;
}

/** Keeps each route's types while the table holds them as `Route` (the handler's types come from the schemas). */
export function route<P, Q, B>(r: Route<P, Q, B>): Route {
  return r as unknown as Route;
}
