/**
 * Vulnerabilities: which firmware images contain components with known vulnerabilities, and which of those are being
 * exploited in the wild. One finding per (model, firmware, component, vulnerability), listing every device that runs
 * that firmware. Matching itself lives in vulns/; these rules only group devices and word the findings.
 */
import { z } from "zod";
import { SEVERITIES, type Severity, severityRank } from "../../core/severity.ts";
import { assessFirmware, type FirmwareRef, firmwareKey, type VulnMatch } from "../../vulns/assess.ts";
import { defineRule, type DeviceView, type FindingDraft, type RuleContext } from "../rule.ts";
import { DeviceGroups, plural } from "./group.ts";

/** Devices grouped by the firmware image they run; devices with no model or firmware version cannot be matched. */
function firmwareGroups(): { groups: DeviceGroups<FirmwareRef>; add(v: DeviceView): void } {
  const groups = new DeviceGroups<FirmwareRef>();
  return {
    groups,
    add(v) {
      const model = v.device.model_id;
      const fw = v.device.firmware_version;
      if (model === undefined || fw === undefined) return;
      const ref: FirmwareRef = { model_id: model, firmware_version: fw };
      if (v.model) ref.model = v.model;
      groups.add(firmwareKey(ref), v.device.device_id, ref);
    },
  };
}

function subject(m: VulnMatch): string {
  const c = m.component;
  return [m.model_id, m.firmware_version, c.purl ?? c.cpe ?? `${c.name}@${c.version ?? ""}`, m.vuln_id].join("\0");
}

function componentLabel(m: VulnMatch): string {
  return m.component.firmware ? "the firmware itself" : `${m.component.name}${m.component.version !== undefined ? ` ${m.component.version}` : ""}`;
}

