/**
 * A Mosquitto broker of the test's own, on a free loopback port with its own configuration and persistence folder,
 * for tests that restart the broker or need settings the shared one does not have. Skips (with the reason) when the
 * mosquitto binary is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { tmpDir } from "./tmp.ts";

export const mosquittoMissing: string | false = spawnSync("mosquitto", ["-h"]).error ? "mosquitto is not installed" : false;

export const SHARED_BROKER = process.env.LONGWATCH_TEST_MQTT ?? "mqtt://127.0.0.1:1883";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    c.once("connect", () => (c.destroy(), resolve(true)));
    c.once("error", () => resolve(false));
  });
}

export async function ownMosquitto(extraConf = "") {
  const tmp = tmpDir();
  const port = await freePort();
  const conf = join(tmp.dir, "mosquitto.conf");
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nuser root\npersistence true\npersistence_location ${tmp.dir}/\nautosave_interval 1\nlog_dest file ${join(tmp.dir, "mosquitto.log")}\n${extraConf}\n`);
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn("mosquitto", ["-c", conf], { stdio: "ignore" });
    const end = Date.now() + 10_000;
    while (!(await answers(port))) {
      if (Date.now() > end) throw new Error("own mosquitto did not start");
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
  await start();
  return { url: `mqtt://127.0.0.1:${port}`, port, confPath: conf, dir: tmp.dir, start, stop, restart: async () => (await stop(), await start()) };
}
