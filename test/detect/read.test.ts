import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ColumnMappingSchema } from "../../src/detect/read/mapping.ts";
import { tmpDir } from "../helpers/tmp.ts";
import { readAll } from "./read-helpers.ts";

describe("CSV records", () => {
  const tmp = tmpDir();

  it("decodes canonical columns, timestamps in every accepted form, and infers the kind from the header", () => {
    const f = tmp.write(
      "flows.csv",
      [
        "ts,src_ip,src_port,dst_ip,dst_port,proto,bytes_out,bytes_in,conn_state,dns_name",
        "2026-11-25T10:00:00Z,10.0.0.5,40000,52.1.2.3,8883,tcp,1200,800,SF,iot.example.com",
        "2026-11-25T11:00:00.250+01:00,10.0.0.5,40001,52.1.2.4,443,tcp,1.5,0,S0,",
        "1795600800.5,10.0.0.6,1,fd00::1,53,udp,10,10,SF,",
        "2026-11-25 10:00,10.0.0.7,2,52.1.2.3,80,tcp,0,0,REJ,",
      ].join("\n"),
    );
    const r = readAll(f);
    assert.deepEqual(r.rejects, []);
    assert.deepEqual(r.records.map((x) => x.kind), ["flow", "flow", "flow", "flow"]);
    assert.equal(r.records[0]!.ts, Date.parse("2026-11-25T10:00:00Z"));
    assert.equal(r.records[1]!.ts, Date.parse("2026-11-25T10:00:00.250Z"));
    assert.equal(r.records[2]!.ts, 1795600800500);
    assert.equal(r.records[3]!.ts, Date.parse("2026-11-25T10:00:00Z"));
    assert.equal(r.records[0]!.num.dst_port, 8883);
    assert.equal(r.records[0]!.num.dst_ip, (52 << 24) + (1 << 16) + (2 << 8) + 3);
    assert.equal(r.records[1]!.num.bytes_out, 1.5);
    assert.equal(r.records[2]!.fields.dst_ip, "fd00::1");
    assert.equal(r.records[0]!.fields.dns_name, "iot.example.com");
  });

  it("reads quoted cells (delimiters, quotes and line breaks inside) and keeps line numbers right", () => {
    const f = tmp.write("q.csv", 'ts,device_id,kind,metric,value\n2026-11-25T10:00:00Z,"dev,1",metric,"temp ""c""",1\n2026-11-25T10:00:01Z,"dev\n2",metric,x,2\n2026-11-25T10:00:02Z,dev3,metric,y,3\n');
    const r = readAll(f);
    assert.deepEqual(r.rejects, []);
    assert.deepEqual(r.records.map((x) => [x.line, x.fields.device_id, x.fields.metric]), [
      [2, "dev,1", 'temp "c"'],
      [3, "dev\n2", "x"],
      [5, "dev3", "y"],
    ]);
  });

  it("rejects bad cells with their line and reason and goes on", () => {
    const f = tmp.write(
      "bad.csv",
      [
        "ts,kind,device_id,event,bytes_up,mcc,imei",
        "2026-11-25T10:00:00Z,connectivity,d1,attach,10,262,356938035643809",
        "2026-13-25T10:00:00Z,connectivity,d1,attach,10,262,",
        "2026-11-25T10:00:00Z,connectivity,d1,fly,10,262,",
        "2026-11-25T10:00:00Z,connectivity,d1,attach,-5,262,",
        "2026-11-25T10:00:00Z,connectivity,d1,attach,10,1000,",
        "2026-11-25T10:00:00Z,connectivity,d1,attach,10,262,12ab",
        "2026-11-25T10:00:00Z,flow,d1,,,,",
        "2026-11-25T10:00:00Z,broker,,connect,,,",
        "2026-11-25T10:00:00Z,connectivity,d1,connect,10,262,",
        "2026-11-25T10:00:00Z,connectivity,d1,attach,10,262,,extra",
        "2026-11-25T10:00:00Z,unknown,d1,attach,10,262,",
        "2026-11-25T10:00:00Z,connectivity,d2,detach,,,",
      ].join("\n"),
    );
    const r = readAll(f);
    assert.deepEqual(r.records.map((x) => [x.line, x.fields.device_id]), [
      [2, "d1"],
      [13, "d2"],
    ]);
    const reasons = Object.fromEntries(r.rejects.map((x) => [x.line, x.reason]));
    assert.match(reasons[3]!, /^ts: "2026-13-25T10:00:00Z" is not an ISO 8601/);
    assert.match(reasons[4]!, /^event: "fly" is not a known event/);
    assert.match(reasons[5]!, /^bytes_up: "-5" is negative/);
    assert.match(reasons[6]!, /^mcc: "1000" is not a whole number in 0-999/);
    assert.match(reasons[7]!, /^imei: "12ab" is not an IMEI/);
    assert.match(reasons[8]!, /^flow: needs dst_ip/);
    assert.match(reasons[9]!, /^no identifier/);
    assert.match(reasons[10]!, /^event: "connect" is not a connectivity event/);
    assert.match(reasons[11]!, /has 8 cells, the header has 7/);
    assert.match(reasons[12]!, /^kind: "unknown" is not one of/);
    assert.equal(r.rejects.length, 10);
  });

  it("follows a YAML column mapping: renamed columns, value spellings, units, delimiter, millisecond epochs", () => {
    const mapping = ColumnMappingSchema.parse({
      kind: "connectivity",
      delimiter: ";",
      ts_unit: "ms",
      columns: { ts: "Event Time", iccid: "ICCID", event: "Record Type", bytes_up: "Upload (KB)" },
      values: { event: { "Data Session Start": "session_start", "SMS MO": "sms_mo" } },
      scale: { bytes_up: 1024 },
    });
    const f = tmp.write("cdr.csv", "Event Time;ICCID;Record Type;Upload (KB);Operator\n1795600800000;8949100000000000001;Data Session Start;2;Telekom\n1795600801000;8949100000000000001;SMS MO;;Telekom\n1795600802000;8949100000000000001;Reboot;;Telekom\n");
    const r = readAll(f, { mapping });
    assert.deepEqual(r.records.map((x) => [x.kind, x.ts, x.fields.event, x.num.bytes_up]), [
      ["connectivity", 1795600800000, "session_start", 2048],
      ["connectivity", 1795600801000, "sms_mo", undefined],
    ]);
    assert.match(r.rejects[0]!.reason, /^event: "Reboot" is not a known event/);
    assert.equal(r.rejects[0]!.line, 4);
  });
});