function evidence(m: VulnMatch, devices: string[]): Record<string, unknown> {
  const e: Record<string, unknown> = {
    model_id: m.model_id,
    firmware_version: m.firmware_version,
    component: m.component,
    vulnerability: m.vuln_id,
    aliases: m.aliases,
    advisories: m.advisories,
    summary: m.summary,
    severity_source: m.severity_source,
    cvss: m.cvss,
    cvss_from: m.scored_by,
    fixed_in: m.fixed_in,
    matched: m.matched,
    known_exploited: m.kev !== undefined,
    kev: m.kev,
    epss: m.epss,
    vex: m.vex.length ? m.vex.map((s) => dropUndefined({ status: s.status, justification: s.justification, impact: s.impact, source: s.source })) : undefined,
    references: m.references,
    device_count: devices.length,
  };
  return dropUndefined(e);
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function vexSuppression(m: VulnMatch): FindingDraft["suppression"] {
  const s = m.not_affected_by;
  if (!s) return undefined;
  const why = [s.justification, s.impact].filter((x) => x !== undefined).join(": ");
  return { reason: `VEX (${s.source}): ${s.status.replace("_", " ")}${why ? ` — ${why}` : ""}` };
}

async function reportMatches(ctx: RuleContext<unknown>, groups: DeviceGroups<FirmwareRef>, knownExploited: boolean, draft: (m: VulnMatch, devices: string[]) => FindingDraft | undefined): Promise<void> {
  const entries = [...groups.entries()];
  if (entries.length === 0) return;
  const results = await assessFirmware(ctx.services.store, entries.map(([, g]) => g.info), { knownExploited });
  for (const [key, g] of entries) {
    for (const m of results.get(key) ?? []) {
      const d = draft(m, g.devices);
      if (d) ctx.report(d);
    }
  }
}

/** Default EPSS probability at or above which a vulnerability is raised to at least high. */
export const EPSS_RAISE_AT_DEFAULT = 0.1;

/** vulnerable-component's settings (exported so the device page grades components with the settings a scan stored). */
export const VulnerableComponentParams = z
  .object({
    min_severity: z.enum(SEVERITIES).default("info").describe("Report only vulnerabilities at or above this severity."),
    epss_raise_at: z.number().min(0).max(1).default(EPSS_RAISE_AT_DEFAULT).describe("Raise to at least high when the EPSS probability of exploitation is at or above this."),
  })
  .strict();
export type VulnerableComponentSettings = z.output<typeof VulnerableComponentParams>;

/**
 * How vulnerable-component grades one match: critical when known exploited (KEV), at least high at EPSS ≥
 * epss_raise_at, else the advisory's severity; `reported` is false below min_severity (the rule makes no finding).
 * One function for the rule and the device page, so the two cannot grade differently.
 */
export function gradeVulnerability(m: Pick<VulnMatch, "severity" | "kev" | "epss">, p: VulnerableComponentSettings): { severity: Severity; reason?: string; reported: boolean } {
  let severity: Severity = m.severity;
  let reason: string | undefined;
  if (m.kev) {
    severity = "critical";
    reason = "in CISA's Known Exploited Vulnerabilities catalogue";
  } else if (m.epss && m.epss.epss >= p.epss_raise_at && severityRank(severity) < severityRank("high")) {
    severity = "high";
    reason = `EPSS ${m.epss.epss} ≥ ${p.epss_raise_at}`;
  }
  return { severity, ...(reason !== undefined ? { reason } : {}), reported: severityRank(severity) >= severityRank(p.min_severity) };
}

export const vulnerableComponent = defineRule({
  id: "vulnerable-component",
  family: "vulnerabilities",
  title: "Firmware contains a component with a known vulnerability",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.3-8", "EU-CRA:I.1.2.a", "EU-CRA:I.2.1", "EU-CRA:I.2.2", "NISTIR-8259A:software-update", "OWASP-IoT-2018:I5"],
  rationale:
    "A piece of software inside this firmware has a publicly known weakness. Attackers read the same advisories you do and build tools for them, and a device keeps the weakness until its firmware is updated. Devices stay in the field for years, so these pile up unless updates keep pace.",
  remediation:
    "Check the advisory and the fixed version in the evidence. If the vendor has firmware with the fixed component, roll it out (start with internet-facing devices; `longwatch vulns diff` shows what an upgrade fixes). If not, ask the manufacturer for a fix or a VEX statement saying the device is not affected (import it with `longwatch import advisories`), and reduce exposure meanwhile: close the affected service, restrict who can reach the device.",
  params: VulnerableComponentParams,
  start(ctx) {
    const fg = firmwareGroups();
    return {
      device: (v) => fg.add(v),
      finish: () =>
        reportMatches(ctx, fg.groups, false, (m, devices) => {
          const { severity, reason, reported } = gradeVulnerability(m, ctx.params);
          if (!reported) return undefined;
          const ev = evidence(m, devices);
          if (reason) ev.severity_raised = reason;
          const d: FindingDraft = {
            subject: subject(m),
            model_id: m.model_id,
            devices,
            severity,
            title: `${m.vuln_id} in ${componentLabel(m)} (model ${m.model_id}, firmware ${m.firmware_version}, ${plural(devices.length, "device")})${m.fixed_in ? `; fixed in ${m.fixed_in}` : ""}`,
            evidence: ev,
          };
          const s = vexSuppression(m);
          if (s) d.suppression = s;
          return d;
        }),
    };
  },
});

export const knownExploitedVulnerability = defineRule({
  id: "known-exploited-vulnerability",
  family: "vulnerabilities",
  title: "Firmware contains a vulnerability that is being exploited",
  severity: "critical",
  standards: ["ETSI-EN-303-645:5.3-8", "EU-CRA:I.1.2.a", "EU-CRA:I.2.2", "NISTIR-8259A:software-update", "OWASP-IoT-2018:I5"],
  rationale:
    "CISA lists this vulnerability in its Known Exploited Vulnerabilities catalogue: attackers are using it against real systems now, not in theory. IoT devices are scanned for such weaknesses within days of publication, and botnets recruit them automatically.",
  remediation:
    "Treat it as urgent. Apply the required action from the evidence (usually: update to the fixed firmware) by the KEV due date at the latest; US federal agencies must. If no fix exists, take the affected service off the network or isolate the devices until one does, and watch them for signs of compromise.",
  params: z.object({}).strict(),
  start(ctx) {
    const fg = firmwareGroups();
    return {
      device: (v) => fg.add(v),
      finish: () =>
        reportMatches(ctx, fg.groups, true, (m, devices) => {
          if (!m.kev) return undefined;
          const d: FindingDraft = {
            subject: subject(m),
            model_id: m.model_id,
            devices,
            title: `${m.vuln_id} (known exploited${m.kev.known_ransomware === "Known" ? ", used by ransomware" : ""}) in ${componentLabel(m)} (model ${m.model_id}, firmware ${m.firmware_version}, ${plural(devices.length, "device")})${m.kev.due_date ? `; due ${m.kev.due_date}` : ""}`,
            evidence: evidence(m, devices),
          };
          const s = vexSuppression(m);
          if (s) d.suppression = s;
          return d;
        }),
    };
  },
});

export const vulnerabilityRules = [vulnerableComponent, knownExploitedVulnerability];
