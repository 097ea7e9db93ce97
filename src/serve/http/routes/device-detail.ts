/**
 * What the device page shows beyond the device record: its certificate, read out and judged (expiry, issuing CA,
 * key and signature hash against the crypto policy, the date it stops being securable), and the components of its
 * firmware image with the vulnerabilities each one carries (severity, KEV, EPSS, VEX, the fixed version). Both are
 * about one device, so they read one certificate and one firmware image — never the fleet.
 */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { formatIsoDate } from "../../../core/dates.ts";
import { SEVERITIES, maxSeverity, type Severity } from "../../../core/severity.ts";
import { gradeVulnerability, vulnerableComponent, VulnerableComponentParams, type VulnerableComponentSettings } from "../../../audit/rules/vulnerabilities.ts";
import { loadCryptoPolicy } from "../../../lifecycle/policy.ts";
import { LifecycleAssessor } from "../../../lifecycle/secure-until.ts";
import type { FleetDevice } from "../../../store/store.ts";
import { assessFirmware, firmwareKey, type VulnMatch } from "../../../vulns/assess.ts";
import { memoryPage, pageQuery } from "../lists.ts";
import { route, type RouteContext } from "../route.ts";

const DAY = 86_400_000;
/** 0 = critical … 4 = info. */
const SEV_RANK = new Map(SEVERITIES.map((s, i) => [s, i]));
const IdParam = z.object({ id: z.string().min(1) });
const date = (ms: number | undefined) => (ms === undefined ? undefined : formatIsoDate(ms));

const AlgorithmOut = z.object({
  name: z.string(),
  role: z.enum(["key_exchange", "signature", "certificate_key", "certificate_signature_hash"]),
  strength: z.number().optional().describe("Security strength in bits."),
  quantum_vulnerable: z.boolean(),
  deprecated_from: z.string().optional(),
  disallowed_from: z.string().optional(),
  source: z.string().optional().describe("Where the policy's date comes from (NIST SP 800-131A, NIST IR 8547 …)."),
});

const CertificateDetail = z
  .object({
    device_id: z.string(),
    certificate: z.object({
      fingerprint: z.string(),
      subject: z.string(),
      issuer: z.string(),
      serial: z.string(),
      not_before: z.string(),
      not_after: z.string(),
      key_type: z.string(),
      key_bits: z.number().int(),
      curve: z.string().optional(),
      sig_alg: z.string(),
      sig_hash: z.string(),
      self_issued: z.boolean(),
      self_signed: z.boolean(),
      is_ca: z.boolean(),
      roca: z.boolean().describe("The RSA modulus carries the ROCA (CVE-2017-15361) fingerprint: the private key can be recovered."),
      chain_length: z.number().int(),
      issuer_not_after: z.string().optional(),
      issuer_fingerprint: z.string().optional().describe("What `whatif compromise ca:` names."),
      key_fingerprint: z.string().optional().describe("Equal on two certificates: the same key pair."),
      version: z.number().int().optional(),
    }),
    expires_in_days: z.number().int().describe("Days from now to not_after (negative: expired)."),
    issuer_expires_in_days: z.number().int().optional(),
    secure_until: z.string().optional().describe("The earliest of certificate expiry, CA expiry, support end and the crypto policy disallowing an algorithm the device uses."),
    limiting: z.object({ kind: z.string(), at: z.string(), detail: z.string() }).optional().describe("What ends first."),
    limits: z.array(z.object({ kind: z.enum(["certificate", "issuer_certificate", "support", "crypto"]), at: z.string(), detail: z.string() })),
    algorithms: z.array(AlgorithmOut).describe("The certificate's key and signature hash, and the model's declared algorithms, judged by the shipped crypto policy."),
    policy_version: z.string(),
  })
  .meta({ id: "CertificateDetail" });

