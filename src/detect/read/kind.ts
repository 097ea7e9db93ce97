/** Infers the record kind of a file from the fields its header (or first object) has, when no kind is given. */
import { F, KIND } from "./fields.ts";

const CONNECTIVITY = [F.iccid, F.imsi, F.mcc, F.mnc, F.lac, F.cell_id, F.rat, F.apn, F.bytes_up, F.bytes_down, F.sms_count, F.lat, F.lon];
const BROKER = [F.topic, F.bytes];

/** -1 when the fields include `kind` (each record says) or don't tell. */
export function inferKind(fields: ReadonlySet<number>): number {
  if (fields.has(F.kind)) return -1;
  if (fields.has(F.src_ip) && fields.has(F.dst_ip)) return KIND.flow;
  if (fields.has(F.metric) && fields.has(F.value)) return KIND.metric;
  if (CONNECTIVITY.some((f) => fields.has(f))) return KIND.connectivity;
  if (BROKER.some((f) => fields.has(f)) || (fields.has(F.mqtt_client_id) && fields.has(F.event))) return KIND.broker;
  return -1;
}
