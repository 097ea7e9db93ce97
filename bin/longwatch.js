#!/usr/bin/env node
// The `longwatch` command. `npm ci` compiles the TypeScript sources into dist/ (the `prepare` script); run
// `npm run build` after changing them, or `npx tsx src/cli/bin.ts` to run the sources directly.
//
// Imports and audits allocate millions of short-lived objects: 64 MiB young-generation semi-spaces let most of them die
// young instead of being copied to the old generation (about 10% faster on a million-device scan, bench/RESULTS.md).
// V8 fixes that size when it starts, and a `#!` line cannot pass flags portably, so without the flag the command
// starts itself again with it, passing on its terminal, exit code and signals.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const FLAG = "--max-semi-space-size=64";

if (process.execArgv.some((a) => a.startsWith("--max-semi-space-size"))) {
  await import("../dist/cli/bin.js");
} else {
  const child = spawn(process.execPath, [FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    else process.exit(code ?? 1);
  });
}
