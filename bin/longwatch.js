#!/usr/bin/env -S node --max-semi-space-size=64
// The `longwatch` command. `npm ci` compiles the TypeScript sources into dist/ (the `prepare` script); run
// `npm run build` after changing them, or `npx tsx src/cli/bin.ts` to run the sources directly.
//
// Imports and audits allocate millions of short-lived objects: a young generation of 64 MiB semi-spaces lets most of
// them die there instead of being copied to the old one (about 10% faster on a million-device scan, bench/RESULTS.md).
// The line above sets it when the command runs as a program; `node bin/longwatch.js` gets most of it from here.
import v8 from "node:v8";

if (!process.execArgv.some((a) => a.startsWith("--max-semi-space-size"))) v8.setFlagsFromString("--max-semi-space-size=64");
await import("../dist/cli/bin.js");
