/**
 * HTML → PDF through a headless Chromium already installed on the machine (Debian's `chromium` package), driven by
 * playwright-core. Longwatch never downloads a browser: when none is found the caller gets a clear reason to show.
 * Each render uses a fresh, throwaway profile and blocks every network request, so a report can't phone home and
 * renders the same offline.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

/** Flags for a headless Chromium that makes no request of its own (updates, sync, QUIC); the dashboard tests use them too. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export type PdfResult = { ok: true; pdf: Buffer; ms: number } | { ok: false; reason: "no-browser" | "failed"; message: string };

/** The Chromium to use: LONGWATCH_CHROMIUM when set, else the first of the usual install paths that exists. */
export function findChromium(env: Record<string, string | undefined> = process.env): string | undefined {
  const given = env.LONGWATCH_CHROMIUM;
  if (given !== undefined && given !== "") return existsSync(given) ? given : undefined;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

export const NO_BROWSER_MESSAGE =
  "PDF output needs Chromium, and none was found (looked at LONGWATCH_CHROMIUM and " +
  `${CHROMIUM_CANDIDATES.join(", ")}). Install it from your distribution (Debian/Ubuntu: apt-get install chromium) or point ` +
  "LONGWATCH_CHROMIUM at a Chromium or Chrome binary. --format html writes the same report without a browser.";

export async function htmlToPdf(html: string, opts: { env?: Record<string, string | undefined>; footer?: string; timeoutMs?: number } = {}): Promise<PdfResult> {
  const executablePath = findChromium(opts.env);
  if (executablePath === undefined) return { ok: false, reason: "no-browser", message: NO_BROWSER_MESSAGE };
  const started = Date.now();
  const profile = await mkdtemp(join(tmpdir(), "longwatch-chromium-"));
  try {
    // Imported here so that commands that never print a PDF don't load playwright.
    const { chromium } = await import("playwright-core");
    const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS, timeout: opts.timeoutMs ?? 60_000, offline: true });
    try {
      const page = await context.newPage();
      await page.route("**/*", (route) => (route.request().url().startsWith("data:") ? route.continue() : route.abort()));
      await page.setContent(html, { waitUntil: "load", timeout: opts.timeoutMs ?? 60_000 });
      const pdf = await page.pdf({
        format: "A4",
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: true,
        headerTemplate: "<span></span>",
        footerTemplate: `<div style="font-size:8px;width:100%;padding:0 12mm;color:#667085;display:flex;justify-content:space-between"><span>${escapeFooter(opts.footer ?? "Longwatch self-assessment")}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`,
      });
      return { ok: true, pdf, ms: Date.now() - started };
    } finally {
      await context.close();
    }
  } catch (e) {
    return { ok: false, reason: "failed", message: `Chromium at ${executablePath} could not render the PDF: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` };
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

function escapeFooter(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
