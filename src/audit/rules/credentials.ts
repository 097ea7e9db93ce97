/**
 * Credentials: passwords that are published, missing, shared across devices, or sent in cleartext. No rule here ever
 * puts a password into a finding: evidence names the account, the lists that know the password and how it was checked.
 */
import { fileParam } from "../file-params.ts";
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Credential, Service } from "../../core/fleet.ts";
import { SERVICES } from "../../core/fleet.ts";
import { SEVERITIES, type Severity } from "../../core/severity.ts";
import { candidatesFor } from "../credentials/candidates.ts";
import { describeMatch, dictionaryLists, loadDictionaries } from "../credentials/dictionary.ts";
import { CredentialFindings } from "../credentials/findings.ts";
import { CryptGuesser, type GuessStats } from "../credentials/guess.ts";
import { HashCache, emptyDigests, secretKey } from "../credentials/secrets.ts";
import { defineRule, type FindingDraft } from "../rule.ts";
import { plural } from "./group.ts";

const account = (c: { service: Service; username: string }) => `${c.username === "" ? "(no user name)" : c.username} (${c.service})`;

const budgetParams = (perHashMs: number, perScanMs: number) => ({
  crypt_budget_ms_per_hash: z
    .number()
    .positive()
    .default(perHashMs)
    .describe(
      "Estimated time of guessing allowed per distinct crypt hash. One guess costs about 0.5 ms for DES, 2.5 ms for MD5-crypt, 12 ms for SHA-crypt at 5000 rounds and 90 ms for bcrypt cost 10, so the budget decides how many of the most likely passwords are tried.",
    ),
  crypt_budget_ms_per_scan: z.number().positive().default(perScanMs).describe("Estimated time of guessing allowed for all crypt hashes of one scan together."),
});

/** One info finding when the budget kept some hashes from being checked, so a quiet scan is not mistaken for a clean one. */
function reportBudget(report: (f: FindingDraft) => void, rule: string, stats: GuessStats, params: { crypt_budget_ms_per_hash: number; crypt_budget_ms_per_scan: number }): void {
  const unchecked = stats.tooCostly + stats.overScanBudget;
  if (unchecked === 0) return;
  report({
    subject: "crypt-budget",
    severity: "info",
    title: `${plural(unchecked, "password hash", "password hashes")} could not be checked fully by ${rule} within its budget`,
    evidence: {
      hashes_seen: stats.hashes,
      too_costly_for_one_guess: stats.tooCostly,
      stopped_by_scan_budget: stats.overScanBudget,
      crypt_budget_ms_per_hash: params.crypt_budget_ms_per_hash,
      crypt_budget_ms_per_scan: params.crypt_budget_ms_per_scan,
      hint: "Raise crypt_budget_ms_per_hash / crypt_budget_ms_per_scan for this rule, or import plaintext passwords (kept only as keyed digests) which are checked instantly.",
    },
  });
}

