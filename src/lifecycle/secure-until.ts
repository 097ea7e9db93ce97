/**
 * When a device stops being securable: the earliest of its identity certificate's expiry, its issuing CA's expiry, the
 * end of its model's support period, and the date the crypto policy disallows an algorithm it depends on. Compared
 * with its planned retirement, this says whether it will outlive its own security.
 */
import { parseIsoDate } from "../core/dates.ts";
import type { CertificateInfo, DeviceModel } from "../core/fleet.ts";
import { plannedRetirement } from "../core/retirement.ts";
import type { StoredDevice } from "../store/store.ts";
import { type Algorithm, curveStrength, isQuantumVulnerable, parseAlgorithm, strengthOfModulus } from "./algorithms.ts";
import { type CryptoPolicy, judgeAlgorithm, judgeHash, loadCryptoPolicy, type Verdict } from "./policy.ts";

export type AlgorithmRole = "key_exchange" | "signature" | "certificate_key" | "certificate_signature_hash";

export interface AlgorithmUse {
  name: string;
  role: AlgorithmRole;
  family?: string;
  strength?: number;
  quantum_vulnerable: boolean;
  quantum_resistant?: boolean;
  deprecated_from?: string;
  disallowed_from?: string;
  /** The policy rule that decided, and its source. */
  rule?: string;
  source?: string;
  strength_unknown?: boolean;
  /**
   * Used alongside a quantum-resistant algorithm in the same role (X25519 + ML-KEM-768): a hybrid. Its disallowance
   * does not end the device's security, assuming classical-only fallback is switched off by then (docs/lifecycle.md).
   */
  hybrid_with?: string;
}

export interface CryptoAssessment {
  algorithms: AlgorithmUse[];
  /** Names the policy could not place (unknown algorithm names): not evaluated, reported in evidence. */
  unknown: string[];
  /** The earliest date an algorithm in use is disallowed, and which one. */
  disallowed_from?: number;
  limiting?: AlgorithmUse;
  deprecated_from?: number;
  /** Key establishment a quantum computer could break (what "harvest now, decrypt later" targets). */
  quantum_vulnerable_key_exchange: string[];
}

export type LimitKind = "certificate" | "issuer_certificate" | "support" | "crypto";

export interface Limit {
  kind: LimitKind;
  at: number;
  /** One line: what ends then, e.g. "identity certificate expires" or "ecdsa-p256 disallowed (NIST IR 8547 ipd)". */
  detail: string;
}

export interface DeviceLifecycle {
  device_id: string;
  model_id?: string;
  retirement?: number;
  limits: Limit[];
  secure_until?: number;
  limiting?: Limit;
  crypto: CryptoAssessment;
  /** Can its cryptography be replaced in the field: OTA updates or crypto agility. Undefined when the model doesn't say. */
  migratable?: boolean;
  support_end?: number;
  certificate?: { not_before?: number; not_after: number; issuer_not_after?: number };
}

export function isMigratable(model: DeviceModel | undefined): boolean | undefined {
  if (model?.ota_capable === true || model?.crypto?.agile === true) return true;
  if (model?.ota_capable === false) return false;
  return undefined;
}

/** Assesses what a model declares (key exchange, signatures) plus what the device's certificate shows. */
export function assessCrypto(policy: CryptoPolicy, model: DeviceModel | undefined, cert: CertificateInfo | undefined): CryptoAssessment {
  const out: CryptoAssessment = { algorithms: [], unknown: [], quantum_vulnerable_key_exchange: [] };
  const add = (name: string, role: AlgorithmRole, a: Algorithm | undefined, v: Verdict | undefined) => {
    if (!a && !v?.rule) {
      out.unknown.push(name);
      return;
    }
    const use: AlgorithmUse = { name, role, quantum_vulnerable: a ? isQuantumVulnerable(a.family) : false };
    if (a) use.family = a.family;
    if (a?.strength !== undefined) use.strength = a.strength;
    if (v?.rule) use.rule = v.rule.id;
    if (v?.rule?.source) use.source = v.rule.source;
    if (v?.deprecated_from) use.deprecated_from = v.deprecated_from;
    if (v?.disallowed_from) use.disallowed_from = v.disallowed_from;
    if (v?.strength_unknown) use.strength_unknown = true;
    if (v?.quantum_resistant) use.quantum_resistant = true;
    out.algorithms.push(use);
  };
  for (const name of model?.crypto?.key_exchange ?? []) {
    const a = parseAlgorithm(name, "key_exchange");
    add(name, "key_exchange", a, a ? judgeAlgorithm(policy, a) : undefined);
  }
  for (const name of model?.crypto?.signature ?? []) {
    const a = parseAlgorithm(name, "signature");
    add(name, "signature", a, a ? judgeAlgorithm(policy, a) : undefined);
  }
  if (cert) {
    const a = certificateKey(cert);
    if (a) add(a.name, "certificate_key", a, judgeAlgorithm(policy, a));
    if (cert.sig_hash) {
      const v = judgeHash(policy, cert.sig_hash);
      // A hash the policy says nothing about (SHA-256 …) is fine and not worth listing as unknown.
      if (v.rule) add(`${cert.sig_hash} signature`, "certificate_signature_hash", undefined, v);
    }
  }
  for (const role of ["key_exchange", "signature"] as const) {
    const pq = out.algorithms.find((u) => u.role === role && u.quantum_resistant && u.family !== "psk" && u.family !== "aes");
    if (pq) for (const u of out.algorithms) if (u.role === role && u.quantum_vulnerable) u.hybrid_with = pq.name;
  }
  for (const u of out.algorithms) if (u.role === "key_exchange" && u.quantum_vulnerable && !u.hybrid_with) out.quantum_vulnerable_key_exchange.push(u.name);
  for (const u of out.algorithms) {
    if (u.hybrid_with) continue;
    const dis = u.disallowed_from !== undefined ? parseIsoDate(u.disallowed_from) : undefined;
    if (dis !== undefined && (out.disallowed_from === undefined || dis < out.disallowed_from)) {
      out.disallowed_from = dis;
      out.limiting = u;
    }
    const dep = u.deprecated_from !== undefined ? parseIsoDate(u.deprecated_from) : undefined;
    if (dep !== undefined && (out.deprecated_from === undefined || dep < out.deprecated_from)) out.deprecated_from = dep;
  }
  return out;
}