const VulnerabilityOut = z.object({
  vuln_id: z.string().describe("The CVE when there is one, else the advisory's id."),
  aliases: z.array(z.string()),
  summary: z.string().optional(),
  severity: z.enum(SEVERITIES).describe("As vulnerable-component grades it with the settings of the newest scan that ran it (`grading`): the severity set for the rule when there is one, else critical when known exploited (KEV), at least high at EPSS ≥ epss_raise_at, else the advisory's."),
  severity_raised: z.string().optional().describe("Why it is graded other than the advisory's own severity."),
  below_min_severity: z.literal(true).optional().describe("Graded below the rule's min_severity: the scan makes no finding of it."),
  cvss: z.object({ version: z.string(), score: z.number(), vector: z.string().optional() }).optional(),
  kev: z.object({ date_added: z.string().optional(), due_date: z.string().optional(), required_action: z.string().optional(), known_ransomware: z.string().optional() }).optional().describe("In CISA's Known Exploited Vulnerabilities catalogue."),
  epss: z.object({ epss: z.number(), percentile: z.number(), date: z.string().optional() }).optional().describe("Probability of exploitation in the next 30 days (FIRST EPSS)."),
  fixed_in: z.string().optional(),
  not_affected: z.object({ status: z.string(), justification: z.string().optional(), source: z.string() }).optional().describe("A VEX statement says it does not apply here (not_affected or fixed)."),
  because: z.string().describe("How it matched: the key and the version range the component's version fell in."),
  references: z.array(z.string()),
});
const ComponentOut = z.object({
  name: z.string(),
  version: z.string().optional(),
  purl: z.string().optional(),
  cpe: z.string().optional(),
  firmware: z.boolean().optional().describe("The firmware image itself (advisories about the device product)."),
  severity: z.enum(SEVERITIES).optional().describe("The most severe vulnerability that applies (not VEX not_affected); absent when none."),
  vulnerabilities: z.array(VulnerabilityOut),
});
const ComponentsPage = z
  .object({
    device_id: z.string(),
    model_id: z.string().nullable(),
    firmware_version: z.string().nullable(),
    sbom: z.object({ format: z.string(), source: z.string(), imported_at: z.string(), component_count: z.number().int() }).nullable().describe("The image's component inventory; null when none was imported (longwatch import sbom): then nothing can be said about its components."),
    grading: z
      .object({
        scan_id: z.number().int().nullable().describe("The scan whose stored settings grade the vulnerabilities; null: none ran vulnerable-component, its defaults are used."),
        epss_raise_at: z.number(),
        min_severity: z.enum(SEVERITIES),
        severity: z.enum(SEVERITIES).optional().describe("The severity set for the rule, which every finding of it takes."),
      })
      .describe("vulnerable-component's settings the page grades with, so it agrees with the scan's findings."),
    vulnerable_components: z.number().int().describe("Components with a vulnerability that applies, in the whole image."),
    vulnerabilities: z.number().int().describe("Vulnerabilities that apply (not VEX not_affected), in the whole image."),
    known_exploited: z.number().int().describe("Of them, in the KEV catalogue."),
    items: z.array(ComponentOut),
    next_page_token: z.string().nullable(),
    total: z.object({ count: z.number().int(), type: z.literal("exact") }),
  })
  .meta({ id: "DeviceComponentPage" });

async function deviceOf(ctx: Pick<RouteContext<{ id: string }, unknown, unknown>, "params" | "store">): Promise<FleetDevice> {
  const d = await ctx.store.fleet.getDevice(ctx.params.id);
  if (!d) throw new LongwatchError("not_found", `no device ${ctx.params.id}`, { device_id: ctx.params.id });
  return d;
}

/**
 * How the vulnerable-component rule grades this image's vulnerabilities: with the settings the newest scan that ran it
 * stored (its params and the severity set for the rule), so the page and that scan's findings agree; the rule's
 * defaults when no scan ran it (or one from before scans kept their settings).
 */
interface Grading {
  scan_id: number | null;
  params: VulnerableComponentSettings;
  severity?: Severity;
}
async function grading(ctx: Pick<RouteContext<unknown, unknown, unknown>, "store">): Promise<Grading> {
  const stored = await ctx.store.findings.ruleSettings(vulnerableComponent.id);
  if (!stored) return { scan_id: null, params: VulnerableComponentParams.parse({}) };
  const p = VulnerableComponentParams.safeParse(stored.params);
  if (!p.success) {
    throw new LongwatchError("invalid_config", `scan ${stored.scan_id} stored settings for ${vulnerableComponent.id} this version does not accept (${p.error.issues.map((i) => `params.${i.path.join(".")}: ${i.message}`).join("; ")}): run a scan to store current ones`, { scan_id: stored.scan_id, rule: vulnerableComponent.id });
  }
  return { scan_id: stored.scan_id, params: p.data, ...(stored.severity ? { severity: stored.severity } : {}) };
}

