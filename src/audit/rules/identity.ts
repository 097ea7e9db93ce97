/**
 * Identity: can each device prove who it is, with a credential that is strong, valid and its own? Rules about the
 * device's certificate (key, signature, validity, who vouches for it) live here; rules about identifiers shared
 * between devices (certificates, MQTT client ids, IMEIs, ICCIDs) in identity-shared.ts.
 *
 * Per-device findings use `device id + certificate fingerprint` as their subject, so replacing the certificate closes
 * the old finding (fixed) instead of carrying it over.
 */
import { z } from "zod";
import { DAY_MS, parseIsoDate } from "../../core/dates.ts";
import type { CertificateInfo } from "../../core/fleet.ts";
import { securityBits } from "../../core/key-strength.ts";
import type { Severity } from "../../core/severity.ts";
import type { DeviceView } from "../rule.ts";
import { defineRule } from "../rule.ts";
import { sharedIdentityRules } from "./identity-shared.ts";

const noParams = z.object({}).strict();

/** The device's certificate, with the subject every per-device finding about it uses. */
function certOf(v: DeviceView): { cert: CertificateInfo; subject: string } | undefined {
  const cert = v.certificate;
  return cert ? { cert, subject: `${v.device.device_id}\0${cert.fingerprint}` } : undefined;
}

/**
 * A finding's own severity, given only when it differs from the rule's default: the engine lets a finding's severity
 * win over the user's `severity:` setting, so leaving the default implicit keeps that setting working for it.
 */
function graded(severity: Severity, ruleDefault: Severity): { severity?: Severity } {
  return severity === ruleDefault ? {} : { severity };
}

function keyName(c: CertificateInfo): string {
  if (c.key_type === "ec") return `EC ${c.curve ?? "?"} (${c.key_bits} bits)`;
  return `${c.key_type.toUpperCase()} ${c.key_bits}-bit`;
}

export const weakKey = defineRule({
  id: "weak-key",
  family: "identity",
  title: "Device certificate has a weak key",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.5-1", "EU-CRA:I.1.2.d", "EU-CRA:I.1.2.e", "NISTIR-8259A:data-protection", "OWASP-IoT-2018:I7"],
  rationale:
    "The key in a device's certificate is what proves the device is genuine and protects its connections. A key that is too short can be broken by an attacker with enough computing power, who can then pretend to be the device or read its traffic. RSA keys under 2048 bits are no longer allowed for new signatures (NIST SP 800-131A); DSA has been dropped from the current US signature standard (FIPS 186-5) and TLS 1.3 does not offer it at all; and elliptic-curve keys under 256 bits give too little margin for a device that stays in the field 10 to 15 years. Severity follows the key's real strength: critical under 80 bits of security (RSA under 1024 bits, curves under 160 bits), high under 112 bits (RSA 1024, DSA 1024, curves under 224 bits), medium for keys that are only below your policy.",
  remediation:
    "Issue new certificates with a new key pair for these devices: ECDSA P-256 (or Ed25519 where your back end supports it) or RSA of at least 2048 bits (3072 if the device will be in service after 2030). Generate the key on the device or in its secure element so the private key never leaves it, then revoke the old certificates. If the device firmware cannot create such keys, plan a firmware update or replacement.",
  params: z
    .object({
      min_rsa_bits: z.number().int().min(512).default(2048).describe("Smallest acceptable RSA modulus."),
      min_ec_bits: z.number().int().min(128).default(256).describe("Smallest acceptable elliptic-curve size."),
      allow_dsa: z.boolean().default(false).describe("Accept DSA keys that meet min_rsa_bits."),
    })
    .strict(),
  start(ctx) {
    const { min_rsa_bits, min_ec_bits, allow_dsa } = ctx.params;
    return {
      device(v) {
        const c = certOf(v);
        if (!c) return;
        const { key_type, key_bits } = c.cert;
        let why: string | undefined;
        if ((key_type === "rsa" || key_type === "rsa-pss") && key_bits < min_rsa_bits) why = `under the minimum of ${min_rsa_bits} bits`;
        else if (key_type === "dsa" && !allow_dsa) why = "DSA is no longer accepted for new signatures and TLS 1.3 does not support it";
        else if (key_type === "dsa" && key_bits < min_rsa_bits) why = `under the minimum of ${min_rsa_bits} bits`;
        else if (key_type === "ec" && key_bits < min_ec_bits) why = `under the minimum of ${min_ec_bits} bits`;
        if (why === undefined) return;
        const strength = securityBits(c.cert);
        ctx.report({
          subject: c.subject,
          device_id: v.device.device_id,
          ...graded(strengthSeverity(strength), "high"),
          title: `${keyName(c.cert)} key: ${why}`,
          evidence: {
            key_type,
            key_bits,
            curve: c.cert.curve ?? null,
            security_bits: strength === 0 ? "under 80" : (strength ?? null),
            cert_fingerprint: c.cert.fingerprint,
            cert_subject: c.cert.subject,
          },
        });
      },
    };
  },
});

