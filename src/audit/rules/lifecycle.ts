/**
 * Lifecycle: will each device still be securable until it is retired? The dates come from lifecycle/ (certificate and
 * CA expiry, support end, the crypto policy); these rules group devices by model and say what ends when.
 */
import { fileParam } from "../file-params.ts";
import { z } from "zod";
import { formatIsoDate, yearsBetween } from "../../core/dates.ts";
import type { Severity } from "../../core/severity.ts";
import { type AlgorithmUse, type DeviceLifecycle, type LifecycleAssessor, sharedAssessor as assessor } from "../../lifecycle/secure-until.ts";
import { defineRule, type DeviceView } from "../rule.ts";
import { DeviceGroups, plural } from "./group.ts";

const policyParam = fileParam(z.string().optional().describe("YAML file overriding the shipped crypto policy (data/crypto-policy.yaml); relative to the config file."));
const NO_MODEL = "(no model)";
const round1 = (n: number) => Math.round(n * 10) / 10;
const date = (ms: number | undefined) => (ms === undefined ? undefined : formatIsoDate(ms));

function lifecycleOf(a: LifecycleAssessor, v: DeviceView): DeviceLifecycle {
  const input: Parameters<LifecycleAssessor["assess"]>[0] = { device: v.device };
  if (v.model) input.model = v.model;
  if (v.certificate) input.certificate = v.certificate;
  return a.assess(input);
}

function algorithmEvidence(list: readonly AlgorithmUse[]): Record<string, unknown>[] {
  return list.map((u) => {
    const e: Record<string, unknown> = { name: u.name, role: u.role };
    for (const k of ["family", "strength", "deprecated_from", "disallowed_from", "rule", "source", "strength_unknown", "hybrid_with"] as const) if (u[k] !== undefined) e[k] = u[k];
    e.quantum_vulnerable = u.quantum_vulnerable;
    return e;
  });
}

interface Span {
  model: string;
  detail: string;
  earliest: number;
  latest: number;
  retireLatest: number;
  gapMax: number;
}

export const outlivesSecurity = defineRule({
  id: "outlives-security",
  family: "lifecycle",
  title: "Device stays in the field after it stops being securable",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.3-13", "EU-CRA:I.2.2", "NISTIR-8259A:software-update", "OWASP-IoT-2018:I8"],
  rationale:
    "Every device has a date after which it can no longer be kept secure: its identity certificate or its CA expires, the manufacturer stops fixing it, or its cryptography is no longer allowed. These devices are planned to stay in the field longer than that, and for those years they will run with weaknesses nobody fixes.",
  remediation:
    "Look at what ends first (in the evidence). Certificates can usually be renewed over the air: plan the renewal. For support, negotiate an extension that covers the planned life, or plan replacement. For cryptography, plan the migration (see crypto-disallowed-before-retirement). If none is possible, bring the retirement forward and budget the replacement now.",
  params: z
    .object({
      crypto_policy: policyParam,
      high_years: z.number().min(0).default(2).describe("Years in the field after security ends from which the finding is high severity."),
    })
    .strict(),
  start(ctx) {
    const a = assessor(ctx.params.crypto_policy);
    const groups = new DeviceGroups<Span>();
    return {
      device(v) {
        const l = lifecycleOf(a, v);
        if (l.secure_until === undefined || l.retirement === undefined || l.retirement <= l.secure_until) return;
        const model = l.model_id ?? NO_MODEL;
        // Years in the field without security from now on: an end that is already past counts from today.
        const gap = yearsBetween(Math.max(l.secure_until, ctx.now), l.retirement);
        if (gap <= 0) return;
        const info = groups.add(`${model}\0${l.limiting!.kind}`, l.device_id, { model, detail: l.limiting!.detail, earliest: l.secure_until, latest: l.secure_until, retireLatest: l.retirement, gapMax: gap });
        info.earliest = Math.min(info.earliest, l.secure_until);
        info.latest = Math.max(info.latest, l.secure_until);
        info.retireLatest = Math.max(info.retireLatest, l.retirement);
        info.gapMax = Math.max(info.gapMax, gap);
      },
      finish() {
        for (const [key, g] of groups.entries()) {
          const s = g.info;
          const gap = round1(s.gapMax);
          const past = s.earliest <= ctx.now;
          const severity: Severity = past || gap >= ctx.params.high_years ? "high" : "medium";
          const when = s.earliest === s.latest ? date(s.earliest) : `${date(s.earliest)}–${date(s.latest)}`;
          ctx.report({
            subject: key,
            ...(s.model !== NO_MODEL ? { model_id: s.model } : {}),
            devices: g.devices,
            severity,
            title: past
              ? `${plural(g.devices.length, "device")} of model ${s.model} are no longer securable (${s.detail}, ${when}) and stay in the field up to ${gap} more years`
              : `${plural(g.devices.length, "device")} of model ${s.model} stay in the field up to ${gap} years after they stop being securable (${s.detail}, ${when})`,
            evidence: {
              model_id: s.model,
              limited_by: key.split("\0")[1],
              reason: s.detail,
              secure_until_earliest: date(s.earliest),
              secure_until_latest: date(s.latest),
              latest_retirement: date(s.retireLatest),
              years_unsecured_max: gap,
              already_past: past,
              device_count: g.devices.length,
            },
          });
        }
      },
    };
  },
});

