/**
 * `longwatch serve` as a real child process for tests that kill it, restart it, and talk to it over HTTP and MQTT.
 * It runs the CLI's sources directly (`node --import tsx src/cli/bin.ts`), not bin/longwatch.js: that one starts a
 * second process for its V8 flags and turns a SIGKILL of the first into a SIGTERM of the second (a clean stop), and
 * a kill -9 test must kill the process that holds the state.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after } from "node:test";

const root = join(import.meta.dirname, "..", "..", "..");

export interface ServeChild {
  readonly child: ChildProcess;
  readonly url: string;
  /** The one-time admin token, on a store's first start. */
  readonly adminToken: string | undefined;
  out(): string;
  err(): string;
  readonly exited: Promise<number | null>;
  /** kill -9: no drain, no checkpoint, no acknowledgement of what is in flight. */
  kill9(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** The Prometheus text of /metrics (the config must set metrics_public, or pass a token). */
  metrics(token?: string): Promise<string>;
}

const live = new Set<ChildProcess>();
// Never leave a service running after the test file, whatever happened. Registered when the module loads, so it
// belongs to the file's root (registered lazily from a before() hook, it ran as soon as that hook ended).
after(() => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** Starts `longwatch --data DIR --store STORE serve --listen 127.0.0.1:0 ARGS…`; resolves once it is serving. */
export async function startServe(dataDir: string, store: string, args: readonly string[], timeoutMs = 90_000): Promise<ServeChild> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/bin.ts"), "--data", dataDir, "--store", store, "serve", "--listen", "127.0.0.1:0", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  live.add(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => (live.delete(child), resolve(code))));
  const deadline = Date.now() + timeoutMs;
  while (!/serving on (\S+) /.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`serve did not start:\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /serving on (\S+) /.exec(out)![1]!;
  const adminToken = /\n {2}(lw_[A-Za-z0-9_-]{43})\n/.exec(out)?.[1];
  return {
    child,
    url,
    adminToken,
    out: () => out,
    err: () => err,
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
    async metrics(token?: string) {
      const r = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${await r.text()}`);
      return r.text();
    },
  };
}

/** One sample of a Prometheus text (labels ignored but the pipeline's), or undefined. */
export function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface MergedRecords {
  /** NDJSON lines of every file, in event-time order (stable by file), as a fleet would send them. */
  lines: string[];
}

/** The NDJSON files of a simulation merged by time. */
export function mergeNdjson(files: readonly string[]): string[] {
  const all: { ts: number; file: number; text: string }[] = [];
  files.forEach((f, file) => {
    for (const text of readFileSync(f, "utf8").split("\n")) {
      if (!text) continue;
      all.push({ ts: Date.parse((JSON.parse(text) as { ts: string }).ts), file, text });
    }
  });
  all.sort((a, b) => a.ts - b.ts || a.file - b.file);
  return all.map((x) => x.text);
}

export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