export const defaultPassword = defineRule({
  id: "default-password",
  family: "credentials",
  title: "Default password in use",
  severity: "critical",
  standards: ["ETSI-EN-303-645:5.1-1", "UK-PSTI:1", "EU-CRA:I.1.2.b", "EU-CRA:I.1.2.d", "NISTIR-8259A:logical-access-to-interfaces", "OWASP-IoT-2018:I1"],
  attack: ["T0812", "T1078.001"],
  rationale:
    "This account's password is on public lists of factory-default passwords. Attackers do not need to guess it: botnets such as Mirai carry these lists and try them against every device they can reach, within minutes of it coming online. ETSI EN 303 645 (5.1-1) and the UK PSTI regulations forbid such passwords once a device leaves its factory state.",
  remediation:
    "Change the password on these devices to one that is unique per device (generated at provisioning and kept in your device management or a vault), or disable the account or service if nobody needs it. If the password comes with the firmware, ask the manufacturer for firmware that sets a unique password per device or forces a change on first use. Re-import the credentials and scan again. Note: plaintext passwords given on import are checked against the whole dictionary; crypt hashes only against its most likely passwords within the rule's budget, so a hash without a finding is not proof of a strong password.",
  params: z
    .object({
      ...budgetParams(1000, 120_000),
      extra_dictionaries: fileParam(z.array(z.string()).default([]).describe("CSV files with the columns of data/default-credentials.csv, e.g. your manufacturers' documented defaults; relative to the config file.")),
    })
    .strict(),
  start(ctx) {
    const dict = loadDictionaries(ctx.params.extra_dictionaries);
    const hashes = new HashCache();
    const guesser = new CryptGuesser({ perHashMs: ctx.params.crypt_budget_ms_per_hash, perScanMs: ctx.params.crypt_budget_ms_per_scan });
    let byDigest: Map<string, string> | undefined;
    const keyedIndex = () => (byDigest ??= new Map(dict.passwords.map((p) => [ctx.services.keyedDigest(p), p])));

    const findings = new CredentialFindings(ctx.report, {
      device: (c) => `Password of ${account(c)} is a published default password`,
      model: (c, _i, n) => `Model ${c.model_id} uses a published default password for ${account(c)} (${plural(n, "device")})`,
    });
    const listsChecked = dictionaryLists(dict);

    /**
     * Evidence and severity for a known password; the password itself goes no further than this function. Which lists
     * hold it, whether they pair it with this user name and for which vendors would, together with the user name,
     * narrow most passwords down to one candidate (issue 18.14), so the evidence says only that it is on the public
     * lists checked. Severity keeps one bit: critical when botnets try it (Mirai) or a list pairs it with this account.
     */
    const issueFor = (c: Credential, password: string, how: Record<string, unknown>) => {
      const match = describeMatch(dict, password, c.username);
      const severity: Severity = match.mirai || match.listed_for_username ? "critical" : "high";
      return { severity, evidence: { on_public_default_lists: true, lists_checked: listsChecked, ...how } };
    };

    return {
      device(v) {
        const modelId = v.device.model_id;
        for (const c of v.credentials) {
          if (c.secret.kind === "keyed") {
            const password = keyedIndex().get(c.secret.digest);
            if (password === undefined) continue;
            findings.add(v.device.device_id, modelId, c, issueFor(c, password, { secret: "keyed", checked: `whole dictionary (${dict.passwords.length} passwords)` }));
          } else if (c.secret.kind === "crypt") {
            const parsed = hashes.get(c.secret.hash);
            if (!parsed) continue;
            const outcome = guesser.guess(`${c.username.toLowerCase()}\0${c.secret.hash}`, parsed, candidatesFor(dict, c.username));
            if (outcome.status !== "match") continue;
            findings.add(v.device.device_id, modelId, c, issueFor(c, outcome.password, { secret: "crypt", scheme: parsed.scheme, work_factor: parsed.workFactor, checked: `guess ${outcome.tried} of the most likely passwords` }));
          }
        }
      },
      finish() {
        findings.finish();
        reportBudget(ctx.report, "default-password", guesser.stats, ctx.params);
      },
    };
  },
});

export const emptyPassword = defineRule({
  id: "empty-password",
  family: "credentials",
  title: "Account without a password",
  severity: "critical",
  standards: ["ETSI-EN-303-645:5.1-1", "ETSI-EN-303-645:5.5-5", "UK-PSTI:1", "EU-CRA:I.1.2.d", "NISTIR-8259A:logical-access-to-interfaces", "OWASP-IoT-2018:I1"],
  rationale:
    "This account lets anyone log in without a password: whoever can reach the service is in. Botnets such as Mirai try exactly this first (root and admin with no password), so such devices are usually taken over soon after they are reachable.",
  remediation:
    "Set a unique password on the account, or lock it (for example passwd -l) or disable the service if nobody uses it. Check that the firmware does not restore the empty password on reboot or factory reset, and scan again after re-importing the credentials.",
  params: z.object(budgetParams(2000, 60_000)).strict(),
  start(ctx) {
    const dict = loadDictionaries([]);
    const empty = emptyDigests(ctx.services.keyedDigest);
    const hashes = new HashCache();
    const guesser = new CryptGuesser({ perHashMs: ctx.params.crypt_budget_ms_per_hash, perScanMs: ctx.params.crypt_budget_ms_per_scan });
    const findings = new CredentialFindings(ctx.report, {
      device: (c) => `${account(c)} has no password`,
      model: (c, _i, n) => `Model ${c.model_id} has no password for ${account(c)} (${plural(n, "device")})`,
    });
    const issueFor = (c: Credential, how: Record<string, unknown>) => {
      const listed = describeMatch(dict, "", c.username);
      return { evidence: { ...how, on_default_lists: listed.listed_for_username ? listed.lists : [] } };
    };

    return {
      device(v) {
        for (const c of v.credentials) {
          if (c.secret.kind === "keyed") {
            if (empty.has(c.secret.digest)) findings.add(v.device.device_id, v.device.model_id, c, issueFor(c, { secret: "keyed" }));
          } else if (c.secret.kind === "crypt") {
            const parsed = hashes.get(c.secret.hash);
            if (!parsed) continue;
            if (guesser.guess(c.secret.hash, parsed, [""]).status === "match") {
              findings.add(v.device.device_id, v.device.model_id, c, issueFor(c, { secret: "crypt", scheme: parsed.scheme }));
            }
          }
        }
      },
      finish() {
        findings.finish();
        reportBudget(ctx.report, "empty-password", guesser.stats, ctx.params);
      },
    };
  },
});

