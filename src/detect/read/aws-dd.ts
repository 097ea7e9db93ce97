/**
 * AWS IoT Device Defender device-side metrics reports, read unchanged so fleets running its agents can switch. A report
 * (JSON, long or short key names) becomes metric records — network byte and packet deltas, listening port and
 * connection counts, custom number metrics — and one flow record per established TCP connection, so remote addresses
 * feed the destination detectors as Device Defender's `aws:destination-ip-addresses` did.
 *
 * The thing name is not inside a report (it is in the MQTT topic), so it is taken from a wrapper object
 * (`{"thing_name": …, "report": {…}}`, or `{"topic": "$aws/things/<name>/defender/metrics/json", "payload": {…}}`),
 * and failing that from the file name. The time is the wrapper's `ts`/`timestamp`, else the report id when it is an
 * epoch time (as AWS recommends).
 */

type Obj = Record<string, unknown>;
/** A record as canonical field → text, for the slow path. */
export type TextRecord = Record<string, string>;

const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
/** Reads a key under its long or short name. */
const get = (o: Obj | undefined, long: string, short: string): unknown => (o === undefined ? undefined : (o[long] ?? o[short]));

/** Is this JSON value a Device Defender report, or a wrapper around one? Returns the report and its wrapper. */
export function asAwsReport(v: unknown): { report: Obj; wrapper: Obj | undefined } | undefined {
  const o = obj(v);
  if (!o) return undefined;
  if (obj(get(o, "header", "hed")) && (obj(get(o, "metrics", "met")) || obj(get(o, "custom_metrics", "cmet")))) return { report: o, wrapper: undefined };
  for (const k of ["report", "payload", "message"]) {
    const inner = obj(o[k]);
    if (inner && obj(get(inner, "header", "hed"))) return { report: inner, wrapper: o };
  }
  return undefined;
}

const TOPIC = /^\$aws\/things\/([^/]+)\/defender\/metrics\//;

/** Expands one report into records; throws an Error with a readable reason when it cannot be used. */
export function awsReportRecords(report: Obj, wrapper: Obj | undefined, fallbackDevice: string | undefined): TextRecord[] {
  const header = obj(get(report, "header", "hed"))!;
  const rid = get(header, "report_id", "rid");
  const topic = typeof wrapper?.topic === "string" ? TOPIC.exec(wrapper.topic)?.[1] : undefined;
  const named = [wrapper?.thing_name, wrapper?.thingName, wrapper?.client_id, wrapper?.device_id, topic].find((x) => typeof x === "string" && x !== "");
  const device = (named as string | undefined) ?? fallbackDevice;
  if (device === undefined) throw new Error("Device Defender report without a thing name (wrap it as {\"thing_name\": …, \"report\": …})");
  const ts = tsOf(wrapper?.ts ?? wrapper?.timestamp, rid);
  if (ts === undefined) throw new Error("Device Defender report without a usable time (report_id is not an epoch time; add ts)");
  const base = { kind: "metric", ts, device_id: device };
  const out: TextRecord[] = [];
  const metric = (name: string, v: unknown) => {
    if (typeof v === "number" && Number.isFinite(v)) out.push({ ...base, metric: name, value: String(v) });
  };
  const m = obj(get(report, "metrics", "met"));
  const ns = obj(get(m, "network_stats", "ns"));
  metric("aws:all-bytes-in", get(ns, "bytes_in", "bi"));
  metric("aws:all-bytes-out", get(ns, "bytes_out", "bo"));
  metric("aws:all-packets-in", get(ns, "packets_in", "pi"));
  metric("aws:all-packets-out", get(ns, "packets_out", "po"));
  metric("aws:num-listening-tcp-ports", get(obj(get(m, "listening_tcp_ports", "tp")), "total", "t"));
  metric("aws:num-listening-udp-ports", get(obj(get(m, "listening_udp_ports", "up")), "total", "t"));
  const est = obj(get(obj(get(m, "tcp_connections", "tc")), "established_connections", "ec"));
  metric("aws:num-established-tcp-connections", get(est, "total", "t"));
  const conns = get(est, "connections", "cs");
  if (Array.isArray(conns)) {
    for (const c of conns) {
      const remote = get(obj(c), "remote_addr", "rad");
      const parsed = typeof remote === "string" ? splitHostPort(remote) : undefined;
      if (!parsed) continue;
      const local = get(obj(c), "local_port", "lp");
      out.push({ kind: "flow", ts, device_id: device, dst_ip: parsed.host, dst_port: parsed.port, proto: "tcp", ...(typeof local === "number" ? { src_port: String(local) } : {}) });
    }
  }
  const custom = obj(get(report, "custom_metrics", "cmet"));
  for (const [name, v] of Object.entries(custom ?? {})) {
    const first = Array.isArray(v) ? obj(v[0]) : undefined;
    metric(name, first?.number);
  }
  return out;
}

function tsOf(given: unknown, rid: unknown): string | undefined {
  if (typeof given === "string" && given !== "") return given;
  if (typeof given === "number") return String(given > 1e11 ? given / 1000 : given);
  if (typeof rid !== "number") return undefined;
  // Between 2001 and 2100 in seconds or milliseconds: an epoch time.
  if (rid > 1e9 && rid < 4.2e9) return String(rid);
  if (rid > 1e12 && rid < 4.2e12) return String(rid / 1000);
  return undefined;
}

function splitHostPort(s: string): { host: string; port: string } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s.trim());
  return m ? { host: m[1]!, port: m[2]! } : undefined;
}