interface CryptoGroup {
  model: string;
  limiting: AlgorithmUse;
  disallowed: number;
  algorithms: AlgorithmUse[];
  migratable?: boolean;
  retireLatest: number;
}

export const cryptoDisallowedBeforeRetirement = defineRule({
  id: "crypto-disallowed-before-retirement",
  family: "lifecycle",
  title: "Cryptography will be disallowed before the device is retired",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.5-1", "EU-CRA:I.1.2.e", "NISTIR-8259A:data-protection", "OWASP-IoT-2018:I7"],
  rationale:
    "The algorithms these devices use to prove who they are and to agree on keys are being phased out: NIST's transition plan deprecates 112-bit RSA and elliptic-curve cryptography after 2030 and disallows classical public-key cryptography after 2035, because a large quantum computer would break it; SHA-1 signatures and RSA below 2048 bits are already disallowed. The devices are planned to stay in the field beyond that date.",
  remediation:
    "Find out whether the manufacturer will ship post-quantum or hybrid algorithms (ML-KEM for key exchange, ML-DSA or LMS/XMSS for signatures) as a firmware update, and when. If the device can be updated (ota_capable or crypto agile), plan the migration before the date in the evidence. If it cannot, plan its replacement before that date, and prefer devices with crypto agility in new purchases.",
  params: z.object({ crypto_policy: policyParam }).strict(),
  start(ctx) {
    const a = assessor(ctx.params.crypto_policy);
    const groups = new DeviceGroups<CryptoGroup>();
    return {
      device(v) {
        const l = lifecycleOf(a, v);
        const c = l.crypto;
        if (c.disallowed_from === undefined || !c.limiting || l.retirement === undefined || l.retirement <= c.disallowed_from) return;
        const model = l.model_id ?? NO_MODEL;
        const info = groups.add(`${model}\0${c.limiting.name}`, l.device_id, { model, limiting: c.limiting, disallowed: c.disallowed_from, algorithms: c.algorithms, ...(l.migratable !== undefined ? { migratable: l.migratable } : {}), retireLatest: l.retirement });
        info.retireLatest = Math.max(info.retireLatest, l.retirement);
      },
      finish() {
        for (const [key, g] of groups.entries()) {
          const s = g.info;
          const already = s.disallowed <= ctx.now;
          const severity: Severity = already ? "critical" : s.migratable === true ? "medium" : "high";
          ctx.report({
            subject: key,
            ...(s.model !== NO_MODEL ? { model_id: s.model } : {}),
            devices: g.devices,
            severity,
            title: already
              ? `${plural(g.devices.length, "device")} of model ${s.model} use ${s.limiting.name}, disallowed since ${date(s.disallowed)}`
              : `${plural(g.devices.length, "device")} of model ${s.model} use ${s.limiting.name}, disallowed from ${date(s.disallowed)}; planned to stay until ${date(s.retireLatest)}`,
            evidence: {
              model_id: s.model,
              algorithm: s.limiting.name,
              role: s.limiting.role,
              disallowed_from: date(s.disallowed),
              already_disallowed: already,
              latest_retirement: date(s.retireLatest),
              years_beyond: round1(yearsBetween(s.disallowed, s.retireLatest)),
              migratable: s.migratable ?? null,
              algorithms: algorithmEvidence(s.algorithms),
              policy_version: a.policy.version,
              device_count: g.devices.length,
            },
          });
        }
      },
    };
  },
});

