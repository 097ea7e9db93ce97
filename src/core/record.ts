/**
 * Records for detection (connectivity events, network flows, broker events, metrics) and the Alert they give rise to,
 * as zod schemas. Field names are the public contract of FORMATS.md; docs/schemas/ is generated from these.
 *
 * The detection hot path does not run these schemas per record (it decodes bytes directly, see detect/read/); they are
 * the reference the fast readers are tested against and the source of the JSON Schemas.
 */
import { z } from "zod";
import { isIPv4, isIPv6 } from "./coerce.ts";
import { parseIsoDate } from "./dates.ts";
import { SEVERITIES } from "./severity.ts";

export const RECORD_KINDS = ["connectivity", "flow", "broker", "metric"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const CONNECTIVITY_EVENTS = ["attach", "detach", "location_update", "session_start", "session_update", "session_end", "sms_mo", "sms_mt", "auth_failure"] as const;
export const BROKER_EVENTS = ["connect", "disconnect", "auth_failure", "authz_failure", "publish", "subscribe"] as const;

/** Fields that can name the device a record is about, in the order they are tried. */
export const IDENTIFIER_FIELDS = ["device_id", "mqtt_client_id", "iccid", "imsi", "imei", "mac", "ip"] as const;
export type IdentifierField = (typeof IDENTIFIER_FIELDS)[number];

const timestamp = z
  .union([z.number().nonnegative(), z.string().refine((s) => parseIsoDate(s) !== undefined || /^\d+(\.\d+)?$/.test(s.trim()), "is not an ISO 8601 date-time or epoch seconds")])
  .describe("ISO 8601 date-time (UTC when no zone is given) or epoch seconds with fraction.");
const ip = z.string().refine((s) => isIPv4(s) || isIPv6(s), "is not an IPv4 or IPv6 address");
const count = z.number().nonnegative().finite();
const port = z.number().int().min(0).max(65535);
const text = z.string().min(1).max(512);

const identity = {
  ts: timestamp,
  device_id: text.optional(),
  mqtt_client_id: text.optional(),
  iccid: z.string().regex(/^\d{18,22}F?$/i, "is not an ICCID (18-22 digits)").optional(),
  imsi: z.string().regex(/^\d{6,15}$/, "is not an IMSI (6-15 digits)").optional(),
  imei: z.string().regex(/^\d{14,16}$/, "is not an IMEI (14-16 digits)").optional(),
  mac: z.string().regex(/^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$/, "is not a MAC address").optional(),
};

const hasIdentifier = (r: Record<string, unknown>) => IDENTIFIER_FIELDS.some((f) => r[f] !== undefined) || r.src_ip !== undefined;
const idMessage = { message: `needs one of ${IDENTIFIER_FIELDS.join(", ")} to name its device` };

export const ConnectivityRecordSchema = z
  .object({
    kind: z.literal("connectivity"),
    ...identity,
    ip: ip.optional().describe("IP address given to the session; flows from it are then resolved to this device."),
    event: z.enum(CONNECTIVITY_EVENTS),
    mcc: z.number().int().min(0).max(999).optional(),
    mnc: z.number().int().min(0).max(999).optional(),
    lac: z.number().int().nonnegative().optional(),
    cell_id: z.number().int().nonnegative().optional(),
    rat: z.string().max(16).optional().describe("Radio access technology, e.g. 2G, 3G, LTE, LTE-M, NB-IoT, 5G."),
    apn: z.string().max(128).optional(),
    bytes_up: count.optional().describe("Bytes sent by the device; in session_update a running total for the session (a counter), elsewhere a delta."),
    bytes_down: count.optional(),
    sms_count: count.optional(),
    lat: z.number().min(-90).max(90).optional().describe("Latitude of the serving cell or fix, when the provider gives one."),
    lon: z.number().min(-180).max(180).optional(),
  })
  .refine(hasIdentifier, idMessage);

export const FlowRecordSchema = z.object({
  kind: z.literal("flow"),
  ...identity,
  src_ip: ip,
  src_port: port.optional(),
  dst_ip: ip,
  dst_port: port.optional(),
  proto: z.string().max(16).optional().describe("tcp, udp, icmp …"),
  bytes_out: count.optional().describe("Bytes from src to dst."),
  bytes_in: count.optional(),
  packets_out: count.optional(),
  packets_in: count.optional(),
  duration: count.optional().describe("Seconds."),
  conn_state: z.string().max(16).optional().describe("Zeek connection state (S0, REJ, SF …): S0 and REJ count as failed attempts."),
  dns_name: z.string().max(253).optional(),
});

export const BrokerRecordSchema = z
  .object({
    kind: z.literal("broker"),
    ...identity,
    ip: ip.optional(),
    event: z.enum(BROKER_EVENTS),
    topic: z.string().max(1024).optional(),
    bytes: count.optional(),
    src_ip: ip.optional(),
  })
  .refine(hasIdentifier, idMessage);

export const MetricRecordSchema = z
  .object({
    kind: z.literal("metric"),
    ...identity,
    ip: ip.optional(),
    metric: z.string().min(1).max(128).describe("e.g. bytes_out, aws:all-packets-in, battery; a name ending in _total is read as a counter."),
    value: z.number().finite(),
  })
  .refine(hasIdentifier, idMessage);

export const RecordSchema = z.discriminatedUnion("kind", [ConnectivityRecordSchema, FlowRecordSchema, BrokerRecordSchema, MetricRecordSchema]);
export type DetectionRecord = z.infer<typeof RecordSchema>;

export const DETECTOR_IDS = [
  "volume-anomaly",
  "new-destination",
  "horizontal-scan",
  "vertical-scan",
  "beaconing",
  "ddos-participation",
  "sim-swap",
  "unexpected-network",
  "impossible-travel",
  "sms-on-data-sim",
  "auth-failure-burst",
  "connect-storm",
  "disconnect-storm",
  "device-silent",
  "fleet-campaign",
  "undeclared-flow",
  "data-residency",
  "location-to-third-party",
  "mud-violation",
  "watchlist-hit",
] as const;
export type DetectorId = (typeof DETECTOR_IDS)[number];

export const ALERT_STATES = ["open", "acknowledged", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export const VERIFICATIONS = ["unknown", "true_positive", "benign_positive", "false_positive"] as const;
export type Verification = (typeof VERIFICATIONS)[number];

export const AlertSchema = z.object({
  id: z.string().describe("Stable id: the same input gives the same id."),
  detector: z.enum(DETECTOR_IDS),
  device_id: z.string(),
  model_id: z.string().optional(),
  key: z.string().describe("What the alert is about within its detector and device (a metric, a destination …); alerts are deduplicated on it."),
  severity: z.enum(SEVERITIES),
  confidence: z.number().min(0).max(1),
  first_seen: z.string().describe("ISO 8601 event time of the first record that raised it."),
  last_seen: z.string(),
  count: z.number().int().positive().describe("How many times the condition was seen while the alert was open."),
  summary: z.string().describe("What was seen and how unusual it is, in one or two sentences."),
  action: z.string().describe("What to do about it."),
  evidence: z.record(z.string(), z.unknown()).describe("What was seen (records with file:line) and the baseline it was compared with."),
  state: z.enum(ALERT_STATES),
  verification: z.enum(VERIFICATIONS),
  assignee: z.string().optional().describe("Who is looking after it (set by people, never by detection)."),
});
export type Alert = z.infer<typeof AlertSchema>;
