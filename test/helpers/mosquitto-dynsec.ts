/**
 * A Mosquitto of the test's own, on a free port, with the dynamic-security plugin and its log published on $SYS
 * topics. `writable: false` reproduces the silent save failure: the plugin's file is readable but not writable by
 * the broker (which drops to the `mosquitto` user when started as root).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { userInfo } from "node:os";
import { freePort } from "./mosquitto.ts";

export const DYNSEC_PLUGIN = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";

export function mosquittoAvailable(): string | undefined {
  if (!existsSync("/usr/sbin/mosquitto")) return "mosquitto is not installed";
  if (!existsSync(DYNSEC_PLUGIN)) return `the dynamic-security plugin is not at ${DYNSEC_PLUGIN}`;
  try {
    execFileSync("mosquitto_ctrl", ["--help"], { stdio: "ignore" });
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return "mosquitto_ctrl is not installed";
  }
  return undefined;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ port, host: "127.0.0.1" }, () => {
        c.end();
        resolve(true);
      });
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`mosquitto did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TestBroker {
  url: string;
  port: number;
  admin: { username: string; password: string };
  configFile: string;
  log(): string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export async function startMosquitto(dir: string, opts: { writable: boolean }): Promise<TestBroker> {
  const home = join(dir, "broker");
  mkdirSync(home, { recursive: true });
  // mkdtemp makes a 0700 folder: the broker, once it has dropped to its own user, must be able to walk into it.
  chmodSync(dir, 0o755);
  const configFile = join(home, "dynamic-security.json");
  const admin = { username: "lw-admin", password: "admin-pw-1" };
  execFileSync("mosquitto_ctrl", ["dynsec", "init", configFile, admin.username, admin.password], { stdio: "ignore" });
  const root = userInfo().uid === 0;
  if (opts.writable) {
    if (root) {
      const uid = execFileSync("id", ["-u", "mosquitto"]).toString().trim();
      const gid = execFileSync("id", ["-g", "mosquitto"]).toString().trim();
      chownSync(home, Number(uid), Number(gid));
      chownSync(configFile, Number(uid), Number(gid));
    }
  } else {
    chmodSync(configFile, 0o444);
    chmodSync(home, 0o555);
  }
  const port = await freePort();
  const conf = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, "allow_anonymous false", `plugin ${DYNSEC_PLUGIN}`, `plugin_opt_config_file ${configFile}`, "log_dest topic", "log_dest stderr", "log_type error", "log_type warning", "log_type notice", "log_type information", "persistence false", ""].join("\n"),
  );
  let proc: ChildProcess;
  let output = "";
  const start = async () => {
    proc = spawn("/usr/sbin/mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    proc.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    await waitForPort(port, 10_000);
  };
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGTERM");
    });
  };
  await start();
  return { url: `mqtt://127.0.0.1:${port}`, port, admin, configFile, log: () => output, stop, restart: async () => (await stop(), await start()) };
}
