/**
 * The shared part of the local provider API servers: a real HTTP server on a free port, JSON and form bodies,
 * bearer tokens it issued, a request log (so tests can check what was sent, and that no secret leaked into a URL),
 * injected failures (`failNext`), and changes that land only after `delayMs` — or never (`neverArrive`).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface Answer {
  status: number;
  json?: unknown;
  headers?: Record<string, string>;
}

export interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

export interface Pending<T> {
  at: number;
  apply(x: T): void;
}

export class ProviderServer {
  url = "";
  readonly requests: Seen[] = [];
  private readonly failures: Answer[] = [];
  private readonly tokens = new Set<string>();
  delayMs = 200;
  neverArrive = false;
  private server = createServer((req, res) => void this.handle(req, res));

  constructor(private readonly route: (s: ProviderServer, req: Seen) => Answer) {}

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  /** The next request gets this answer instead (e.g. 429 with Retry-After, or 401). */
  failNext(a: Answer): void {
    this.failures.push(a);
  }

  issueToken(): string {
    const t = randomBytes(16).toString("hex");
    this.tokens.add(t);
    return t;
  }

  /** Every token issued so far stops working (as when a provider rotates or expires them early). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  authorised(req: Seen): boolean {
    const h = req.headers.authorization ?? "";
    return h.startsWith("Bearer ") && this.tokens.has(h.slice(7));
  }

  /** When a change requested now shows on reads. */
  landsAt(): number {
    return this.neverArrive ? Number.POSITIVE_INFINITY : Date.now() + this.delayMs;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const type = req.headers["content-type"] ?? "";
    let body: unknown = raw;
    try {
      body = type.includes("json") && raw ? JSON.parse(raw) : type.includes("x-www-form-urlencoded") ? Object.fromEntries(new URLSearchParams(raw)) : raw;
    } catch {
      body = raw;
    }
    const seen: Seen = { method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body };
    this.requests.push(seen);
    const a = this.failures.shift() ?? this.route(this, seen);
    res.writeHead(a.status, { ...(a.json !== undefined ? { "content-type": "application/json" } : {}), ...a.headers });
    res.end(a.json !== undefined ? JSON.stringify(a.json) : "");
  }
}

/** Applies the changes whose time has come. */
export function settle<T>(x: T & { pending: Pending<T>[] }): T {
  const now = Date.now();
  const due = x.pending.filter((p) => p.at <= now);
  x.pending = x.pending.filter((p) => p.at > now);
  for (const p of due) p.apply(x);
  return x;
}
