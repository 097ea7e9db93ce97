/**
 * The fleet model: devices, device models, credentials and SIM settings, defined once as zod schemas.
 * Field names are the public contract of ../docs/formats.md (snake_case, as in the CSV columns).
 *
 * The schemas describe the typed form (what JSON and NDJSON hold). CSV cells are text; `decodeCells` turns them into
 * that typed form by looking at each field's declared type, so a CSV row and a JSON object go through one schema.
 */
import { z } from "zod";
import { digitsOnly, isIPv4, isIPv6, luhnValid, normalizeMac } from "./coerce.ts";
import { parseIsoDate } from "./dates.ts";
import { FlowDeclarationSchema } from "./flows.ts";

const text = (max = 256) => z.string().trim().min(1, "is empty").max(max, `is longer than ${max} characters`);

const isoDate = z
  .string()
  .trim()
  .refine((s) => parseIsoDate(s) !== undefined, "is not an ISO 8601 date (e.g. 2026-11-25 or 2026-11-25T10:00:00Z)")
  .meta({ format: "date-or-date-time" });

const countryCode = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{2}$/, "is not an ISO 3166-1 alpha-2 country code (two letters, e.g. DE)"));

export const SERVICES = ["ssh", "telnet", "http", "https", "ftp", "mqtt", "snmp", "other"] as const;
export type Service = (typeof SERVICES)[number];

/** `name:port` such as `telnet:23`; the port may be left out when unknown. */
const openService = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_.+-]*(:\d{1,5})?$/i, "is not name:port (e.g. telnet:23)")
  .refine((s) => {
    const port = s.split(":")[1];
    return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  }, "has a port outside 1-65535")
  .transform((s) => s.toLowerCase());

/** The device fields, each validated on its own (see record-validator.ts); DeviceSchema adds the cross-field rules. */
export const DeviceFieldsSchema = z.object({
    device_id: text(256).describe("Unique device identifier (required)."),
    name: text(256).optional(),
    serial: text(128).optional(),
    mac: z
      .string()
      .transform((s, ctx) => normalizeMac(s) ?? (ctx.addIssue({ code: "custom", message: "is not a MAC address" }), z.NEVER))
      .optional()
      .describe("MAC address in any common spelling; stored as aa:bb:cc:dd:ee:ff."),
    ip: z.string().trim().refine((s) => isIPv4(s) || isIPv6(s), "is not an IPv4 or IPv6 address").optional(),
    model_id: text(128).optional().describe("Refers to a device model's model_id."),
    firmware_version: text(128).optional(),
    imei: z
      .string()
      .transform(digitsOnly)
      .pipe(
        z
          .string()
          .regex(/^\d{14,16}$/, "is not an IMEI (14-16 digits)")
          .refine((s) => s.length !== 15 || luhnValid(s), "has a wrong check digit (IMEI uses the Luhn check)"),
      )
      .optional()
      .describe("IMEI: 15 digits with check digit, 14 without, or the 16-digit IMEISV."),
    iccid: z
      .string()
      .transform((s) => digitsOnly(s).toUpperCase().replace(/F$/, ""))
      .pipe(z.string().regex(/^\d{18,22}$/, "is not an ICCID (18-22 digits)"))
      .optional(),
    imsi: z.string().transform(digitsOnly).pipe(z.string().regex(/^\d{6,15}$/, "is not an IMSI (6-15 digits)")).optional(),
    msisdn: z
      .string()
      .transform((s) => s.replace(/[\s()-]/g, ""))
      .pipe(z.string().regex(/^\+?\d{5,15}$/, "is not a phone number (MSISDN)"))
      .optional(),
    mqtt_client_id: text(256).optional(),
    deployed_at: isoDate.optional(),
    retire_at: isoDate.optional().describe("Planned retirement date; or give field_life_years."),
    field_life_years: z.number().positive("must be positive").max(100, "is more than 100 years").optional(),
    country: countryCode.optional().describe("ISO 3166-1 alpha-2 country where the device is installed."),
    groups: z.array(text(128)).optional(),
    cert_file: text(1024).optional().describe("Path of the device's PEM certificate, relative to the inventory file."),
    open_services: z.array(openService).optional().describe("Listening services as name:port, e.g. telnet:23."),
    sim_imei_lock: z.boolean().optional(),
    sim_sms_enabled: z.boolean().optional(),
    sim_public_ip: z.boolean().optional(),
    sim_allowed_countries: z
      .array(z.string().trim().transform((s) => s.toUpperCase()).pipe(z.string().regex(/^([A-Z]{2}|\*)$/, "is not a country code or *")))
      .optional()
      .describe("Countries the SIM may attach in, or * for unrestricted."),
    sim_apn: text(128).optional(),
    sim_provider: text(128).optional().describe("Connectivity provider of the SIM (e.g. 1NCE, emnify): device lists filter and group by it."),
  });