/** The certificate's public key as an algorithm: RSA by modulus size, EC by curve, EdDSA, DSA. */
export function certificateKey(cert: CertificateInfo): Algorithm | undefined {
  switch (cert.key_type) {
    case "rsa":
    case "rsa-pss":
      return { name: `rsa-${cert.key_bits}`, family: "rsa", strength: strengthOfModulus(cert.key_bits) };
    case "ec": {
      const strength = cert.curve ? curveStrength(cert.curve) : undefined;
      const a: Algorithm = { name: `ecdsa-${cert.curve ?? cert.key_bits}`, family: "ecdsa" };
      if (strength !== undefined) a.strength = strength;
      return a;
    }
    case "ed25519":
      return { name: "ed25519", family: "eddsa", strength: 128 };
    case "ed448":
      return { name: "ed448", family: "eddsa", strength: 224 };
    case "dsa":
      return { name: `dsa-${cert.key_bits}`, family: "dsa", strength: strengthOfModulus(cert.key_bits) };
    default:
      return undefined;
  }
}

export interface LifecycleInput {
  device: StoredDevice;
  model?: DeviceModel;
  certificate?: CertificateInfo;
}

/**
 * Memoises crypto assessments per model and certificate key (type, size, curve, signature hash): every certificate is
 * different, but fleets use few kinds of keys. The last device's result is kept too, so rules that look at the same
 * device one after another assess it once.
 */
export class LifecycleAssessor {
  private readonly cache = new Map<string, CryptoAssessment>();
  private last: { device: StoredDevice; model: DeviceModel | undefined; cert: CertificateInfo | undefined; result: DeviceLifecycle } | undefined;

  constructor(readonly policy: CryptoPolicy) {}

  assess(v: LifecycleInput): DeviceLifecycle {
    const l = this.last;
    if (l && l.device === v.device && l.model === v.model && l.cert === v.certificate) return l.result;
    const result = this.compute(v);
    this.last = { device: v.device, model: v.model, cert: v.certificate, result };
    return result;
  }

  private compute(v: LifecycleInput): DeviceLifecycle {
    const { device, model, certificate: cert } = v;
    const key = `${model?.model_id ?? ""}\0${cert ? `${cert.key_type}/${cert.key_bits}/${cert.curve ?? ""}/${cert.sig_hash}` : ""}`;
    let crypto = this.cache.get(key);
    if (!crypto) {
      crypto = assessCrypto(this.policy, model, cert);
      this.cache.set(key, crypto);
    }
    const out: DeviceLifecycle = { device_id: device.device_id, limits: [], crypto };
    if (device.model_id !== undefined) out.model_id = device.model_id;
    const retirement = plannedRetirement(device, model);
    if (retirement !== undefined) out.retirement = retirement;
    const migratable = isMigratable(model);
    if (migratable !== undefined) out.migratable = migratable;
    if (cert) {
      const notAfter = parseIsoDate(cert.not_after);
      if (notAfter !== undefined) {
        out.certificate = { not_after: notAfter };
        out.limits.push({ kind: "certificate", at: notAfter, detail: "identity certificate expires" });
        const nb = parseIsoDate(cert.not_before);
        if (nb !== undefined) out.certificate.not_before = nb;
      }
      const issuer = cert.issuer_not_after !== undefined ? parseIsoDate(cert.issuer_not_after) : undefined;
      if (issuer !== undefined) {
        if (out.certificate) out.certificate.issuer_not_after = issuer;
        out.limits.push({ kind: "issuer_certificate", at: issuer, detail: "issuing CA certificate expires" });
      }
    }
    const support = model?.support_end !== undefined ? parseIsoDate(model.support_end) : undefined;
    if (support !== undefined) {
      out.support_end = support;
      out.limits.push({ kind: "support", at: support, detail: "manufacturer support ends" });
    }
    if (crypto.disallowed_from !== undefined && crypto.limiting) {
      const l = crypto.limiting;
      out.limits.push({ kind: "crypto", at: crypto.disallowed_from, detail: `${l.name} disallowed${l.source ? ` (${l.source})` : ""}` });
    }
    for (const l of out.limits) if (out.secure_until === undefined || l.at < out.secure_until) {
      out.secure_until = l.at;
      out.limiting = l;
    }
    return out;
  }
}

/**
 * One assessor per policy file for the duration of a scan: the four lifecycle rules and the forecast the scan tallies
 * then share its per-device result instead of assessing every device five times. Held weakly, so it goes with the scan.
 */
const assessors = new Map<string, WeakRef<LifecycleAssessor>>();
export function sharedAssessor(policyFile: string | undefined): LifecycleAssessor {
  const key = policyFile ?? "";
  const cached = assessors.get(key)?.deref();
  if (cached) return cached;
  const a = new LifecycleAssessor(loadCryptoPolicy(policyFile));
  assessors.set(key, new WeakRef(a));
  return a;
}
