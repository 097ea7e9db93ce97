/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real `longwatch serve` on a
 * store seeded the way a user seeds one. It signs in, filters findings, suppresses one, triages an alert, checks that
 * a viewer sees no control it may not use, runs axe-core on every page, and writes a screenshot of every page to
 * test-output/dashboard/ (not committed) for a reviewer.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../../src/report/pdf.ts";
import { buildSeededStore } from "../helpers/seeded-fleet.ts";
import { startTestService, type TestService } from "../helpers/serve.ts";
import { tmpDir } from "../helpers/tmp.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const chromium = findChromium();
const built = existsSync(join(ROOT, "dist", "web", "index.html"));
const skip = !chromium ? "Chromium is not installed (apt-get install chromium); .ci/run installs it" : !built ? "the dashboard is not built (npm run build:web; npm ci builds it)" : false;
const SHOTS = join(ROOT, "test-output", "dashboard");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

// Built at the top level: the service helper ties its shutdown to the file's end, not to a hook.
const service: TestService | undefined = skip ? undefined : await startTestService({ storeUrl: await buildSeededStore(tmpDir().dir) });

// Pages whose API is still being built are tested as soon as the service publishes it (its OpenAPI document).
const paths = service ? Object.keys(((await (await service.fetch("/api/v1/openapi.json")).json()) as { paths: Record<string, unknown> }).paths) : [];
const missing = (path: string) => (paths.includes(path) ? false : `the service has no ${path} yet`);

