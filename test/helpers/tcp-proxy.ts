/**
 * A TCP proxy between a client under test and a real server (the shared Mosquitto), which can stop passing what the
 * client sends while still passing what the server sends. An MQTT client behind it then takes messages in and its
 * PUBACKs never reach the broker: the window between "taken durably" and "acknowledged", which a kill -9 at a random
 * moment hits only by luck, held open for as long as a test needs. It can also cut the client off the server (every
 * connection closed, new ones refused) and let it back, for as long as a test needs: a client that stalled or lost
 * its network, at a moment the test chooses, with no process to stop.
 */
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

export interface TcpProxy {
  /** Where clients connect instead of the server, as host:port. */
  readonly address: string;
  /** From now on, bytes the current connections' clients send are dropped (connections made later pass them). */
  holdClientBytes(): void;
  /** Closes the current connections and refuses new ones (each is closed once accepted) until `restore`. */
  cut(): void;
  /** Connections made from now on pass again. */
  restore(): void;
  /** Bytes dropped by holdClientBytes so far. */
  readonly dropped: number;
  close(): Promise<void>;
}

export async function tcpProxy(host: string, port: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; held: boolean }>();
  let dropped = 0;
  let cutOff = false;
  const server = createServer((client) => {
    if (cutOff) return void client.destroy();
    const upstream = connect(port, host);
    const pair = { client, upstream, held: false };
    pairs.add(pair);
    client.on("data", (c: Buffer) => {
      if (pair.held) dropped += c.length;
      else upstream.write(c);
    });
    upstream.on("data", (c: Buffer) => client.write(c));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on("close", end);
      s.on("error", end);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    holdClientBytes() {
      for (const p of pairs) p.held = true;
    },
    cut() {
      cutOff = true;
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
    },
    restore() {
      cutOff = false;
    },
    get dropped() {
      return dropped;
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