function vulnerabilityOut(m: VulnMatch, g: Grading): z.infer<typeof VulnerabilityOut> {
  const graded = gradeVulnerability(m, g.params);
  // A severity set for the rule wins over its own grading, as in the scan's findings.
  const severity = g.severity ?? graded.severity;
  const why = g.severity !== undefined ? `the severity set for ${vulnerableComponent.id} (scan ${g.scan_id})` : graded.reason;
  const v: z.infer<typeof VulnerabilityOut> = { vuln_id: m.vuln_id, aliases: m.aliases, severity, ...(severity !== m.severity && why ? { severity_raised: why } : {}), ...(graded.reported ? {} : { below_min_severity: true as const }), because: m.matched.map((x) => `${x.key} ${x.version ?? ""} ${x.because}`.replace(/\s+/g, " ").trim()).join("; "), references: m.references.slice(0, 5) };
  if (m.summary !== undefined) v.summary = m.summary;
  if (m.cvss) v.cvss = m.cvss;
  if (m.kev) v.kev = { ...(m.kev.date_added ? { date_added: m.kev.date_added } : {}), ...(m.kev.due_date ? { due_date: m.kev.due_date } : {}), ...(m.kev.required_action ? { required_action: m.kev.required_action } : {}), ...(m.kev.known_ransomware ? { known_ransomware: m.kev.known_ransomware } : {}) };
  if (m.epss) v.epss = { epss: m.epss.epss, percentile: m.epss.percentile, ...(m.epss.date ? { date: m.epss.date } : {}) };
  if (m.fixed_in !== undefined) v.fixed_in = m.fixed_in;
  if (m.not_affected_by) v.not_affected = { status: m.not_affected_by.status, source: m.not_affected_by.source, ...(m.not_affected_by.justification ? { justification: m.not_affected_by.justification } : {}) };
  return v;
}

/** Most severe first (KEV before others of the same severity), then by name. */
type ComponentRow = z.infer<typeof ComponentOut>;
function byRisk(a: ComponentRow, b: ComponentRow): number {
  const sa = a.severity === undefined ? 99 : SEV_RANK.get(a.severity)!;
  const sb = b.severity === undefined ? 99 : SEV_RANK.get(b.severity)!;
  const ka = a.vulnerabilities.some((v) => v.kev && !v.not_affected) ? 0 : 1;
  const kb = b.vulnerabilities.some((v) => v.kev && !v.not_affected) ? 0 : 1;
  return sa - sb || ka - kb || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || ((a.version ?? "") < (b.version ?? "") ? -1 : 1);
}