describe("dashboard in Chromium", { skip, timeout: 300_000 }, () => {
  const svc = service!;
  let browser: Browser;
  const consoleErrors: string[] = [];

  before(async () => {
    const { chromium: pw } = await import("playwright-core");
    browser = await pw.launch({ executablePath: chromium!, headless: true, args: CHROMIUM_ARGS });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
  });

  async function signedIn(token: string, theme: "light" | "dark" = "light", width = 1280): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: width < 1280 ? 720 : 860 }, colorScheme: theme });
    const page = await context.newPage();
    // Before signing in, the app's "who am I" probe answers 401 and Chromium logs that as a console error: errors
    // count from the moment the app is signed in.
    let signed = false;
    page.on("console", (m) => { if (m.type() === "error" && signed) consoleErrors.push(`${page.url()}: ${m.text()}`); });
    page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
    // The dashboard must never reach outside its own origin.
    await context.route("**/*", (route) => (route.request().url().startsWith(svc.url) || route.request().url().startsWith("data:") ? route.continue() : route.abort()));
    await page.goto(`${svc.url}/`);
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    signed = true;
    return page;
  }

  async function axe(page: Page): Promise<string[]> {
    // Evaluated through the debugging protocol: the dashboard's CSP rightly refuses an injected inline script.
    await page.evaluate(axeSource);
    const result = (await page.evaluate(async () => (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run({ resultTypes: ["violations"] }))) as { violations: { id: string; impact: string; nodes: unknown[] }[] };
    return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
  }

  it("signs in with a token and shows the overview with coverage, counted in distinct devices", async () => {
    const page = await signedIn(svc.tokens.analyst);
    await page.getByText("Coverage: what Longwatch cannot see").waitFor();
    const devices = await page.locator(".kpi").first().locator(".kpi-value").innerText();
    assert.equal(devices.replace(/,/g, ""), "340");
    assert.match(await page.locator(".coverage").innerText(), /devices with no traffic seen/);
    await page.getByRole("heading", { name: "Alerts raised per day" }).waitFor();
    await page.locator("section.card", { has: page.getByRole("heading", { name: "Alerts raised per day" }) }).locator(".chart canvas").waitFor();
    // The largest blast radius is the ranking the demo stored (whatif --all), never computed while the page waits;
    // the seeded store imports devices after it, so it says it is out of date.
    await page.getByTestId("blast-computed").waitFor();
    assert.match(await page.getByTestId("blast-computed").innerText(), /^Ranked 2026-\d\d-\d\d \d\d:\d\d UTC over 300 devices\. Devices were imported since/);
    assert.ok((await page.locator("section.card", { has: page.getByRole("heading", { name: "Largest blast radius" }) }).locator(".bar-label").count()) > 0);
    await page.close();
  });

  it("shows a single point of compromise as at least the devices it reaches, never 0", { skip: missing("/api/v1/findings/groups") }, async () => {
    const groups = (await (await svc.fetch("/api/v1/findings/groups", { token: svc.tokens.viewer })).json()) as { items: { rule: string; devices: number; devices_at_least?: boolean }[] };
    const spc = groups.items.find((g) => g.rule === "single-point-of-compromise");
    assert.ok(spc && spc.devices > 0 && spc.devices_at_least, JSON.stringify(spc));
    const page = await signedIn(svc.tokens.viewer);
    await page.goto(`${svc.url}/findings?rule=single-point-of-compromise`);
    const row = page.locator("tr.group-row", { hasText: "single-point-of-compromise" });
    await row.waitFor();
    assert.equal((await row.locator("td.num").first().innerText()).replace(/\s+/g, " ").trim(), `≥ ${spc.devices.toLocaleString("en-US")}`);
    await row.getByRole("button", { name: /Show devices/ }).click();
    await page.locator(".nested").getByText(/^reaches [\d,]+ devices$/).first().waitFor();
    await page.context().close();
  });

  it("filters findings through the URL, opens a rule and suppresses one finding with a reason and an expiry", { skip: missing("/api/v1/findings") || missing("/api/v1/suppressions") }, async () => {
    const page = await signedIn(svc.tokens.analyst);
    await page.goto(`${svc.url}/findings?severity=high`);
    const firstRule = page.locator("tr.group-row").first();
    await firstRule.waitFor();
    const ruleId = (await firstRule.locator(".muted.small").innerText()).trim();
    await firstRule.getByRole("button", { name: /Show devices/ }).click();
    assert.equal(new URL(page.url()).searchParams.get("severity"), "high", "the filter lives in the URL");
    const first = (await (await svc.fetch(`/api/v1/findings?rule=${encodeURIComponent(ruleId)}&severity=high&page_size=1`)).json()) as { items: { fingerprint: string }[] };
    await page.getByRole("button", { name: "Suppress…" }).first().click();
    const dialog = page.getByRole("dialog");
    // From the keyboard: the dialog takes the focus (the reason), and Escape closes it without a change.
    // (The focus moves once the dialog has rendered: waited for, briefly, on this loaded machine; a dialog that never
    // takes it fails here.)
    await page.waitForFunction(() => (globalThis as unknown as { document: { activeElement: { tagName: string } | null } }).document.activeElement?.tagName === "TEXTAREA", undefined, { timeout: 5000 }).catch(() => undefined);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { tagName: string } | null } }).document.activeElement?.tagName), "TEXTAREA");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Suppress…" }).first().focus();
    await page.keyboard.press("Enter");
    // Too short a reason is refused by the form and nothing is stored.
    await dialog.getByLabel("Reason (required)").fill("ok");
    await dialog.getByRole("button", { name: "Suppress", exact: true }).click();
    assert.equal(await dialog.count(), 1, "the dialog stays open");
    await dialog.getByLabel("Reason (required)").fill("Accepted until the gateway refresh in Q2 (ticket SEC-101)");
    await dialog.getByLabel(/Expires/).fill("2027-03-31");
    await dialog.getByRole("button", { name: "Suppress", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    const r = await svc.fetch(`/api/v1/suppressions`);
    assert.equal(r.status, 200);
    const body = (await r.json()) as { items: { rule: string; fingerprint?: string; reason: string; expires?: string }[] };
    const made = body.items.find((s) => s.reason.includes("SEC-101"));
    assert.ok(made, JSON.stringify(body));
    assert.equal(made.rule, ruleId);
    assert.equal(made.fingerprint, first.items[0]!.fingerprint, "this finding only (the default scope)");
    assert.equal(made.expires?.slice(0, 10), "2027-03-31");
    const audit = (await (await svc.fetch(`/api/v1/audit-log?target_kind=suppression`)).json()) as { items: { action: string }[] };
    assert.ok(audit.items.length >= 1, "the suppression is in the audit log");
    await page.close();
  });

  it("triages an alert: acknowledge it, then mark it benign, and the API and audit log say so", async () => {
    const page = await signedIn(svc.tokens.analyst);
    await page.goto(`${svc.url}/alerts`);
    const link = page.locator("tbody tr td a").first();
    await link.waitFor();
    await link.click();
    await page.getByRole("heading", { name: "What was seen" }).waitFor();
    const id = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    // Compared with what: the device's measure against its baseline, drawn.
    const compared = page.locator("section.card", { has: page.getByRole("heading", { name: "Compared with what" }) });
    await compared.locator(".chart canvas").waitFor();
    await page.getByRole("heading", { name: "What to do" }).waitFor();
    await page.getByLabel("Comment").fill("Firmware update night: expected traffic");
    await page.getByRole("button", { name: "Acknowledge" }).click();
    await page.getByText("set it acknowledged").waitFor();
    await page.getByRole("button", { name: /Real but harmless/ }).click();
    await page.getByText("judged it benign positive").waitFor();
    const alert = (await (await svc.fetch(`/api/v1/alerts/${encodeURIComponent(id)}`)).json()) as { state: string; verification: string };
    assert.equal(alert.state, "acknowledged");
    assert.equal(alert.verification, "benign_positive");
    const audit = (await (await svc.fetch(`/api/v1/audit-log`)).json()) as { items: { action: string; target_id?: string }[] };
    assert.ok(audit.items.some((e) => e.action === "alerts.verify" && e.target_id === id), "the verdict is in the audit log");
    await page.close();
  });

  it("acknowledges a whole page of alerts at once with one comment", async () => {
    const page = await signedIn(svc.tokens.analyst);
    await page.goto(`${svc.url}/alerts`);
    await page.getByLabel("Select all on this page").check();
    page.once("dialog", (d) => void d.accept("Bulk: reviewed in the weekly triage"));
    await page.getByRole("region", { name: "Selected alerts" }).getByRole("button", { name: "Acknowledge" }).click();
    await page.getByRole("status").filter({ hasText: "updated" }).waitFor();
    const open = (await (await svc.fetch(`/api/v1/alerts?state=acknowledged&page_size=200`)).json()) as { items: unknown[] };
    assert.ok(open.items.length >= 2, `acknowledged: ${open.items.length}`);
    await page.close();
  });

  it("shows a viewer no control a viewer may not use", { skip: missing("/api/v1/findings") }, async () => {
    const page = await signedIn(svc.tokens.viewer);
    await page.goto(`${svc.url}/alerts?state=all`);
    await page.locator("tbody tr").first().waitFor();
    assert.equal(await page.locator('input[type="checkbox"]').count(), 0, "no selection boxes");
    await page.locator("tbody tr td a").first().click();
    await page.getByRole("heading", { name: "What was seen" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Acknowledge" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: /Real but harmless/ }).count(), 0);
    await page.goto(`${svc.url}/findings`);
    await page.locator("tr.group-row").first().getByRole("button").click();
    await page.locator(".nested table").waitFor();
    assert.equal(await page.getByRole("button", { name: "Suppress…" }).count(), 0);
    assert.equal(await page.getByRole("link", { name: "API tokens" }).count(), 0);
    await page.goto(`${svc.url}/`);
    await page.getByRole("heading", { name: "Top problems" }).waitFor();
    // The stored what-if ranking is read-only counts: a viewer sees it too, with nothing to press.
    await page.getByTestId("blast-computed").waitFor();
    assert.equal(await page.locator("section.card", { has: page.getByRole("heading", { name: "Largest blast radius" }) }).getByRole("button").count(), 0);
    await page.goto(`${svc.url}/settings/tokens`);
    await page.locator("main h1, main .error-box").first().waitFor();
    assert.equal(await page.getByRole("button", { name: /Create|Revoke/ }).count(), 0, "no token controls");
    // Whatever the viewer has in front of them, the API refuses the change too.
    const refused = await svc.fetch("/api/v1/suppressions", { method: "POST", token: svc.tokens.viewer, json: { rule: "x", reason: "not allowed" } });
    assert.equal(refused.status, 403);
    await page.close();
  });

  it("gives a viewer every page without a console error, a failed request or a control that changes something", async () => {
    consoleErrors.length = 0;
    const page = await signedIn(svc.tokens.viewer);
    const refused: string[] = [];
    page.on("response", (r) => { if (r.status() >= 400 && new URL(r.url()).pathname.startsWith("/api/")) refused.push(`${page.url()}: ${r.status()} ${new URL(r.url()).pathname}`); });
    const first = ((await (await svc.fetch("/api/v1/alerts?page_size=1")).json()) as { items: { id: string; device_id: string }[] }).items[0]!;
    // The audit log and tokens are admin pages: a viewer is told so and the app never asks the API for them.
    for (const path of ["/", "/alerts", "/findings", "/devices", `/devices/${encodeURIComponent(first.device_id)}`, `/alerts/${encodeURIComponent(first.id)}`, "/forecast", "/certify", "/audit", "/settings/tokens"]) {
      await page.goto(`${svc.url}${path}`);
      await page.locator("main h1").first().waitFor();
      await page.waitForLoadState("networkidle");
      assert.equal(await page.locator('main input[type="checkbox"], main textarea').count(), 0, `${path}: selection boxes or comment fields`);
      assert.equal(await page.locator("main").getByRole("button", { name: /Acknowledge|Resolve|Reopen|Assign|Suppress|Create|Revoke|Approve|Apply|harmless|Real threat|Not a threat/ }).count(), 0, `${path}: a control a viewer may not use`);
    }
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(refused, [], "no page asks the API for what a viewer may not read");
    await page.close();
  });

  const PAGES = ["/", "/alerts", "/findings", "/devices", "/forecast", "/certify", "/audit", "/settings/tokens"];
  for (const theme of ["light", "dark"] as const) {
    it(`renders every page (${theme} theme) without console errors or serious accessibility violations`, async () => {
      consoleErrors.length = 0;
      const page = await signedIn(svc.tokens.admin, theme);
      const problems: string[] = [];
      const alertsList = (await (await svc.fetch("/api/v1/alerts?page_size=1")).json()) as { items: { id: string; device_id: string }[] };
      const first = alertsList.items[0];
      const extra = first ? [`/alerts/${encodeURIComponent(first.id)}`, ...(missing("/api/v1/findings") ? [] : [`/devices/${encodeURIComponent(first.device_id)}`])] : [];
      // No page asks the service to compute a what-if ranking or the forecast over the whole fleet while it waits.
      const computing: string[] = [];
      page.on("request", (r) => {
        const u = new URL(r.url());
        if (u.pathname === "/api/v1/whatif/ranking" || u.pathname === "/api/v1/whatif/compromise") computing.push(`${page.url()}: ${u.pathname}`);
      });
      for (const path of [...PAGES, ...extra]) {
        await page.goto(`${svc.url}${path}`);
        await page.locator("main h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        assert.equal(await page.locator(".error-box").count(), 0, `${path}: ${await page.locator(".error-box").allInnerTexts()}`);
        for (const v of await axe(page)) problems.push(`${path}: ${v}`);
        const name = path === "/" ? "overview" : path.slice(1).replace(/[/%]+/g, "-").slice(0, 60);
        await page.screenshot({ path: join(SHOTS, `${name}-${theme}.png`), fullPage: true });
      }
      assert.deepEqual(problems, []);
      assert.deepEqual(consoleErrors, []);
      assert.deepEqual(computing, []);
      await page.close();
    });
  }

  it("shows the lifecycle forecast and certification status, with a drill-down to provisions and evidence", async () => {
    const page = await signedIn(svc.tokens.viewer);
    const forecast = (await (await svc.fetch("/api/v1/forecast")).json()) as { rows: { year: number; securable: number }[] };
    await page.goto(`${svc.url}/forecast`);
    await page.getByRole("heading", { name: "Year by year" }).waitFor();
    const firstRow = page.locator("section.card", { has: page.getByRole("heading", { name: "Year by year" }) }).locator("tbody tr").first();
    assert.equal(await firstRow.locator("td").first().innerText(), String(forecast.rows[0]!.year));
    assert.equal((await firstRow.locator("td.strong").innerText()).replace(/,/g, ""), String(forecast.rows[0]!.securable));
    assert.equal(await page.locator(".chart canvas").count() > 0, true, "the chart is drawn");
    // The one the demo's scan stored (the seeded store imports more devices after it, so it says it is out of date).
    assert.match(await page.getByTestId("forecast-source").innerText(), /^As of the audit of 2026-11-30 \(scan \d+, finished .* UTC\)\. Devices were imported since/);
    // Which models the devices at risk belong to, for the year chosen (kept in the URL), paged on the server.
    const byModel = page.locator("section.card", { has: page.getByRole("heading", { name: /^Devices at risk by model/ }) });
    const later = forecast.rows[5]!.year;
    await byModel.getByLabel("Year").selectOption(String(later));
    await page.waitForURL(new RegExp(`year=${later}`));
    const models = (await (await svc.fetch(`/api/v1/forecast/models?year=${later}&page_size=10`)).json()) as { items: { model_id: string | null; at_risk: number }[] };
    await byModel.getByRole("heading", { name: new RegExp(`${later}-01-01$`) }).waitFor();
    assert.equal(await byModel.locator("tbody tr").count(), models.items.length);
    assert.equal(await byModel.locator("tbody tr").first().locator("td").first().innerText(), models.items[0]!.model_id ?? "no model");
    assert.equal((await byModel.locator("tbody tr").first().locator("td.num").nth(2).innerText()).replace(/,/g, ""), String(models.items[0]!.at_risk));
    await page.goto(`${svc.url}/certify`);
    await page.getByRole("heading", { name: "Models × standards" }).waitFor();
    const saved = (await (await svc.fetch("/api/v1/assessments")).json()) as { items: { id: number; model_id: string }[] };
    assert.ok(saved.items.length >= 2, "the seeded store has saved assessments");
    const cell = page.locator("table.matrix td button").first();
    await cell.click();
    assert.match(new URL(page.url()).search, /assessment=\d+/, "the drill-down lives in the URL");
    await page.getByRole("heading", { name: "Provisions" }).waitFor();
    assert.ok((await page.locator("h3 + .table-wrap tbody tr").count()) > 3, "provisions are listed");
    assert.match(await page.locator("h3 + .table-wrap tbody").innerText(), /pass|fail|inconclusive|not assessed|not applicable/);
    await page.close();
  });

  it("shows a device's certificate and its firmware components with their CVEs, paged on the server", async () => {
    const page = await signedIn(svc.tokens.viewer, "light", 1024);
    // A device whose image the audit found vulnerable, and that has a certificate.
    const f = ((await (await svc.fetch("/api/v1/findings?rule=vulnerable-component&page_size=1")).json()) as { items: { evidence: { model_id: string; firmware_version: string } }[] }).items[0]!;
    const candidates = ((await (await svc.fetch(`/api/v1/devices?model_id=${encodeURIComponent(f.evidence.model_id)}&firmware_version=${encodeURIComponent(f.evidence.firmware_version)}&page_size=50`)).json()) as { items: { device_id: string; cert_fingerprint?: string }[] }).items;
    const d = candidates.find((x) => x.cert_fingerprint) ?? candidates[0]!;
    const api = (await (await svc.fetch(`/api/v1/devices/${encodeURIComponent(d.device_id)}/components?vulnerable=true&page_size=25`)).json()) as { vulnerable_components: number; items: { vulnerabilities: { vuln_id: string }[] }[] };
    assert.ok(api.vulnerable_components > 0);
    await page.goto(`${svc.url}/devices/${encodeURIComponent(d.device_id)}`);
    const card = page.locator("section.card", { has: page.getByRole("heading", { name: "Firmware components and their CVEs" }) });
    await card.getByTestId("components-summary").waitFor();
    assert.match(await card.getByTestId("components-summary").innerText(), new RegExp(`^${api.vulnerable_components} of \\d+ components of firmware ${f.evidence.firmware_version.replace(/\./g, "\\.")} carry`));
    assert.equal(await card.locator("tbody tr").count(), api.items.length);
    assert.equal(await card.locator(".chip:not(.chip-kev)").count(), api.items.reduce((n, c) => n + c.vulnerabilities.length, 0));
    // All components: the toggle lives in the URL.
    await card.getByRole("button", { name: "All components" }).click();
    await page.waitForURL(/components=all/);
    await card.getByRole("button", { name: "Only vulnerable" }).waitFor();
    if (d.cert_fingerprint) {
      const cert = page.getByTestId("certificate");
      await cert.waitFor();
      assert.match(await cert.innerText(), new RegExp(d.cert_fingerprint));
      assert.match(await cert.innerText(), /Valid\s+\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d/);
    }
    assert.deepEqual(await axe(page), []);
    await page.screenshot({ path: join(SHOTS, "device-components.png"), fullPage: true });
    mkdirSync(join(SHOTS, "1024"), { recursive: true });
    // For docs/dashboard.md: the top of the page, down to the components (the page is longer than the window).
    await page.setViewportSize({ width: 1024, height: 1200 });
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, "1024", "device-components.png") });
    await page.close();
  });

  it("works from 1024 px wide: no page scrolls sideways (wide tables scroll in their own frame)", async () => {
    const page = await signedIn(svc.tokens.admin, "light", 1024);
    const dir = join(SHOTS, "1024");
    mkdirSync(dir, { recursive: true });
    const first = ((await (await svc.fetch("/api/v1/alerts?page_size=1&detector=volume-anomaly")).json()) as { items: { id: string; device_id: string }[] }).items[0]!;
    const wide: string[] = [];
    for (const path of [...PAGES, `/alerts/${encodeURIComponent(first.id)}`, `/devices/${encodeURIComponent(first.device_id)}`, "/findings?severity=high"]) {
      await page.goto(`${svc.url}${path}`);
      await page.locator("main h1").first().waitFor();
      await page.waitForLoadState("networkidle");
      const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
      if (width > 1024) wide.push(`${path}: ${width} px`);
      const name = path === "/" ? "overview" : path.startsWith("/alerts/") ? "alert" : path.startsWith("/devices/") ? "device" : path.slice(1).replace(/[/?=&%]+/g, "-");
      await page.screenshot({ path: join(dir, `${name}.png`) });
    }
    assert.deepEqual(wide, []);
    await page.close();
  });

  it("is usable from the keyboard: skip link, then the navigation", async () => {
    const page = await signedIn(svc.tokens.viewer);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent), "Skip to content");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent), "Overview");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Alerts" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/alerts");
    await page.close();
  });
});