interface Sighting {
  device: string;
  model: string | undefined;
  credential: Credential;
}

interface SharedSecret {
  devices: string[];
  accounts: Map<string, { service: Service; username: string }>;
  models: Set<string>;
  /** Model (and firmware) scopes that declare this secret for all their devices. */
  modelScopes: Set<string>;
  kind: "keyed" | "crypt";
}

export const universalPassword = defineRule({
  id: "universal-password",
  family: "credentials",
  title: "Same password on many devices",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.1-1", "UK-PSTI:1", "EU-CRA:I.1.2.d", "NISTIR-8259A:logical-access-to-interfaces", "OWASP-IoT-2018:I1"],
  attack: ["T0859"],
  rationale:
    "One password protects all of these devices. Whoever learns it once, from a single device, a firmware image, a support document or a former employee, can log in to every one of them. ETSI EN 303 645 (5.1-1) and the UK PSTI regulations require passwords to be unique per device or set by the user; a password declared for a whole model is by definition shared by every device built from it.",
  remediation:
    "Give every device its own password: generate it at provisioning (random, or derived with a keyed function from a secret that stays in your back end; never from the serial number or MAC alone), store it in a vault, and replace the shared password on the devices already in the field. Where the service allows, use keys or certificates instead of passwords. Note: two crypt hashes are only recognised as equal when the hash strings are identical (same salt); the same password hashed with different salts is not detected.",
  params: z
    .object({ min_devices: z.number().int().min(2).default(2).describe("Report a password shared by at least this many devices (model-wide passwords are always reported).") })
    .strict(),
  start(ctx) {
    const empty = emptyDigests(ctx.services.keyedDigest);
    // Most secrets belong to one device: keep just the first sighting until a second device shows up, to bound memory.
    const seen = new Map<string, Sighting | SharedSecret>();

    const promote = (first: Sighting): SharedSecret => {
      const s: SharedSecret = { devices: [first.device], accounts: new Map(), models: new Set(), modelScopes: new Set(), kind: first.credential.secret.kind === "crypt" ? "crypt" : "keyed" };
      note(s, first);
      return s;
    };
    const note = (s: SharedSecret, { device, model, credential: c }: Sighting) => {
      if (s.devices[s.devices.length - 1] !== device) s.devices.push(device);
      s.accounts.set(`${c.service}\0${c.username}`, { service: c.service, username: c.username });
      if (model !== undefined) s.models.add(model);
      if (c.device_id === undefined && c.model_id !== undefined) s.modelScopes.add(c.firmware_version !== undefined ? `${c.model_id} (firmware ${c.firmware_version})` : c.model_id);
    };

    return {
      device(v) {
        for (const c of v.credentials) {
          const key = secretKey(c);
          if (key === undefined || (c.secret.kind === "keyed" && empty.has(c.secret.digest))) continue;
          const sighting: Sighting = { device: v.device.device_id, model: v.device.model_id, credential: c };
          const s = seen.get(key);
          const modelScoped = c.device_id === undefined && c.model_id !== undefined;
          if (s === undefined) seen.set(key, modelScoped ? promote(sighting) : sighting);
          else if ("credential" in s) {
            const shared = promote(s);
            note(shared, sighting);
            seen.set(key, shared);
          } else note(s, sighting);
        }
      },
      finish() {
        for (const [key, s] of seen) {
          if ("credential" in s) continue;
          const modelWide = s.modelScopes.size > 0;
          if (!modelWide && s.devices.length < ctx.params.min_devices) continue;
          const accounts = [...s.accounts.values()];
          const names = accounts.map(account).join(", ");
          const models = [...s.models].sort();
          ctx.report({
            // The subject holds a digest of the stored secret (itself a hash or keyed digest), never anything reversible.
            subject: `secret\0${createHash("sha256").update(key).digest("hex").slice(0, 24)}`,
            devices: s.devices,
            ...(models.length === 1 ? { model_id: models[0]! } : {}),
            title: modelWide
              ? `Model ${[...s.modelScopes].join(", ")} has one password for ${names} on every device (${plural(s.devices.length, "device")})`
              : `Same password for ${names} on ${plural(s.devices.length, "device")}`,
            evidence: {
              device_count: s.devices.length,
              accounts,
              models,
              model_wide: modelWide,
              model_scopes: [...s.modelScopes].sort(),
              secret: s.kind,
              ...(s.kind === "crypt" ? { compared: "identical hash strings (same salt)" } : { compared: "keyed digests of the imported passwords" }),
            },
          });
        }
      },
    };
  },
});

