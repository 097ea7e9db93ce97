/**
 * The HTTP(S) server of `longwatch serve`, on node:http with no framework: it matches a request to the route table,
 * authenticates it and checks its role, validates path, query and body with the route's zod schemas, runs the
 * handler and answers JSON (or the route's own media type), or an RFC 9457 problem document. Every change a route
 * makes is in the audit log: a non-GET handler records its own entry (with before and after) or the server records
 * one for it. One structured log line per request.
 */
import { randomUUID } from "node:crypto";
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { errorCode, LongwatchError } from "../../core/errors.ts";
import { suggest } from "../../certify/suggest.ts";
import { knownKeysAt } from "../../formats/config-issues.ts";
import { roleAllows } from "../../core/roles.ts";
import type { Principal } from "../../store/store.ts";
import { type Authenticated, authenticate, cookies } from "./authenticate.ts";
import type { ServiceDeps } from "./deps.ts";
import type { HttpMetrics } from "./metrics.ts";
import { problemOf, validationError } from "./problem.ts";
import { type AuditNote, Reply, type Route, type RouteContext, StreamReply } from "./route.ts";
import type { WebApp } from "./static.ts";

export interface HttpServerOptions {
  deps: ServiceDeps;
  routes: readonly Route[];
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  /** Largest JSON body (default 1 MiB); raw bodies (records) have their own bound. */
  maxJsonBytes?: number;
  maxRawBytes?: number;
  /** Check every answer against the route's schema (tests: the OpenAPI document then cannot lie). */
  validateResponses?: boolean;
  /** The dashboard, served at `/` (absent: the API only). */
  web?: WebApp;
}

export interface RunningHttpServer {
  url: string;
  server: Server;
  metrics: HttpMetrics;
  close(): Promise<void>;
}

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
  /** The query parameters the route reads (undefined: any, for the health probes). */
  queryKeys?: readonly string[];
}

function compile(r: Route): Compiled {
  const names: string[] = [];
  const re = new RegExp(`^${r.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_m, n: string) => (names.push(n), "([^/]+)"))}$`);
  return { route: r, re, names, ...(r.id.startsWith("health.") ? {} : { queryKeys: r.query ? knownKeysAt(r.query, []) : [] }) };
}

/**
 * A query parameter the route does not read is refused, not ignored: a misspelt filter (`?sevrity=high`) would
 * otherwise answer the whole unfiltered list as if it were the filtered one.
 */
function refuseUnknownQuery(c: Compiled, query: Record<string, string>): void {
  if (c.queryKeys === undefined) return;
  const unknown = Object.keys(query).filter((k) => !c.queryKeys!.includes(k));
  if (unknown.length === 0) return;
  const errors = unknown.map((k) => ({ field: `query.${k}`, code: "unrecognized_keys", detail: `${c.route.id} takes no parameter ${k}${suggest(k, c.queryKeys!)}` }));
  const takes = c.queryKeys.length ? `; it takes ${c.queryKeys.join(", ")}` : "; it takes none";
  throw new LongwatchError("usage", `query.${unknown[0]}: ${c.route.method} ${c.route.path} takes no parameter ${unknown[0]}${suggest(unknown[0]!, c.queryKeys)}${takes}`, { errors });
}

const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
};

export async function startHttpServer(o: HttpServerOptions): Promise<RunningHttpServer> {
  const compiled = o.routes.map(compile);
  const metrics = o.deps.httpMetrics;
  // Open event streams end when the server closes, or it would wait for them forever.
  const streams = new Set<AbortController>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res, o, compiled, metrics, streams);
  };
  const server = o.tls ? createHttps({ cert: o.tls.cert, key: o.tls.key }, handler) : createHttp(handler);
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE" ? new LongwatchError("usage", `--listen ${o.host}:${o.port}: the address is in use`, { field: "listen" }) : e.code === "EACCES" ? new LongwatchError("usage", `--listen ${o.host}:${o.port}: not allowed to listen there`, { field: "listen" }) : e));
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `${o.tls ? "https" : "http"}://${host}:${addr.port}`,
    server,
    metrics,
    close: () => (closing ??= new Promise<void>((resolve) => {
      for (const s of streams) s.abort();
      server.close(() => resolve());
      server.closeIdleConnections();
    })),
  };
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) throw new LongwatchError("payload_too_large", `the body is larger than ${max} bytes`, { limit: max });
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new LongwatchError("payload_too_large", `the body is larger than ${max} bytes`, { limit: max });
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

