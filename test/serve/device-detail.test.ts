/**
 * The device page's certificate and firmware-component routes, against a real service on the demo store (certificates,
 * SBOMs and advisory feeds as `longwatch demo` imports them), checked against what the audit itself found.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cli } from "../cli/run-cli.ts";
import { startTestService } from "../helpers/serve.ts";
import { tmpDir } from "../helpers/tmp.ts";

const t = tmpDir();
const made = await cli(["demo", "--no-serve", "--dir", join(t.dir, "demo"), "--devices", "300", "--now", "2026-11-25"], {}, t.dir);
assert.equal(made.code, 0, made.stderr);
const svc = await startTestService({ storeUrl: `sqlite:${join(t.dir, "demo", ".longwatch", "longwatch.db")}`, clock: () => Date.parse("2026-11-25T12:00:00Z") });

type Device = { device_id: string; model_id?: string; firmware_version?: string; cert_fingerprint?: string };
type Vuln = { vuln_id: string; severity: string; kev?: unknown; not_affected?: unknown; severity_raised?: string; below_min_severity?: true };
type ComponentPage = { model_id: string | null; grading: { scan_id: number | null; epss_raise_at: number; min_severity: string; severity?: string }; sbom: { component_count: number } | null; vulnerable_components: number; vulnerabilities: number; known_exploited: number; items: { name: string; version?: string; firmware?: boolean; severity?: string; vulnerabilities: Vuln[] }[]; next_page_token: string | null; total: { count: number } };

async function get<T>(path: string): Promise<T> {
  const r = await svc.fetch(path, { token: svc.tokens.viewer });
  assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
  return (await r.json()) as T;
}
const devices = (await get<{ items: Device[] }>("/api/v1/devices?page_size=1000")).items;

describe("device detail routes", () => {
  it("gives a device's certificate with its validity, key and the date it stops being securable", async () => {
    const d = devices.find((x) => x.cert_fingerprint)!;
    assert.ok(d, "the demo has devices with certificates");
    const c = await get<{ certificate: { fingerprint: string; not_after: string; key_type: string }; expires_in_days: number; secure_until?: string; limits: { kind: string; at: string }[]; algorithms: { role: string }[] }>(`/api/v1/devices/${encodeURIComponent(d.device_id)}/certificate`);
    assert.equal(c.certificate.fingerprint, d.cert_fingerprint);
    assert.equal(c.expires_in_days, Math.floor((Date.parse(c.certificate.not_after) - Date.parse("2026-11-25T12:00:00Z")) / 86_400_000));
    assert.ok(c.limits.some((l) => l.kind === "certificate" && l.at === c.certificate.not_after.slice(0, 10)), "its expiry is one of the limits");
    assert.deepEqual([...c.limits].map((l) => l.at).sort(), c.limits.map((l) => l.at), "earliest first");
    assert.equal(c.secure_until, c.limits[0]?.at);
    assert.ok(c.algorithms.some((a) => a.role === "certificate_key"), "the certificate's key is judged");
    const none = devices.find((x) => !x.cert_fingerprint)!;
    const missing = await svc.fetch(`/api/v1/devices/${encodeURIComponent(none.device_id)}/certificate`, { token: svc.tokens.viewer });
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { detail: string }).detail, /has no certificate/);
    assert.equal((await svc.fetch("/api/v1/devices/no-such-device/certificate", { token: svc.tokens.viewer })).status, 404);
  });

  it("lists a device's firmware components with their CVEs, the same ones the audit reported for its image", async () => {
    // The audit's vulnerable-component findings are per firmware image; pick the image with the most.
    const findings = (await get<{ items: { rule: string; status?: string; suppression?: unknown; evidence: { model_id: string; firmware_version: string; vulnerability: string; component: { name: string; version?: string } } }[] }>("/api/v1/findings?rule=vulnerable-component&page_size=1000")).items;
    assert.ok(findings.length > 0, "the demo has vulnerable components");
    const perImage = new Map<string, string[]>();
    for (const f of findings) {
      const k = `${f.evidence.model_id}@${f.evidence.firmware_version}`;
      perImage.set(k, [...(perImage.get(k) ?? []), `${f.evidence.component.name} ${f.evidence.component.version ?? ""} ${f.evidence.vulnerability}`]);
    }
    const [image, expected] = [...perImage.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
    const d = devices.find((x) => `${x.model_id}@${x.firmware_version}` === image)!;
    const all = await get<ComponentPage>(`/api/v1/devices/${encodeURIComponent(d.device_id)}/components?page_size=1000`);
    assert.ok(all.sbom && all.sbom.component_count > 0, "the image has an SBOM");
    assert.ok(all.total.count >= all.sbom.component_count, "every component of the SBOM is listed");
    assert.deepEqual(all.grading, { scan_id: 1, epss_raise_at: 0.1, min_severity: "info" }, "the demo's scan ran the rule with its defaults");
    const open = all.items.flatMap((c) => c.vulnerabilities.filter((v) => !v.not_affected).map((v) => `${c.name} ${c.version ?? ""} ${v.vuln_id}`));
    const audited = findings.filter((f) => `${f.evidence.model_id}@${f.evidence.firmware_version}` === image && !f.suppression).map((f) => `${f.evidence.component.name} ${f.evidence.component.version ?? ""} ${f.evidence.vulnerability}`);
    assert.deepEqual(open.sort(), audited.sort(), "the page's applying vulnerabilities are the audit's open findings for the image");
    assert.ok(audited.length > 0 && expected.length >= audited.length);
    assert.equal(all.vulnerabilities, open.length);
    // Most severe first; only vulnerable components with vulnerable=true; paged.
    const rank = ["critical", "high", "medium", "low", "info"];
    const sev = all.items.map((c) => (c.severity === undefined ? 9 : rank.indexOf(c.severity)));
    assert.deepEqual(sev, [...sev].sort((a, b) => a - b));
    const vulnerable = await get<ComponentPage>(`/api/v1/devices/${encodeURIComponent(d.device_id)}/components?vulnerable=true&page_size=2`);
    assert.equal(vulnerable.total.count, all.vulnerable_components);
    assert.equal(vulnerable.items.length, Math.min(2, all.vulnerable_components));
    assert.ok(vulnerable.items.every((c) => c.severity !== undefined));
    if (vulnerable.next_page_token) {
      const next = await get<ComponentPage>(`/api/v1/devices/${encodeURIComponent(d.device_id)}/components?vulnerable=true&page_size=2&page_token=${encodeURIComponent(vulnerable.next_page_token)}`);
      assert.notDeepEqual(next.items.map((c) => c.name + c.version), vulnerable.items.map((c) => c.name + c.version));
    }
    // A KEV entry is graded critical, as the rule grades it.
    for (const c of all.items) for (const v of c.vulnerabilities) if (v.kev) assert.equal(v.severity, "critical");
  });

  it("says so when the device's firmware has no component inventory", async () => {
    const d = (await get<{ items: Device[] }>("/api/v1/devices?missing=firmware_inventory&page_size=1")).items[0];
    assert.ok(d, "the demo has devices whose firmware has no SBOM");
    const page = await get<ComponentPage>(`/api/v1/devices/${encodeURIComponent(d.device_id)}/components`);
    assert.equal(page.sbom, null);
    assert.ok(page.items.every((c) => c.firmware), "only the firmware image itself can be matched (advisories about the product)");
  });

  // Last: it re-scans the store with settings of its own.
  it("grades the components with the settings the newest scan ran vulnerable-component with, as that scan's findings are", async () => {
    const config = join(t.dir, "longwatch.yaml");
    writeFileSync(config, "rules:\n  vulnerable-component:\n    severity: low\n    params: { min_severity: critical, epss_raise_at: 1 }\n");
    const scanned = await cli(["scan", "--config", config, "--now", "2026-11-25"], {}, join(t.dir, "demo"));
    assert.ok(scanned.code === 0 || scanned.code === 1, scanned.stderr);
    type F = { severity: string; suppression?: unknown; evidence: { model_id: string; firmware_version: string; vulnerability: string; component: { name: string; version?: string } } };
    const findings = (await get<{ items: F[] }>("/api/v1/findings?rule=vulnerable-component&page_size=1000")).items.filter((f) => !f.suppression);
    assert.ok(findings.length > 0 && findings.every((f) => f.severity === "low"), "the scan took the severity set for the rule");
    const images = [...new Set(devices.filter((x) => x.model_id && x.firmware_version).map((x) => `${x.model_id}@${x.firmware_version}`))];
    let below = 0;
    for (const image of images) {
      const d = devices.find((x) => `${x.model_id}@${x.firmware_version}` === image)!;
      const page = await get<ComponentPage>(`/api/v1/devices/${encodeURIComponent(d.device_id)}/components?vulnerable=true&page_size=1000`);
      assert.equal(page.grading.epss_raise_at, 1);
      assert.equal(page.grading.min_severity, "critical");
      assert.equal(page.grading.severity, "low");
      assert.ok(page.grading.scan_id !== null && page.grading.scan_id > 1, "the newest scan's settings");
      const vulns = page.items.flatMap((c) => c.vulnerabilities.filter((v) => !v.not_affected).map((v) => ({ ...v, key: `${c.name} ${c.version ?? ""} ${v.vuln_id}` })));
      below += vulns.filter((v) => v.below_min_severity).length;
      const reported = vulns.filter((v) => !v.below_min_severity);
      const audited = findings.filter((f) => `${f.evidence.model_id}@${f.evidence.firmware_version}` === image);
      assert.deepEqual(reported.map((v) => `${v.key} ${v.severity}`).sort(), audited.map((f) => `${f.evidence.component.name} ${f.evidence.component.version ?? ""} ${f.evidence.vulnerability} ${f.severity}`).sort(), `${image}: the page grades as the scan's findings`);
    }
    assert.ok(below > 0, "some vulnerabilities are below the rule's min_severity: the page marks them, the scan made no finding");
  });
});