describe("Zeek conn.log", () => {
  it("reads the #fields header, treats - and (empty) as unset, and ignores extra trailing label columns", () => {
    const tmp = tmpDir();
    const lines = [
      "#separator \\x09",
      "#set_separator\t,",
      "#empty_field\t(empty)",
      "#unset_field\t-",
      "#path\tconn",
      "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
      "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]",
      "1545403816.962094\tC1\t192.168.1.195\t41040\t185.244.25.235\t80\ttcp\t-\t3.139211\t0\t0\tS0\t-\t-\t0\tS\t3\t180\t0\t0\t(empty)   Malicious   PartOfAHorizontalPortScan",
      "1545403824.181240\tC2\t192.168.1.195\t41040\t185.244.25.235\t80\ttcp\thttp\t2.5\t149\t128\tSF\t-\t-\t0\tShAdDaf\t5\t417\t3\t288\t(empty)   Benign   -",
      "not\ta\tvalid\tline",
      "#close\t2018-12-21-15-50-14",
    ];
    const f = tmp.write("conn.log.labeled", lines.join("\n"));
    const r = readAll(f);
    assert.equal(r.records.length, 2);
    assert.deepEqual(r.records[0]!.fields, { ts: "1545403816.962094", src_ip: "192.168.1.195", src_port: "41040", dst_ip: "185.244.25.235", dst_port: "80", proto: "tcp", duration: "3.139211", bytes_out: "0", bytes_in: "0", conn_state: "S0", packets_out: "3", packets_in: "0" });
    assert.equal(r.records[0]!.kind, "flow");
    assert.equal(r.records[1]!.num.bytes_out, 149);
    assert.equal(r.rejects.length, 1);
    assert.equal(r.rejects[0]!.line, 10);
  });
});

describe("NDJSON records", () => {
  it("reads flat objects on the fast path and anything else through JSON.parse, with the same result", () => {
    const tmp = tmpDir();
    const f = tmp.write(
      "r.ndjson",
      [
        '{"kind":"flow","ts":"2026-11-25T10:00:00Z","src_ip":"10.0.0.5","dst_ip":"52.1.2.3","dst_port":443,"bytes_out":100,"extra":true,"note":null}',
        '{ "kind" : "flow" , "ts" : 1795600800 , "src_ip" : "10.0.0.5" , "dst_ip" : "52.1.2.3" , "dns_name" : "a\\u0062c.example" }',
        '{"kind":"metric","ts":"2026-11-25T10:00:00Z","device_id":"d1","metric":"temp","value":-3.5,"tags":{"a":1}}',
        '{"ts":1545403816.96,"id.orig_h":"192.168.1.195","id.resp_h":"8.8.8.8","id.resp_p":53,"proto":"udp","kind":"flow"}',
        "{not json",
        "[1,2]",
        '{"kind":"flow","ts":"2026-11-25T10:00:00Z","src_ip":{"nested":1},"dst_ip":"1.1.1.1"}',
        "",
      ].join("\n"),
    );
    const r = readAll(f);
    assert.deepEqual(r.records.map((x) => x.line), [1, 2, 3, 4]);
    assert.equal(r.records[0]!.num.dst_port, 443);
    assert.equal(r.records[1]!.fields.dns_name, "abc.example");
    assert.equal(r.records[2]!.num.value, -3.5);
    assert.equal(r.records[3]!.fields.src_ip, "192.168.1.195");
    assert.deepEqual(r.rejects.map((x) => x.line), [5, 6, 7]);
    assert.match(r.rejects[0]!.reason, /not valid JSON/);
    assert.match(r.rejects[2]!.reason, /src_ip: is an object/);
  });
});