function mediaType(req: IncomingMessage): string | undefined {
  const t = req.headers["content-type"];
  return t === undefined ? undefined : t.split(";")[0]!.trim().toLowerCase();
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string>): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(body)) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse, o: HttpServerOptions, compiled: Compiled[], metrics: HttpMetrics, streams: Set<AbortController>): Promise<void> {
  const deps = o.deps;
  const started = process.hrtime.bigint();
  const now = deps.clock();
  const given = req.headers["x-request-id"];
  const requestId = typeof given === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
  const headers: Record<string, string> = { "X-Request-Id": requestId };
  if (o.tls) headers["Strict-Transport-Security"] = "max-age=31536000";
  const url = new URL(req.url ?? "/", "http://localhost");
  let routeId = "unmatched";
  let principal: Principal | undefined;
  let status = 500;
  try {
    const file = o.web && (req.method === "GET" || req.method === "HEAD") ? o.web.lookup(url.pathname) : undefined;
    if (file) {
      routeId = "web";
      status = file.status;
      send(res, status, file.contentType, file.body, { ...headers, ...file.headers });
      return;
    }
    let match: { c: Compiled; m: RegExpExecArray } | undefined;
    const allowed: string[] = [];
    for (const c of compiled) {
      const m = c.re.exec(url.pathname);
      if (!m) continue;
      if (c.route.method === req.method || (req.method === "HEAD" && c.route.method === "GET")) {
        match = { c, m };
        break;
      }
      allowed.push(c.route.method);
    }
    if (!match) {
      if (allowed.length) {
        headers.Allow = [...new Set(allowed)].join(", ");
        throw Object.assign(new LongwatchError("usage", `${req.method} is not allowed on ${url.pathname}; use ${headers.Allow}`), { status: 405 });
      }
      throw new LongwatchError("not_found", `no such path: ${url.pathname}`);
    }
    const route = match.c.route;
    routeId = route.id;
    let auth: Authenticated | undefined;
    if (route.role !== "public") {
      auth = await authenticate(req, deps, now);
      principal = auth.principal;
      if (!roleAllows(auth.principal.role, route.role)) throw new LongwatchError("forbidden", `this needs the ${route.role} role; ${auth.principal.kind} "${auth.principal.name}" has ${auth.principal.role}`, { need: route.role, have: auth.principal.role });
    }
    const rawParams: Record<string, string> = {};
    match.c.names.forEach((n, i) => {
      try {
        rawParams[n] = decodeURIComponent(match.m[i + 1]!);
      } catch {
        throw new LongwatchError("usage", `path parameter ${n} is not valid percent-encoding`, { field: `path.${n}` });
      }
    });
    const params = parseWith(route.params, rawParams, "path");
    const rawQuery: Record<string, string> = {};
    for (const [k, v] of url.searchParams) rawQuery[k] = v;
    refuseUnknownQuery(match.c, rawQuery);
    const query = parseWith(route.query, rawQuery, "query");
    let body: unknown;
    let raw: Buffer | undefined;
    if (route.body !== undefined) {
      const type = mediaType(req);
      if ("raw" in route.body) {
        if (type !== undefined && !route.body.raw.includes(type)) throw new LongwatchError("unsupported_media_type", `Content-Type ${type} is not accepted here; send ${route.body.raw.join(", ")}`, { content_type: type });
        raw = await readBody(req, o.maxRawBytes ?? 64 * 2 ** 20);
      } else {
        if (type !== "application/json") throw new LongwatchError("unsupported_media_type", `send the body as application/json${type ? ` (not ${type})` : ""}`, { content_type: type ?? null });
        const text = (await readBody(req, o.maxJsonBytes ?? 2 ** 20)).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          throw new LongwatchError("invalid_input", `the body is not JSON: ${(e as Error).message}`, { field: "body" });
        }
        body = parseWith(route.body, json, "body");
      }
    }
    let audited = 0;
    const ctx: RouteContext<unknown, unknown, unknown> = {
      params,
      query,
      body,
      principal: principal ?? { kind: "account", name: "anonymous", role: "viewer" },
      store: deps.store,
      deps,
      requestId,
      now,
      sourceIp: req.socket.remoteAddress ?? "",
      cookies: cookies(req),
      header: (n, v) => void (headers[n] = v),
      audit: async (note: AuditNote, tx = deps.store) => {
        audited++;
        const who = note.actor ?? principal;
        return tx.access.appendAudit({
          at: new Date(now).toISOString(),
          actor: who?.name ?? "anonymous",
          actor_kind: who?.kind ?? "system",
          ...(who ? { role: who.role } : {}),
          action: note.action ?? route.id,
          target_kind: note.target_kind,
          ...(note.target_id !== undefined ? { target_id: note.target_id } : {}),
          ...(note.before !== undefined ? { before: note.before } : {}),
          ...(note.after !== undefined ? { after: note.after } : {}),
          request_id: requestId,
          source_ip: req.socket.remoteAddress ?? "",
        });
      },
      ...(raw ? { raw } : {}),
      ...(mediaType(req) ? { contentType: mediaType(req)! } : {}),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
    };
    const out = await route.handler(ctx);
    // Every change is in the audit log; a route that did not say what it changed gets the request itself.
    if (route.method !== "GET" && audited === 0 && principal) await ctx.audit({ target_kind: route.tag, ...(typeof rawParams.id === "string" ? { target_id: rawParams.id } : {}), after: body ?? null });
    if (out instanceof StreamReply) {
      status = 200;
      const stop = new AbortController();
      streams.add(stop);
      res.on("close", () => stop.abort());
      res.writeHead(200, { ...SECURITY_HEADERS, ...headers, "Content-Type": out.contentType, "X-Accel-Buffering": "no" });
      const drained = () =>
        new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          if (res.destroyed || !res.writableNeedDrain) return resolve();
          res.once("drain", done);
          res.once("close", done);
        });
      let failed = false;
      try {
        await out.run((chunk) => res.write(chunk), stop.signal, drained);
      } catch (e) {
        // Headers are gone: cut the connection so the client cannot take a truncated answer for a whole one.
        failed = true;
        deps.log("error", "stream failed", { request_id: requestId, route: routeId, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        res.destroy();
      } finally {
        streams.delete(stop);
        if (!failed) res.end();
      }
    } else if (out instanceof Reply) {
      status = out.status;
      const text = typeof out.body === "string" || Buffer.isBuffer(out.body) ? out.body : JSON.stringify(out.body);
      send(res, status, out.contentType, text, headers);
    } else {
      status = route.status ?? 200;
      if (o.validateResponses && !("mediaType" in route.response)) {
        const r = route.response.safeParse(out);
        if (!r.success) throw new LongwatchError("internal", `the answer of ${route.id} does not match its schema: ${z.prettifyError(r.error)}`);
      }
      if (status === 204) {
        res.writeHead(204, { ...SECURITY_HEADERS, ...headers });
        res.end();
      } else send(res, status, "application/json; charset=utf-8", JSON.stringify(out), headers);
    }
  } catch (e) {
    const p = problemOf(e, url.pathname);
    status = (e as { status?: number }).status ?? p.status;
    p.status = status;
    if (p.code === "unauthenticated") headers["WWW-Authenticate"] = 'Bearer realm="longwatch"';
    if (p.code === "rate_limited" && typeof p.retry_after_s === "number") headers["Retry-After"] = String(p.retry_after_s);
    const code = errorCode(e);
    if (code === "internal") deps.log("error", "request failed", { request_id: requestId, route: routeId, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    else if (code === "unauthenticated" || code === "forbidden") deps.log("warn", "request refused", { request_id: requestId, route: routeId, code, reason: (e as LongwatchError).detail?.reason ?? null, ip: req.socket.remoteAddress });
    send(res, status, "application/problem+json", JSON.stringify(p), headers);
    if (!req.complete) req.resume();
  } finally {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    metrics.observe(routeId, req.method ?? "", status, ms);
    deps.log("info", "request", { request_id: requestId, method: req.method, path: url.pathname, route: routeId, status, ms: Math.round(ms * 10) / 10, ...(principal ? { actor: principal.name, actor_kind: principal.kind } : {}) });
  }
}

function parseWith(schema: z.ZodType | undefined, value: unknown, where: "body" | "query" | "path"): unknown {
  if (schema === undefined) return value;
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(where, r.error);
  return r.data;
}