/** A rule that involves several fields: reported on `path`. */
export interface CrossIssue {
  path: string;
  message: string;
}
export type CrossCheck<T> = (value: T) => CrossIssue[];

export const deviceCrossCheck: CrossCheck<z.output<typeof DeviceFieldsSchema>> = (d) =>
  d.deployed_at !== undefined && d.retire_at !== undefined && parseIsoDate(d.retire_at)! < parseIsoDate(d.deployed_at)! ? [{ path: "retire_at", message: "is before deployed_at" }] : [];

function withCrossCheck<S extends z.ZodObject>(fields: S, check: CrossCheck<z.output<S>>) {
  return fields.superRefine((v, ctx) => {
    for (const i of check(v)) ctx.addIssue({ code: "custom", path: [i.path], message: i.message });
  });
}

export const DeviceSchema = withCrossCheck(DeviceFieldsSchema, deviceCrossCheck);
export type Device = z.infer<typeof DeviceSchema>;

const cryptoProfile = z
  .object({
    key_exchange: z.array(text(64)).optional().describe("e.g. ecdh-p256, x25519, rsa-2048, dh-2048, ml-kem-768, psk"),
    signature: z.array(text(64)).optional().describe("e.g. ecdsa-p256, rsa-2048, ed25519, ml-dsa-65"),
    agile: z.boolean().optional().describe("Algorithms can be replaced in the field."),
    secure_element: z.boolean().optional(),
  })
  .strict();

export const DeviceModelSchema = z
  .object({
    model_id: text(128),
    manufacturer: text(256).optional(),
    name: text(256).optional(),
    hardware_version: text(128).optional(),
    ota_capable: z.boolean().optional().describe("Firmware can be updated over the air."),
    support_end: isoDate.optional().describe("End of the defined support period (security updates)."),
    vuln_disclosure_url: z.url("is not a URL").optional(),
    data_only: z.boolean().optional().describe("Uses no voice or SMS."),
    crypto: cryptoProfile.optional(),
    latest_firmware: text(128).optional().describe("Newest firmware released for this model."),
    latest_firmware_date: isoDate.optional(),
    field_life_years: z.number().positive().max(100).optional().describe("Default planned field life of its devices."),
    constrained: z.boolean().optional().describe("Resource-constrained device (ETSI EN 303 645 sense)."),
    flows: FlowDeclarationSchema.optional().describe("Declared data flows (docs/privacy.md); or in a flows.yaml beside models.yaml."),
  })
  .strict();
export type DeviceModel = z.infer<typeof DeviceModelSchema>;

/** Marks an account that has no password at all; the literal `<empty>` or `<blank>` in the password column. */
export const EMPTY_PASSWORD_TOKENS = ["<empty>", "<blank>"] as const;

