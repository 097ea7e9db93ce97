/**
 * Syslog sink: RFC 5424 messages over UDP (RFC 5426, one message a datagram), TCP with octet counting (RFC 6587
 * §3.4.1: `LEN SP MSG`, so messages may contain line breaks) or TLS (RFC 5425, the same framing). TCP and TLS keep one
 * connection and reconnect on the next alert after it breaks. Plain syslog has no acknowledgement: "delivered" means
 * handed to the kernel, so a receiver that dies with data in flight loses it — say so to people who need more, and
 * point them at the webhook sink.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { hostname } from "node:os";
import { isIP, connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { SUCCESS, errorText, retryable, type IoResult } from "../result.ts";
import { PRODUCT } from "../product.ts";
import { FACILITIES, formatSyslog, truncateUtf8, type Facility, type SyslogFormat } from "./syslog-format.ts";
import type { Deliverer } from "./sink.ts";

export const SyslogTargetSchema = z
  .object({
    host: z.string().min(1).describe("Receiver host name or address."),
    port: z.number().int().min(1).max(65535).default(514).describe("514 for UDP and TCP by custom; 6514 for TLS."),
    protocol: z.enum(["udp", "tcp", "tls"]).default("udp"),
    facility: z.enum(Object.keys(FACILITIES) as [Facility, ...Facility[]]).default("local0"),
    format: z.enum(["text", "cef"]).default("text").describe("MSG as the alert's own words, or as a CEF record for SIEMs (ArcSight, QRadar, Sentinel …)."),
    hostname: z.string().min(1).optional().describe("HOSTNAME field; the machine's name by default."),
    app_name: z.string().min(1).default("longwatch"),
    sd_id: z.string().min(1).default("longwatch@32473").describe("SD-ID of the structured data; 32473 is the documentation enterprise number (RFC 5612), use your own."),
    max_message_bytes: z.number().int().min(480).max(65_000).default(2048).describe("Longer messages are cut (UDP receivers must take 480 bytes, should take 2048)."),
    ca_file: z.string().min(1).optional().describe("TLS: PEM file of the CA that signed the receiver's certificate (the system's CAs otherwise)."),
  })
  .strict();
export type SyslogTarget = z.infer<typeof SyslogTargetSchema>;

export function syslogDeliverer(t: SyslogTarget, now: () => number = Date.now): Deliverer {
  const fmt: SyslogFormat = {
    facility: t.facility,
    hostname: t.hostname ?? hostname(),
    appName: t.app_name,
    procId: String(process.pid),
    sdId: t.sd_id,
    cef: t.format === "cef" ? PRODUCT : undefined,
  };
  const channel = t.protocol === "udp" ? udpChannel(t) : streamChannel(t);
  return {
    type: "syslog",
    async deliver(n, signal) {
      const msg = truncateUtf8(formatSyslog(n, fmt, new Date(now())), t.max_message_bytes);
      return channel.send(msg, signal);
    },
    close: () => channel.close(),
  };
}

interface Channel {
  send(msg: Buffer, signal: AbortSignal): Promise<IoResult>;
  close(): Promise<void>;
}

function udpChannel(t: SyslogTarget): Channel {
  let sock: Promise<UdpSocket> | undefined;
  const open = () =>
    new Promise<UdpSocket>((resolve, reject) => {
      const s = createSocket(t.host.includes(":") ? "udp6" : "udp4");
      s.once("error", reject);
      // Connected, so the kernel reports an unreachable port (ICMP) on the next send instead of dropping silently.
      s.connect(t.port, t.host, () => {
        s.off("error", reject);
        s.on("error", () => (sock = undefined));
        resolve(s);
      });
    });
  return {
    async send(msg) {
      try {
        const s = await (sock ??= open());
        await new Promise<void>((resolve, reject) => s.send(msg, (e) => (e ? reject(e) : resolve())));
        return SUCCESS;
      } catch (e) {
        const s = await sock?.catch(() => undefined);
        s?.close();
        sock = undefined;
        return retryable(errorText(e));
      }
    },
    async close() {
      const s = await sock?.catch(() => undefined);
      sock = undefined;
      s?.close();
    },
  };
}

function streamChannel(t: SyslogTarget): Channel {
  let sock: Socket | undefined;
  const ca = t.ca_file ? readFileSync(t.ca_file) : undefined;
  const open = (signal: AbortSignal) =>
    new Promise<Socket>((resolve, reject) => {
      const s: Socket =
        t.protocol === "tls"
          ? tlsConnect({ host: t.host, port: t.port, ...(isIP(t.host) ? {} : { servername: t.host }), ...(ca ? { ca } : {}) }, () => done())
          : tcpConnect({ host: t.host, port: t.port }, () => done());
      const fail = (e: Error) => {
        s.destroy();
        reject(e);
      };
      const abort = () => fail(new Error("aborted while connecting"));
      function done() {
        s.off("error", fail);
        signal.removeEventListener("abort", abort);
        s.setKeepAlive(true, 30_000);
        s.on("error", () => s.destroy());
        s.on("close", () => {
          if (sock === s) sock = undefined;
        });
        // A receiver does not talk back; reading keeps the socket's end (peer closed) noticed.
        s.on("data", () => {});
        s.on("end", () => s.destroy());
        resolve(s);
      }
      s.once("error", fail);
      signal.addEventListener("abort", abort, { once: true });
    });
  return {
    async send(msg, signal) {
      try {
        if (!sock || sock.destroyed) sock = await open(signal);
        const s = sock;
        const frame = Buffer.concat([Buffer.from(`${msg.length} `), msg]);
        await new Promise<void>((resolve, reject) => s.write(frame, (e) => (e ? reject(e) : resolve())));
        return SUCCESS;
      } catch (e) {
        sock?.destroy();
        sock = undefined;
        return retryable(errorText(e));
      }
    },
    async close() {
      const s = sock;
      sock = undefined;
      if (s && !s.destroyed) await new Promise<void>((r) => s.end(() => r()));
      s?.destroy();
    },
  };
}