function strengthSeverity(bits: number | undefined): Severity {
  if (bits === undefined) return "high";
  return bits < 80 ? "critical" : bits < 112 ? "high" : "medium";
}

export const rocaKey = defineRule({
  id: "roca-key",
  family: "identity",
  title: "Device key made by a flawed generator (ROCA, CVE-2017-15361)",
  severity: "critical",
  standards: ["ETSI-EN-303-645:5.5-1", "EU-CRA:I.1.2.a", "EU-CRA:I.1.2.d", "NISTIR-8259A:data-protection", "OWASP-IoT-2018:I5"],
  rationale:
    "This RSA key has the telltale structure of keys made by a software library in Infineon security chips (TPMs, smart cards, secure elements) before late 2017. Because of that structure, anyone who sees the public key, which is public by design, can compute the private key: the researchers who found the flaw estimated about 100 CPU-days of work for a 1024-bit key and about 140 CPU-years for a 2048-bit one, work that spreads easily over many rented machines. With the private key an attacker can impersonate the device. The key length does not help; the way the key was made does.",
  remediation:
    "Update the firmware of the security chip (the manufacturer's advisory for CVE-2017-15361 names the fixed versions), generate a new key pair on the updated chip, issue a new certificate and revoke the old one. Where the chip cannot be updated, generate the key elsewhere by a sound method and load it into the device, or replace the device.",
  params: noParams,
  start(ctx) {
    return {
      device(v) {
        const c = certOf(v);
        if (!c?.cert.roca) return;
        ctx.report({
          subject: c.subject,
          device_id: v.device.device_id,
          title: `${keyName(c.cert)} key has the ROCA fingerprint: its private key can be computed`,
          evidence: { cve: "CVE-2017-15361", key_type: c.cert.key_type, key_bits: c.cert.key_bits, cert_fingerprint: c.cert.fingerprint, cert_subject: c.cert.subject },
        });
      },
    };
  },
});

export const weakSignature = defineRule({
  id: "weak-signature",
  family: "identity",
  title: "Device certificate signed with a broken hash (SHA-1, MD5)",
  severity: "medium",
  standards: ["ETSI-EN-303-645:5.5-1", "EU-CRA:I.1.2.d", "EU-CRA:I.1.2.f", "NISTIR-8259A:device-identification", "OWASP-IoT-2018:I7"],
  rationale:
    "A certificate is trusted because its issuer signed a digest (hash) of it. With MD5, and now also SHA-1, attackers can craft two different certificates with the same digest, so a signature obtained on one is valid on the other: a forged certificate for a device, or even for a certificate authority. MD5 forgeries of this kind have been used in real attacks (high severity); SHA-1 ones have been shown in public research and NIST disallows SHA-1 for new signatures (medium). On a self-signed certificate nobody relies on the signature, so the finding is low there.",
  remediation:
    "Re-issue these certificates signed with SHA-256 or stronger, and configure the certificate authority (or the device's provisioning tool) so it can no longer sign with SHA-1 or MD5. Check that the devices' TLS stack accepts SHA-256 signatures first; very old firmware may need an update.",
  params: z
    .object({ hashes: z.array(z.string()).default(["md2", "md4", "md5", "sha", "sha1"]).describe("Signature hashes to report.") })
    .strict(),
  start(ctx) {
    const weak = new Set(ctx.params.hashes.map((h) => h.toLowerCase()));
    return {
      device(v) {
        const c = certOf(v);
        if (!c || !weak.has(c.cert.sig_hash)) return;
        const collisionsPractical = c.cert.sig_hash.startsWith("md");
        ctx.report({
          subject: c.subject,
          device_id: v.device.device_id,
          ...graded(c.cert.self_signed ? "low" : collisionsPractical ? "high" : "medium", "medium"),
          title: `Certificate signed with ${c.cert.sig_alg} (${c.cert.sig_hash.toUpperCase()})`,
          evidence: { sig_alg: c.cert.sig_alg, sig_hash: c.cert.sig_hash, self_signed: c.cert.self_signed, cert_fingerprint: c.cert.fingerprint, issuer: c.cert.issuer },
        });
      },
    };
  },
});