describe("AWS IoT Device Defender metrics reports", () => {
  const long = {
    header: { report_id: 1795600800, version: "1.0" },
    metrics: {
      listening_tcp_ports: { ports: [{ interface: "eth0", port: 22 }], total: 1 },
      network_stats: { bytes_in: 2000, bytes_out: 3000, packets_in: 20, packets_out: 30 },
      tcp_connections: { established_connections: { connections: [{ local_interface: "eth0", local_port: 51000, remote_addr: "203.0.113.9:8883" }], total: 1 } },
    },
    custom_metrics: { cpu_temp: [{ number: 61 }] },
  };
  const short = {
    hed: { rid: 1795600800, v: "1.0" },
    met: { tp: { pts: [{ if: "eth0", pt: 22 }], t: 1 }, ns: { bi: 2000, bo: 3000, pi: 20, po: 30 }, tc: { ec: { cs: [{ li: "eth0", lp: 51000, rad: "203.0.113.9:8883" }], t: 1 } } },
    cmet: { cpu_temp: [{ number: 61 }] },
  };

  it("reads long and short key names to the same records, naming the device from the file name", () => {
    const tmp = tmpDir();
    const a = readAll(tmp.write("thing-7.json", JSON.stringify(long, null, 2)));
    const b = readAll(tmp.write("thing-7.ndjson", JSON.stringify(short)));
    assert.deepEqual(a.rejects, []);
    assert.deepEqual(b.rejects, []);
    const view = (r: typeof a) => r.records.map((x) => `${x.kind} ${x.fields.device_id} ${x.fields.metric ?? x.fields.dst_ip}=${x.fields.value ?? x.fields.dst_port}`);
    assert.deepEqual(view(a), view(b));
    assert.deepEqual(view(a), [
      "metric thing-7 aws:all-bytes-in=2000",
      "metric thing-7 aws:all-bytes-out=3000",
      "metric thing-7 aws:all-packets-in=20",
      "metric thing-7 aws:all-packets-out=30",
      "metric thing-7 aws:num-listening-tcp-ports=1",
      "metric thing-7 aws:num-established-tcp-connections=1",
      "flow thing-7 203.0.113.9=8883",
      "metric thing-7 cpu_temp=61",
    ]);
    assert.equal(a.records[0]!.ts, 1795600800000);
  });

  it("takes the thing name and time from a wrapper or the MQTT topic, and rejects a report without a usable time", () => {
    const tmp = tmpDir();
    const lines = [
      JSON.stringify({ thing_name: "meter-1", ts: "2026-11-25T10:00:00Z", report: { ...long, header: { report_id: 7, version: "1.0" } } }),
      JSON.stringify({ topic: "$aws/things/meter-2/defender/metrics/json", payload: short }),
      JSON.stringify({ ...long, header: { report_id: 7, version: "1.0" } }),
    ];
    const r = readAll(tmp.write("reports.ndjson", lines.join("\n")));
    assert.deepEqual([...new Set(r.records.map((x) => x.fields.device_id))], ["meter-1", "meter-2"]);
    assert.equal(r.records[0]!.ts, Date.parse("2026-11-25T10:00:00Z"));
    assert.equal(r.rejects.length, 1);
    assert.equal(r.rejects[0]!.line, 3);
    assert.match(r.rejects[0]!.reason, /without a usable time/);
  });
});

describe("timestamps", () => {
  it("agree with Date.parse across dates in any order, and reject days a month does not have", async () => {
    const { parseTs } = await import("../../src/detect/read/bytes.ts");
    const ts = (t: string) => {
      const b = new TextEncoder().encode(`,${t},`);
      return parseTs(b, 1, b.length - 1);
    };
    // Valid dates, each repeated (the parser keeps the last date's start), with leap days and year ends.
    const days = ["2026-11-02", "2026-11-02", "2024-02-29", "2024-02-29", "2024-03-01", "2000-02-29", "2026-12-31", "2027-01-01", "1970-01-01"];
    for (const [i, d] of days.entries()) {
      const t = `${d}T${String(i % 24).padStart(2, "0")}:07:09Z`;
      assert.equal(ts(t), Date.parse(t), t);
    }
    // An impossible day right after a valid date of the same month, and the valid one again after it.
    for (const t of ["2026-02-28T00:00:00Z", "2026-02-29T00:00:00Z", "2026-02-30T10:00:00Z", "2026-04-31T00:00:00Z", "1900-02-29T00:00:00Z", "2026-13-01T00:00:00Z"]) {
      const want = Date.parse(t);
      const valid = !Number.isNaN(want) && new Date(want).toISOString().slice(0, 10) === t.slice(0, 10);
      if (valid) assert.equal(ts(t), want, t);
      else assert.ok(Number.isNaN(ts(t)), `${t} is rejected`);
    }
    assert.equal(ts("2026-02-28T00:00:00Z"), Date.parse("2026-02-28T00:00:00Z"));
  });
});
