/**
 * NATS for tests: the shared nats-server with JetStream (127.0.0.1:4222, or LONGWATCH_TEST_NATS) with a stream name
 * and subject prefix of the test's own (deleted after the file), or a nats-server of the test's own on a free port
 * with its own store folder, for tests that restart the broker or need a server configuration (subject mappings).
 * Skips with the reason when nats-server is neither reachable nor installed.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { connect as tcp } from "node:net";
import { join } from "node:path";
import { after } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { freePort } from "./mosquitto.ts";
import { tmpDir } from "./tmp.ts";

export const SHARED_NATS = process.env.LONGWATCH_TEST_NATS ?? "nats://127.0.0.1:4222";

/** Why the tests that start a nats-server of their own cannot run — never in CI, where the machine has nats-server and a silent skip would hide the restart and partition() tests. */
export const natsServerMissing: string | false = spawnSync("nats-server", ["--version"]).error ? "nats-server is not installed" : false;
if (natsServerMissing && process.env.CI) throw new Error(`${natsServerMissing}: CI needs it for the tests that start their own (Debian's nats-server package)`);

export async function sharedNatsMissing(): Promise<string | false> {
  try {
    const nc = await connect({ servers: new URL(SHARED_NATS).host, timeout: 3000 });
    try {
      await jetstreamManager(nc);
    } finally {
      await nc.close();
    }
    return false;
  } catch (e) {
    const why = `no NATS with JetStream at ${SHARED_NATS} (${(e as Error).message})`;
    if (process.env.CI) throw new Error(why);
    return why;
  }
}

/** A stream name and subject prefix no other test uses; the stream is deleted after the file. */
export function testStream(url = SHARED_NATS): { stream: string; prefix: string } {
  const tag = `${process.pid}_${randomBytes(3).toString("hex")}`;
  const names = { stream: `LWTEST_${tag}`, prefix: `lwtest.${tag}` };
  after(async () => {
    const nc = await connect({ servers: new URL(url).host }).catch(() => undefined);
    if (!nc) return;
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(names.stream).catch(() => undefined);
    await nc.close();
  });
  return names;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = tcp(port, "127.0.0.1");
    c.once("connect", () => (c.destroy(), resolve(true)));
    c.once("error", () => resolve(false));
  });
}

/** A nats-server of the test's own with JetStream, stopped after the file. */
export async function ownNats(extraConf = "") {
  const tmp = tmpDir();
  const port = await freePort();
  const conf = join(tmp.dir, "nats.conf");
  writeFileSync(conf, `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(tmp.dir, "js")}" }\n${extraConf}\n`);
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn("nats-server", ["-c", conf], { stdio: "ignore" });
    const end = Date.now() + 15_000;
    while (!(await answers(port))) {
      if (Date.now() > end) throw new Error("own nats-server did not start");
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once("exit", () => r());
      p.kill(signal);
    });
  };
  after(() => stop("SIGKILL"));
  await start();
  return { url: `nats://127.0.0.1:${port}`, port, dir: tmp.dir, start, stop, restart: async (signal: NodeJS.Signals = "SIGTERM") => (await stop(signal), await start()) };
}
