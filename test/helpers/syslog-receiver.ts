/**
 * Real syslog receivers for tests (UDP, TCP with RFC 6587 octet counting, TLS) and an RFC 5424 parser written from
 * the RFC's ABNF, so a test checks what actually arrived on the wire.
 */
import { createSocket } from "node:dgram";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";

export interface Syslog5424 {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: Record<string, Record<string, string>>;
  msg: string;
  bom: boolean;
}

export function parse5424(raw: string): Syslog5424 {
  const head = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(raw);
  if (!head) throw new Error(`not RFC 5424: ${raw.slice(0, 80)}`);
  let i = head[0].length;
  const sd: Syslog5424["sd"] = {};
  if (raw[i] === "-") i++;
  else {
    while (raw[i] === "[") {
      i++;
      const id = /^[^ \]="]+/.exec(raw.slice(i))![0];
      i += id.length;
      const params: Record<string, string> = {};
      while (raw[i] === " ") {
        i++;
        const name = /^[^ \]="]+/.exec(raw.slice(i))![0];
        i += name.length;
        if (raw.slice(i, i + 2) !== '="') throw new Error(`bad SD-PARAM at ${i}`);
        i += 2;
        let v = "";
        while (raw[i] !== '"') {
          if (i >= raw.length) throw new Error("unterminated SD-PARAM value");
          if (raw[i] === "\\" && ['"', "\\", "]"].includes(raw[i + 1]!)) i++;
          v += raw[i++];
        }
        i++;
        params[name] = v;
      }
      if (raw[i] !== "]") throw new Error(`bad SD-ELEMENT end at ${i}: ${raw.slice(i, i + 10)}`);
      i++;
      sd[id] = params;
    }
  }
  let msg = raw[i] === " " ? raw.slice(i + 1) : "";
  const bom = msg.startsWith("\uFEFF");
  if (bom) msg = msg.slice(1);
  const pri = Number(head[1]);
  return { pri, facility: pri >> 3, severity: pri & 7, version: Number(head[2]), timestamp: head[3]!, hostname: head[4]!, appName: head[5]!, procId: head[6]!, msgId: head[7]!, sd, msg, bom };
}

/** Splits an octet-counted stream (`LEN SP MSG`…) into messages, across any chunk boundaries. */
export function octetFramer(onMessage: (m: string) => void) {
  let buf = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const sp = buf.indexOf(0x20);
      if (sp < 0) return;
      const len = Number(buf.subarray(0, sp).toString("ascii"));
      if (!Number.isInteger(len) || len <= 0) throw new Error(`bad frame length ${buf.subarray(0, sp).toString()}`);
      if (buf.length < sp + 1 + len) return;
      onMessage(buf.subarray(sp + 1, sp + 1 + len).toString("utf8"));
      buf = buf.subarray(sp + 1 + len);
    }
  };
}

export async function udpReceiver() {
  const messages: string[] = [];
  const s = createSocket("udp4");
  s.on("message", (m) => messages.push(m.toString("utf8")));
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  return { port: s.address().port, messages, close: () => new Promise<void>((r) => s.close(() => r())) };
}

export async function streamReceiver(opts: { port?: number; tls?: { key: string; cert: string } } = {}) {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const onConn = (c: Socket) => {
    sockets.add(c);
    c.on("close", () => sockets.delete(c));
    c.on("error", () => {});
    c.on("data", octetFramer((m) => messages.push(m)));
  };
  const server: Server = opts.tls ? createTlsServer(opts.tls, onConn) : createServer(onConn);
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    async close() {
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
