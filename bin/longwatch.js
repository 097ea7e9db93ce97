#!/usr/bin/env node
// The `longwatch` command. `npm ci` compiles the TypeScript sources into dist/ (the `prepare` script); run
// `npm run build` after changing them, or `npx tsx src/cli/bin.ts` to run the sources directly.
//
// Imports and audits allocate millions of short-lived objects: 64 MiB young-generation semi-spaces let most of them die
// young instead of being copied to the old generation (about 10% faster on a million-device scan, bench/RESULTS.md).
// V8 fixes that size when it starts, and a `#!` line cannot pass flags portably, so without the flag the command
// starts itself again with it, passing on its terminal, exit code and signals. The child must not outlive it: a
// supervisor or user who kills the process they see (even with SIGKILL, which cannot be passed on) expects the work
// and its store lock gone. So the child runs a tiny watcher thread — its own event loop, so a busy or blocked main
// thread cannot delay it — that notices when the parent is gone (the child's parent changes) and ends the child:
// SIGTERM first (a command that handles it, such as serve, finishes cleanly), SIGKILL if it is still there 30 s later.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const FLAG = "--max-semi-space-size=64";

const WATCH_PARENT = `
const { workerData } = require("node:worker_threads");
const t = setInterval(() => {
  if (process.ppid === workerData.ppid) return;
  clearInterval(t);
  setTimeout(() => process.kill(workerData.pid, "SIGKILL"), 30000);
  process.kill(workerData.pid, "SIGTERM");
}, 200);
`;

if (process.execArgv.some((a) => a.startsWith("--max-semi-space-size"))) {
  if (process.env.LONGWATCH_PARENT_PID !== undefined) {
    const ppid = Number(process.env.LONGWATCH_PARENT_PID);
    delete process.env.LONGWATCH_PARENT_PID;
    const { Worker } = await import("node:worker_threads");
    new Worker(WATCH_PARENT, { eval: true, workerData: { ppid, pid: process.pid } }).unref();
    if (process.ppid !== ppid) process.kill(process.pid, "SIGTERM"); // the parent died before the watcher started
  }
  await import("../dist/cli/bin.js");
} else {
  const child = spawn(process.execPath, [FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, LONGWATCH_PARENT_PID: String(process.pid) },
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    else process.exit(code ?? 1);
  });
}