export const notMigratable = defineRule({
  id: "not-migratable",
  family: "lifecycle",
  title: "Cryptography can never be replaced in the field",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.3-1", "ETSI-EN-303-645:5.5-1", "EU-CRA:I.1.2.c", "NISTIR-8259A:software-update", "OWASP-IoT-2018:I4"],
  rationale:
    "This model cannot be updated over the air and its cryptography is not agile, so the algorithms it shipped with are the algorithms it will die with. When they are broken or disallowed (classical public-key cryptography is disallowed after 2035), the only fix is to replace the device.",
  remediation:
    "Treat the planned retirement of these devices as a hard deadline tied to the crypto dates, and budget their replacement. Ask the manufacturer whether a field-update path exists (sometimes a local update tool, or a licence option). Require OTA updates and crypto agility (replaceable algorithms, ideally post-quantum ready) in future purchases.",
  params: z.object({ crypto_policy: policyParam }).strict(),
  start(ctx) {
    const a = assessor(ctx.params.crypto_policy);
    const groups = new DeviceGroups<{ model: string; disallowed?: number; algorithms: AlgorithmUse[]; declared: boolean; beyond: number; retireLatest?: number }>();
    return {
      device(v) {
        const l = lifecycleOf(a, v);
        if (l.migratable !== false || !v.model) return;
        const c = l.crypto;
        const declared = c.algorithms.length > 0;
        // Only what is known: crypto the model declares or the certificate shows (no-ota already covers the rest).
        // Nothing to migrate when everything it uses is quantum-resistant and has no end date.
        if (!declared || (c.disallowed_from === undefined && !c.algorithms.some((u) => u.quantum_vulnerable && !u.hybrid_with))) return;
        const info = groups.add(v.model.model_id, l.device_id, { model: v.model.model_id, ...(c.disallowed_from !== undefined ? { disallowed: c.disallowed_from } : {}), algorithms: c.algorithms, declared, beyond: 0 });
        if (l.retirement !== undefined) {
          info.retireLatest = Math.max(info.retireLatest ?? 0, l.retirement);
          if (c.disallowed_from !== undefined && l.retirement > c.disallowed_from) info.beyond++;
        }
      },
      finish() {
        for (const [model, g] of groups.entries()) {
          const s = g.info;
          ctx.report({
            subject: model,
            model_id: model,
            devices: g.devices,
            severity: s.beyond > 0 ? "high" : "medium",
            title: `${plural(g.devices.length, "device")} of model ${model} can never change their cryptography in the field (no OTA, not crypto-agile)${s.beyond > 0 ? `; ${s.beyond} stay past ${date(s.disallowed)}` : ""}`,
            evidence: {
              model_id: model,
              ota_capable: false,
              crypto_agile: false,
              crypto_declared: s.declared,
              disallowed_from: date(s.disallowed) ?? null,
              devices_in_field_after_disallowed: s.beyond,
              latest_retirement: date(s.retireLatest) ?? null,
              algorithms: algorithmEvidence(s.algorithms),
              device_count: g.devices.length,
            },
          });
        }
      },
    };
  },
});

interface HarvestGroup {
  model: string;
  shelf: number;
  migrationMax: number;
  crqcYears: number;
  algorithms: string[];
  basis: string;
  migratable?: boolean;
}