/** Why a password on each cleartext service can be read by others, and how serious that is by default. */
const CLEARTEXT: Partial<Record<Service, { severity: Severity; why: string }>> = {
  telnet: { severity: "high", why: "telnet sends the password and the whole session unencrypted" },
  ftp: { severity: "high", why: "FTP sends the password unencrypted at login" },
  http: { severity: "medium", why: "HTTP without TLS sends the password (or the session cookie) unencrypted with each request" },
  snmp: { severity: "medium", why: "SNMP v1/v2c sends the community string, which is the password, in every request" },
  mqtt: { severity: "medium", why: "MQTT without TLS sends the user name and password in the CONNECT packet unencrypted" },
};

export const cleartextRemoteAdmin = defineRule({
  id: "cleartext-remote-admin",
  family: "credentials",
  title: "Password login over a cleartext protocol",
  severity: "high",
  standards: ["ETSI-EN-303-645:5.5-1", "ETSI-EN-303-645:5.5-7", "EU-CRA:I.1.2.e", "NISTIR-8259A:data-protection", "OWASP-IoT-2018:I2", "OWASP-IoT-2018:I7"],
  attack: ["T0842"],
  rationale:
    "This account logs in with a password over a protocol that does not encrypt. Anyone on the path (the local network, a compromised router, the mobile operator's backhaul, a shared APN) can read the password as it passes and use it later, and everything else in the session can be read or changed too.",
  remediation:
    "Switch to the encrypted counterpart and turn the cleartext service off: SSH instead of telnet, SFTP or FTPS instead of FTP, HTTPS instead of HTTP, SNMPv3 with authentication and privacy instead of v1/v2c communities, MQTT over TLS (port 8883). If the service must stay for now, reach it only over a private APN or management VPN, and change every password that has been used over it.",
  params: z
    .object({
      services: z.array(z.enum(SERVICES)).default(["telnet", "ftp", "http", "snmp", "mqtt"]).describe("Credential services treated as cleartext."),
      severity: z.record(z.string(), z.enum(SEVERITIES)).default({}).describe("Override the severity per service."),
      mqtt_tls_ports: z
        .array(z.number().int().min(1).max(65535))
        .default([8883])
        .describe("An MQTT credential is taken to use TLS when the device's open_services list MQTT only on these ports."),
    })
    .strict(),
  start(ctx) {
    const services = new Set<string>(ctx.params.services);
    const tlsPorts = new Set(ctx.params.mqtt_tls_ports);
    const findings = new CredentialFindings(ctx.report, {
      device: (c) => `${account(c)} logs in with a password over cleartext ${c.service}`,
      model: (c, _i, n) => `Model ${c.model_id}: ${account(c)} logs in with a password over cleartext ${c.service} (${plural(n, "device")})`,
    });

    /** MQTT ports the device lists (by name, or the standard ports 1883/8883). */
    const mqttPorts = (open: readonly string[] | undefined): number[] =>
      (open ?? []).flatMap((entry) => {
        const [name = "", port] = entry.split(":");
        const p = port !== undefined ? Number(port) : undefined;
        return name.includes("mqtt") || p === 1883 || p === 8883 ? [p ?? 1883] : [];
      });

    return {
      device(v) {
        for (const c of v.credentials) {
          if (c.secret.kind === "locked" || !services.has(c.service)) continue;
          // SNMP with a user name is SNMPv3 (user-based security), not a v1/v2c community string.
          if (c.service === "snmp" && c.username !== "") continue;
          const known = CLEARTEXT[c.service];
          const evidence: Record<string, unknown> = { why: known?.why ?? `${c.service} is configured as a cleartext service` };
          if (c.service === "mqtt") {
            const ports = mqttPorts(v.device.open_services);
            if (ports.length > 0 && ports.every((p) => tlsPorts.has(p))) continue;
            evidence.tls = ports.length === 0 ? "unknown: no MQTT port in open_services; record mqtt:8883 if the connection uses TLS" : "no: a non-TLS MQTT port is open";
          }
          findings.add(v.device.device_id, v.device.model_id, c, { evidence, severity: ctx.params.severity[c.service] ?? known?.severity ?? "high" });
        }
      },
      finish() {
        findings.finish();
      },
    };
  },
});

export const credentialRules = [defaultPassword, emptyPassword, universalPassword, cleartextRemoteAdmin];