/** When the certificate stops working: its own expiry or, if earlier, its issuer's (a chain is only as valid as its links). */
function effectiveExpiry(cert: CertificateInfo): { at: number; date: string; which: "certificate" | "issuing CA certificate" } | undefined {
  const own = parseIsoDate(cert.not_after);
  if (own === undefined) return undefined;
  const issuer = cert.issuer_not_after !== undefined ? parseIsoDate(cert.issuer_not_after) : undefined;
  if (issuer !== undefined && issuer < own) return { at: issuer, date: cert.issuer_not_after!, which: "issuing CA certificate" };
  return { at: own, date: cert.not_after, which: "certificate" };
}

export const certExpired = defineRule({
  id: "cert-expired",
  family: "identity",
  title: "Device certificate has expired",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.5-8", "EU-CRA:I.1.2.d", "NISTIR-8259A:device-identification", "OWASP-IoT-2018:I8"],
  rationale:
    "An expired certificate should be refused by every server the device talks to, so the device is either already cut off from its back end or, worse, the back end does not check expiry at all and would also accept stolen or retired certificates. Either way it shows that certificate renewal is not working. The certificate of the CA that issued it counts too: when that one expires, the device's certificate fails with it.",
  remediation:
    "Renew the certificate (or the issuing CA certificate) and deliver it to the device, ideally through an automatic renewal protocol such as EST, SCEP or your IoT platform's certificate rotation. If the device still connects, find out why the back end accepts an expired certificate and turn on expiry checks. Set up monitoring so renewals happen well before expiry (see cert-expiring).",
  params: noParams,
  start(ctx) {
    return {
      device(v) {
        const c = certOf(v);
        const exp = c && effectiveExpiry(c.cert);
        if (!c || !exp || exp.at > ctx.now) return;
        ctx.report({
          subject: c.subject,
          device_id: v.device.device_id,
          title: `The ${exp.which} expired on ${exp.date}`,
          evidence: { expired: exp.which, not_after: c.cert.not_after, issuer_not_after: c.cert.issuer_not_after ?? null, days_expired: Math.floor((ctx.now - exp.at) / DAY_MS), cert_fingerprint: c.cert.fingerprint },
        });
      },
    };
  },
});