export const harvestNowDecryptLater = defineRule({
  id: "harvest-now-decrypt-later",
  family: "lifecycle",
  title: "Data recorded today could be decrypted by a future quantum computer",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.5-1", "EU-CRA:I.1.2.e", "NISTIR-8259A:data-protection", "OWASP-IoT-2018:I7"],
  rationale:
    "An attacker can record encrypted traffic now and decrypt it once a cryptographically relevant quantum computer exists. Mosca's inequality says you are already too late when the years the data must stay secret (X) plus the years it takes to move these devices to quantum-safe key exchange (Y) exceed the years until such a computer exists (Z). For these devices X + Y > Z.",
  remediation:
    "Move key exchange to a hybrid or post-quantum scheme (e.g. X25519 + ML-KEM-768) as soon as the manufacturer offers it, starting with devices whose data must stay confidential longest. Where devices cannot be migrated, minimise what they send, shorten how long it matters, or wrap their traffic in a quantum-safe tunnel at the first gateway. Revisit the assumptions (data_shelf_life_years, crqc_year) with your risk owner.",
  params: z
    .object({
      crqc_year: z.number().int().min(2020).max(2100).default(2035).describe("Year a cryptographically relevant quantum computer is assumed to exist (Z counts from now to 1 January of it)."),
      data_shelf_life_years: z.number().min(0).max(100).default(5).describe("How long the devices' data must stay confidential (X)."),
      data_shelf_life_by_model: z.record(z.string(), z.number().min(0).max(100)).default({}).describe("X per model id, where it differs."),
      migration_years: z.number().min(0).max(50).default(2).describe("Years to move an updatable (OTA or crypto-agile) device to quantum-safe key exchange (Y)."),
      replacement_years: z.number().min(0).max(50).default(5).describe("Y for a device that cannot be updated and whose retirement date is unknown: years to replace it."),
      assume_classical_key_exchange: z
        .boolean()
        .default(false)
        .describe("Treat devices whose model declares no key exchange and that have no classical certificate as using classical key exchange anyway (as nearly all TLS/DTLS does today). Devices without a model are never assumed anything."),
    })
    .strict(),
  start(ctx) {
    const p = ctx.params;
    const groups = new DeviceGroups<HarvestGroup>();
    const z = yearsBetween(ctx.now, Date.UTC(p.crqc_year, 0, 1));
    const a = assessor(undefined);
    return {
      device(v) {
        const l = lifecycleOf(a, v);
        // Key exchange as the model declares it; else inferred from a classical identity certificate (TLS with an RSA
        // or EC certificate agrees keys classically); else, only if asked, assumed classical. Never for no model.
        if (!v.model) return;
        const declared = (v.model.crypto?.key_exchange ?? []).length > 0;
        const vulnerable = l.crypto.quantum_vulnerable_key_exchange;
        const certClassical = l.crypto.algorithms.some((u) => u.role === "certificate_key" && u.quantum_vulnerable);
        if (declared ? vulnerable.length === 0 : !certClassical && !p.assume_classical_key_exchange) return;
        const basis = declared ? "declared" : certClassical ? "inferred from the identity certificate" : "assumed";
        const model = l.model_id ?? NO_MODEL;
        const x = p.data_shelf_life_by_model[model] ?? p.data_shelf_life_years;
        // Migration is an update when the device can take one, otherwise its replacement: the rest of its field life.
        const y = l.migratable === true ? p.migration_years : l.retirement !== undefined ? Math.max(0, yearsBetween(ctx.now, l.retirement)) : p.replacement_years;
        if (x + y <= z) return;
        const info = groups.add(model, l.device_id, { model, shelf: x, migrationMax: y, crqcYears: z, algorithms: declared ? vulnerable : [], basis, ...(l.migratable !== undefined ? { migratable: l.migratable } : {}) });
        info.migrationMax = Math.max(info.migrationMax, y);
      },
      finish() {
        for (const [model, g] of groups.entries()) {
          const s = g.info;
          const margin = round1(s.shelf + s.migrationMax - s.crqcYears);
          ctx.report({
            subject: model,
            ...(model !== NO_MODEL ? { model_id: model } : {}),
            devices: g.devices,
            severity: s.migratable === true ? "medium" : "high",
            title: `${plural(g.devices.length, "device")} of model ${model}: data must stay secret ${s.shelf} years and migration takes up to ${round1(s.migrationMax)}, but a quantum computer is assumed in ${round1(s.crqcYears)} (${margin} years too late)`,
            evidence: {
              model_id: model,
              data_shelf_life_years: s.shelf,
              migration_years_max: round1(s.migrationMax),
              years_until_crqc: round1(s.crqcYears),
              crqc_year: p.crqc_year,
              years_too_late: margin,
              key_exchange: s.algorithms.length ? s.algorithms : `not declared; classical ${s.basis}`,
              key_exchange_basis: s.basis,
              migratable: s.migratable ?? null,
              decryptable_from: `${p.crqc_year}-01-01`,
              device_count: g.devices.length,
            },
          });
        }
      },
    };
  },
});

export const lifecycleRules = [outlivesSecurity, cryptoDisallowedBeforeRetirement, notMigratable, harvestNowDecryptLater];
