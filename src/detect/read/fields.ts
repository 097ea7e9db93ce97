/**
 * The canonical record fields as small integers, so the hot path indexes typed arrays instead of looking up names.
 * Names are the public columns of FORMATS.md; each has a decoding type that says how its bytes are read.
 */

export const FIELD_NAMES = [
  "ts", "kind", "device_id", "mqtt_client_id", "iccid", "imsi", "imei", "mac", "ip", "event",
  "mcc", "mnc", "lac", "cell_id", "rat", "apn", "bytes_up", "bytes_down", "sms_count",
  "src_ip", "src_port", "dst_ip", "dst_port", "proto", "bytes_out", "bytes_in", "packets_out", "packets_in",
  "duration", "conn_state", "dns_name", "topic", "bytes", "metric", "value", "lat", "lon",
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];
export const FIELD_COUNT = FIELD_NAMES.length;

/** Field numbers by name, e.g. `F.dst_ip`. */
export const F = Object.fromEntries(FIELD_NAMES.map((n, i) => [n, i])) as { readonly [K in FieldName]: number };

/**
 * How a field's text becomes a value: `num` a finite number (`int` a whole one ≥ 0), `ip` an address (IPv4 also as a
 * 32-bit number), `text` a hashed string, `enum` a word of a fixed vocabulary, `ts` a timestamp, `id` an identifier.
 */
export type FieldType = "ts" | "num" | "int" | "ip" | "text" | "raw" | "enum" | "id";

const types: Partial<Record<FieldName, FieldType>> = {
  ts: "ts", kind: "enum", event: "enum", proto: "text", conn_state: "text", rat: "raw", apn: "raw", dns_name: "text",
  topic: "raw", metric: "text", device_id: "id", mqtt_client_id: "id", iccid: "id", imsi: "id", imei: "id", mac: "id",
  ip: "ip", src_ip: "ip", dst_ip: "ip", mcc: "int", mnc: "int", lac: "int", cell_id: "int", src_port: "int", dst_port: "int",
};
export const FIELD_TYPES: readonly FieldType[] = FIELD_NAMES.map((n) => types[n] ?? "num");

/** Longest text (bytes) each field may hold, as the public schemas say; identifiers 512. */
const maxLen: Partial<Record<FieldName, number>> = { proto: 16, conn_state: 16, rat: 16, apn: 128, dns_name: 253, topic: 1024, metric: 128 };
export const FIELD_MAX_LEN = Uint16Array.from(FIELD_NAMES, (n) => maxLen[n] ?? 512);

/** The same types as small numbers, for the per-cell switch on the hot path (`raw` text is kept, not hashed). */
export const T = { ts: 0, num: 1, int: 2, ip: 3, text: 4, raw: 5, enum: 6, id: 7 } as const;
export const FIELD_TYPE_CODES = Uint8Array.from(FIELD_TYPES, (t) => T[t]);

export const KIND_WORDS = ["connectivity", "flow", "broker", "metric"] as const;
export const KIND = { connectivity: 0, flow: 1, broker: 2, metric: 3 } as const;

/** One vocabulary for the events of every kind; which ones a kind allows is checked separately. */
export const EVENT_WORDS = [
  "attach", "detach", "location_update", "session_start", "session_update", "session_end", "sms_mo", "sms_mt",
  "auth_failure", "connect", "disconnect", "authz_failure", "publish", "subscribe",
] as const;
export type EventWord = (typeof EVENT_WORDS)[number];
export const EV = Object.fromEntries(EVENT_WORDS.map((n, i) => [n, i])) as { readonly [K in EventWord]: number };

const CONNECTIVITY_MASK = 0b1_1111_1111;
const BROKER_MASK = (1 << EV.connect) | (1 << EV.disconnect) | (1 << EV.auth_failure) | (1 << EV.authz_failure) | (1 << EV.publish) | (1 << EV.subscribe);
/** Bit masks of the events each kind allows, indexed by kind number. */
export const KIND_EVENTS: readonly number[] = [CONNECTIVITY_MASK, 0, BROKER_MASK, 0];

/** Fields that name a device, in the order they are tried (FORMATS.md). `ip` comes last: it is often shared. */
export const IDENTIFIER_ORDER: readonly number[] = [F.device_id, F.mqtt_client_id, F.iccid, F.imsi, F.imei, F.mac, F.ip];

/** Zeek conn.log column names (and those of Zeek's JSON logs) mapped to canonical fields. */
export const ZEEK_ALIASES: Readonly<Record<string, FieldName>> = {
  ts: "ts", "id.orig_h": "src_ip", "id.orig_p": "src_port", "id.resp_h": "dst_ip", "id.resp_p": "dst_port", proto: "proto",
  duration: "duration", orig_bytes: "bytes_out", resp_bytes: "bytes_in", conn_state: "conn_state", orig_pkts: "packets_out",
  resp_pkts: "packets_in",
};
