/**
 * The dashboard's files (dist/web, built by `npm ci`) served at `/`: hashed assets with a long cache, and index.html
 * for every dashboard route so a deep link (`/alerts/…`) opens the right page. Paths are resolved inside the folder
 * only; nothing outside it can be read. The dashboard's pages get a CSP that allows their own origin and nothing else.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

export const DASHBOARD_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Top-level paths of the dashboard's routes (FORMATS.md "Dashboard routes"); anything else is a 404. */
const APP_ROUTES = /^\/(?:|devices(?:\/[^/]+)?|findings|alerts(?:\/[^/]+)?|forecast|certify|audit|settings\/tokens)\/?$/;

export interface StaticFile {
  status: number;
  contentType: string;
  body: Buffer;
  headers: Record<string, string>;
}

export class WebApp {
  private readonly root: string;
  private readonly index: Buffer | undefined;

  constructor(dir: string) {
    this.root = resolve(dir);
    const index = join(this.root, "index.html");
    this.index = existsSync(index) ? readFileSync(index) : undefined;
  }

  get available(): boolean {
    return this.index !== undefined;
  }

  /** The file for a GET of `pathname`, or undefined when the path is not the dashboard's. */
  lookup(pathname: string): StaticFile | undefined {
    if (!this.index) return undefined;
    if (APP_ROUTES.test(pathname)) return { status: 200, contentType: TYPES[".html"]!, body: this.index, headers: { "Cache-Control": "no-cache", "Content-Security-Policy": DASHBOARD_CSP } };
    if (!pathname.startsWith("/assets/")) return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    const file = normalize(join(this.root, decoded));
    if (!file.startsWith(this.root + sep) || decoded.includes("\0")) return undefined;
    let size: number;
    try {
      const s = statSync(file);
      if (!s.isFile()) return undefined;
      size = s.size;
    } catch {
      return undefined;
    }
    // Source maps are for developers; an operator who does not want them served can delete dist/web/assets/*.map.
    const body = size > 0 ? readFileSync(file) : Buffer.alloc(0);
    return { status: 200, contentType: TYPES[extname(file)] ?? "application/octet-stream", body, headers: { "Cache-Control": "public, max-age=31536000, immutable" } };
  }
}

/** Where the built dashboard is: dist/web beside dist/ (installed package) or at the repository root (from source). */
export function defaultWebDir(): string {
  const here = import.meta.dirname;
  for (const candidate of [join(here, "..", "..", "web"), join(here, "..", "..", "..", "dist", "web")]) if (existsSync(join(candidate, "index.html"))) return candidate;
  return join(here, "..", "..", "..", "dist", "web");
}