export const CredentialInputFieldsSchema = z
  .object({
    device_id: text(256).optional(),
    model_id: text(128).optional(),
    firmware_version: text(128).optional(),
    service: z.enum(SERVICES, { error: `is not one of ${SERVICES.join(", ")}` }),
    username: z.string().max(256).default(""),
    password_hash: text(512).optional().describe("crypt(3) hash: $1$, $5$, $6$, $2a$/$2b$/$2y$ (bcrypt) or traditional DES."),
    password: z.string().max(1024).optional().describe("Plaintext; hashed on import and never stored. <empty> = no password."),
  })
  .strict();

export const credentialCrossCheck: CrossCheck<z.output<typeof CredentialInputFieldsSchema>> = (c) => {
  const out: CrossIssue[] = [];
  if (c.device_id === undefined && c.model_id === undefined) out.push({ path: "device_id", message: "needs device_id or model_id" });
  if (c.password === undefined && c.password_hash === undefined) out.push({ path: "password", message: "needs password or password_hash (write <empty> for an account without a password)" });
  if (c.password !== undefined && c.password_hash !== undefined) out.push({ path: "password", message: "give password or password_hash, not both" });
  return out;
};

export const CredentialInputSchema = withCrossCheck(CredentialInputFieldsSchema, credentialCrossCheck);
export type CredentialInput = z.infer<typeof CredentialInputSchema>;

/**
 * A credential as stored: the secret is never plaintext. `crypt` keeps the hash the user supplied; `keyed` is the
 * store's keyed digest of a plaintext given on import (so equal passwords can be found without keeping them);
 * `locked` is an account that cannot log in with a password (`!`/`*` hashes).
 */
export type CredentialSecret = { kind: "crypt"; hash: string } | { kind: "keyed"; digest: string } | { kind: "locked" };

export interface Credential {
  device_id?: string;
  model_id?: string;
  firmware_version?: string;
  service: Service;
  username: string;
  secret: CredentialSecret;
}

/** What Longwatch reads out of a device's X.509 certificate (formats/x509 does the parsing). */
export interface CertificateInfo {
  /** SHA-256 of the certificate's DER, lowercase hex. */
  fingerprint: string;
  /** Distinguished names as RFC 4514 strings (`CN=dev-1,O=Acme,C=DE`). */
  subject: string;
  issuer: string;
  /** Serial number, uppercase hex without leading zero bytes. */
  serial: string;
  /** Validity as ISO 8601 UTC (`2026-11-25T10:00:00Z`). */
  not_before: string;
  not_after: string;
  key_type: "rsa" | "rsa-pss" | "ec" | "dsa" | "ed25519" | "ed448" | "unknown";
  /** RSA modulus / DSA prime / EC group order size; 256 for Ed25519, 456 for Ed448 (as OpenSSL counts); 0 if unknown. */
  key_bits: number;
  /** SEC 2 / Brainpool curve name (`secp256r1`), `explicit` for spelled-out parameters, or the OID of an unknown curve. */
  curve?: string;
  /** Signature algorithm as OpenSSL names it (`sha256WithRSAEncryption`, `ecdsa-with-SHA1`), or its OID when unknown. */
  sig_alg: string;
  /** Hash under the signature: md5, sha1, sha256 … (`unknown` when not known). */
  sig_hash: string;
  self_issued: boolean;
  /** Self-issued and its signature verifies with its own key. */
  self_signed: boolean;
  is_ca: boolean;
  /** The RSA modulus carries the ROCA (CVE-2017-15361) fingerprint. */
  roca: boolean;
  /** Certificates in the file (leaf first). */
  chain_length: number;
  /** notAfter of the certificate in the file that issued this one, when the file has it. */
  issuer_not_after?: string;
  /** SHA-256 of the DER of the certificate in the file that issued this one (what `whatif compromise ca:` names). */
  issuer_fingerprint?: string;
  /** X.509 version: 1, 2 or 3. */
  version?: number;
  /** SHA-256 of the SubjectPublicKeyInfo DER: equal on two certificates means the same key pair. */
  key_fingerprint?: string;
}

/** The field type names `decodeCells` understands; read off a schema with `fieldKinds`. */
export type FieldKind = "string" | "number" | "boolean" | "list";
