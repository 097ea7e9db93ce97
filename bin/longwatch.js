#!/usr/bin/env node
// Entry point installed as the `longwatch` command. The TypeScript sources are compiled into dist/ by `npm ci`
// (the `prepare` script); run `npm run build` after changing them.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