export const deviceDetailRoutes = [
  route({
    id: "devices.certificate",
    method: "GET",
    path: "/api/v1/devices/{id}/certificate",
    role: "viewer",
    tag: "devices",
    summary: "The device's certificate: subject, issuer, validity, key and signature, judged against the crypto policy, and the date the device stops being securable",
    params: IdParam,
    response: CertificateDetail,
    handler: async (ctx) => {
      const d = await deviceOf(ctx);
      if (!d.certificate) {
        throw new LongwatchError("not_found", `device ${ctx.params.id} has no certificate${d.device.cert_fingerprint ? ` stored (fingerprint ${d.device.cert_fingerprint})` : ""}: import it with the inventory's cert_file column`, { device_id: ctx.params.id });
      }
      const c = d.certificate;
      const model = d.device.model_id !== undefined ? (await ctx.store.fleet.models()).find((m) => m.model_id === d.device.model_id) : undefined;
      const policy = loadCryptoPolicy();
      const l = new LifecycleAssessor(policy).assess({ device: d.device, certificate: c, ...(model ? { model } : {}) });
      const days = (iso: string) => Math.floor((Date.parse(iso) - ctx.now) / DAY);
      const { fingerprint, subject, issuer, serial, not_before, not_after, key_type, key_bits, sig_alg, sig_hash, self_issued, self_signed, is_ca, roca, chain_length } = c;
      const certificate = { fingerprint, subject, issuer, serial, not_before, not_after, key_type, key_bits, sig_alg, sig_hash, self_issued, self_signed, is_ca, roca, chain_length,
        ...(c.curve !== undefined ? { curve: c.curve } : {}), ...(c.issuer_not_after !== undefined ? { issuer_not_after: c.issuer_not_after } : {}), ...(c.issuer_fingerprint !== undefined ? { issuer_fingerprint: c.issuer_fingerprint } : {}),
        ...(c.key_fingerprint !== undefined ? { key_fingerprint: c.key_fingerprint } : {}), ...(c.version !== undefined ? { version: c.version } : {}) };
      return {
        device_id: d.device.device_id,
        certificate,
        expires_in_days: days(c.not_after),
        ...(c.issuer_not_after !== undefined ? { issuer_expires_in_days: days(c.issuer_not_after) } : {}),
        ...(l.secure_until !== undefined ? { secure_until: date(l.secure_until)! } : {}),
        ...(l.limiting ? { limiting: { kind: l.limiting.kind, at: date(l.limiting.at)!, detail: l.limiting.detail } } : {}),
        limits: [...l.limits].sort((a, b) => a.at - b.at).map((x) => ({ kind: x.kind, at: date(x.at)!, detail: x.detail })),
        algorithms: l.crypto.algorithms.map((u) => ({ name: u.name, role: u.role, quantum_vulnerable: u.quantum_vulnerable, ...(u.strength !== undefined ? { strength: u.strength } : {}), ...(u.deprecated_from ? { deprecated_from: u.deprecated_from } : {}), ...(u.disallowed_from ? { disallowed_from: u.disallowed_from } : {}), ...(u.source ? { source: u.source } : {}) })),
        policy_version: policy.version,
      };
    },
  }),
  route({
    id: "devices.components",
    method: "GET",
    path: "/api/v1/devices/{id}/components",
    role: "viewer",
    tag: "devices",
    summary: "The components of the device's firmware image (its SBOM) with the vulnerabilities each carries: severity, CVSS, KEV, EPSS, VEX, the fixed version; most severe first, paged",
    description: "Matched for this one image when asked (the same matching the vulnerability rules use), so it reflects the advisories imported since the last scan. `vulnerable=true` lists only the components with a vulnerability that applies.",
    params: IdParam,
    query: z.object({ vulnerable: z.enum(["true", "false"]).default("false"), page_size: pageQuery.page_size, page_token: pageQuery.page_token }),
    response: ComponentsPage,
    handler: async (ctx) => {
      const d = await deviceOf(ctx);
      const { model_id, firmware_version } = d.device;
      const g = await grading(ctx);
      const gradingOut = { scan_id: g.scan_id, epss_raise_at: g.params.epss_raise_at, min_severity: g.params.min_severity, ...(g.severity ? { severity: g.severity } : {}) };
      const empty = { device_id: d.device.device_id, model_id: model_id ?? null, firmware_version: firmware_version ?? null, sbom: null, grading: gradingOut, vulnerable_components: 0, vulnerabilities: 0, known_exploited: 0, items: [], next_page_token: null, total: { count: 0, type: "exact" as const } };
      if (model_id === undefined || firmware_version === undefined) return empty;
      const sbom = (await ctx.store.vulns.sboms()).find((s) => s.model_id === model_id && s.firmware_version === firmware_version);
      const model = (await ctx.store.fleet.models()).find((m) => m.model_id === model_id);
      const ref = { model_id, firmware_version, ...(model ? { model } : {}) };
      const [components, matches] = await Promise.all([sbom ? ctx.store.vulns.components(model_id, firmware_version) : Promise.resolve([]), assessFirmware(ctx.store, [ref]).then((m) => m.get(firmwareKey(ref)) ?? [])]);
      // One row per component (name, version, purl), with its vulnerabilities; the image itself when advisories name it.
      const key = (c: { name: string; version?: string; purl?: string }) => `${c.name}\0${c.version ?? ""}\0${c.purl ?? ""}`;
      const rows = new Map<string, ComponentRow>();
      for (const c of components) rows.set(key(c), { name: c.name, ...(c.version !== undefined ? { version: c.version } : {}), ...(c.purl !== undefined ? { purl: c.purl } : {}), ...(c.cpe !== undefined ? { cpe: c.cpe } : {}), vulnerabilities: [] });
      for (const m of matches) {
        let row = rows.get(key(m.component));
        if (!row) {
          row = { name: m.component.name, ...(m.component.version !== undefined ? { version: m.component.version } : {}), ...(m.component.purl !== undefined ? { purl: m.component.purl } : {}), ...(m.component.firmware ? { firmware: true } : {}), vulnerabilities: [] };
          rows.set(key(m.component), row);
        }
        row.vulnerabilities.push(vulnerabilityOut(m, g));
      }
      let applying = 0;
      let kev = 0;
      let vulnerableComponents = 0;
      for (const row of rows.values()) {
        const open = row.vulnerabilities.filter((v) => !v.not_affected);
        row.vulnerabilities.sort((a, b) => SEV_RANK.get(a.severity)! - SEV_RANK.get(b.severity)! || (b.cvss?.score ?? 0) - (a.cvss?.score ?? 0) || (a.vuln_id < b.vuln_id ? -1 : 1));
        if (open.length) {
          row.severity = open.map((v) => v.severity).reduce(maxSeverity);
          vulnerableComponents++;
          applying += open.length;
          kev += open.filter((v) => v.kev).length;
        }
      }
      const list = [...rows.values()].filter((r) => ctx.query.vulnerable === "false" || r.severity !== undefined).sort(byRisk);
      const page = memoryPage(`components:${d.device.device_id}:${ctx.query.vulnerable}`, ctx.query.page_token, ctx.query.page_size, list, false);
      return {
        ...empty,
        sbom: sbom ? { format: sbom.format, source: sbom.source, imported_at: sbom.imported_at, component_count: sbom.component_count } : null,
        vulnerable_components: vulnerableComponents,
        vulnerabilities: applying,
        known_exploited: kev,
        items: page.items,
        next_page_token: page.next_page_token,
        total: { count: page.total.count, type: "exact" as const },
      };
    },
  }),
];
