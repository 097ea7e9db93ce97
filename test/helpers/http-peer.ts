/** A real HTTP server on a free loopback port whose behaviour a test switches: answer, fail, hang. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

export type Behaviour = (req: Received, res: ServerResponse) => void;

export async function httpPeer(initial: Behaviour = (_r, res) => res.end("ok")) {
  const received: Received[] = [];
  let behave = initial;
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const r = { headers: req.headers, body: Buffer.concat(parts).toString("utf8"), at: Date.now() };
      received.push(r);
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      behave(r, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    set(b: Behaviour) {
      behave = b;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Never answers (the socket stays open until the peer is closed or the client gives up). */
export const hang: Behaviour = () => {};
export const status = (code: number, headers: Record<string, string> = {}): Behaviour => (_r, res) => {
  res.writeHead(code, headers);
  res.end();
};