export const certExpiring = defineRule({
  id: "cert-expiring",
  family: "identity",
  title: "Device certificate expires soon",
  severity: "medium",
  standards: ["ETSI-EN-303-645:5.5-8", "NISTIR-8259A:device-identification", "OWASP-IoT-2018:I8"],
  rationale:
    "When a device's certificate (or the CA certificate that issued it) expires, the device can no longer authenticate and drops off the network. Renewing thousands of devices, some of them offline or on weak cellular links, takes time, so the warning has to come early. Within the last days (urgent_days) the finding becomes high.",
  remediation:
    "Renew these certificates now and check that each device has received and installed its new one. For the long run, automate renewal (EST, SCEP or your platform's rotation) and start it well before expiry, for example at two thirds of the certificate's lifetime.",
  params: z
    .object({
      days: z.number().int().min(1).default(30).describe("Report certificates that expire within this many days."),
      urgent_days: z.number().int().min(0).default(7).describe("Within this many days the finding is high severity."),
    })
    .strict(),
  start(ctx) {
    return {
      device(v) {
        const c = certOf(v);
        const exp = c && effectiveExpiry(c.cert);
        if (!c || !exp || exp.at <= ctx.now || exp.at > ctx.now + ctx.params.days * DAY_MS) return;
        const daysLeft = Math.floor((exp.at - ctx.now) / DAY_MS);
        ctx.report({
          subject: c.subject,
          device_id: v.device.device_id,
          ...graded(exp.at - ctx.now <= ctx.params.urgent_days * DAY_MS ? "high" : "medium", "medium"),
          title: `The ${exp.which} expires on ${exp.date} (${daysLeft === 0 ? "today" : `in ${daysLeft} day${daysLeft === 1 ? "" : "s"}`})`,
          evidence: { expires: exp.which, not_after: c.cert.not_after, issuer_not_after: c.cert.issuer_not_after ?? null, days_left: daysLeft, cert_fingerprint: c.cert.fingerprint },
        });
      },
    };
  },
});

export const certNotYetValid = defineRule({
  id: "cert-not-yet-valid",
  family: "identity",
  title: "Device certificate is not valid yet",
  severity: "medium",
  standards: ["ETSI-EN-303-645:5.5-8", "NISTIR-8259A:device-identification", "OWASP-IoT-2018:I8"],
  rationale:
    "The certificate's validity starts in the future, so servers that check it will refuse the device until then. It usually means the certificate was issued by a machine with a wrong clock, or was prepared for a later rollout; in both cases the device cannot prove its identity today, or the back end does not check validity dates.",
  remediation:
    "Check the clock of the system that issued the certificate and re-issue it with a correct start date. If the certificate was made in advance on purpose, make sure the device keeps its current certificate until the new one becomes valid.",
  params: noParams,
  start(ctx) {
    return {
      device(v) {
        const c = certOf(v);
        const from = c ? parseIsoDate(c.cert.not_before) : undefined;
        if (!c || from === undefined || from <= ctx.now) return;
        ctx.report({
          subject: c.subject,
          device_id: v.device.device_id,
          title: `Certificate only becomes valid on ${c.cert.not_before}`,
          evidence: { not_before: c.cert.not_before, days_until_valid: Math.ceil((from - ctx.now) / DAY_MS), cert_fingerprint: c.cert.fingerprint },
        });
      },
    };
  },
});

export const certSelfSigned = defineRule({
  id: "cert-self-signed",
  family: "identity",
  title: "Device uses a self-signed certificate",
  severity: "medium",
  standards: ["EU-CRA:I.1.2.d", "ETSI-EN-303-645:5.5-8", "NISTIR-8259A:device-identification", "OWASP-IoT-2018:I8"],
  rationale:
    "A self-signed certificate vouches for itself: anyone can make one with the same name in seconds. A back end can only trust it by storing each device's exact certificate, and there is no certificate authority that can revoke it if the device is stolen or its key leaks. Fleets that accept self-signed device certificates often end up accepting any certificate at all.",
  remediation:
    "Set up a private certificate authority for your devices (your IoT platform, a managed PKI, or an offline CA with an online issuing CA) and issue each device a certificate from it, ideally at manufacturing or first connection. Then configure the back end to trust only that CA and to check revocation. Until then, make sure the back end pins each device's certificate fingerprint.",
  params: noParams,
  start(ctx) {
    return {
      device(v) {
        const c = certOf(v);
        if (!c?.cert.self_signed) return;
        ctx.report({
          subject: c.subject,
          device_id: v.device.device_id,
          title: c.cert.is_ca ? "Device certificate is self-signed and marked as a CA" : "Device certificate is self-signed",
          evidence: { cert_subject: c.cert.subject, is_ca: c.cert.is_ca, chain_length: c.cert.chain_length, cert_fingerprint: c.cert.fingerprint },
        });
      },
    };
  },
});

export const identityRules = [weakKey, rocaKey, weakSignature, certExpired, certExpiring, certNotYetValid, certSelfSigned, ...sharedIdentityRules];
