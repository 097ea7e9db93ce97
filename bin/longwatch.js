#!/usr/bin/env node
// The `longwatch` command. `npm ci` compiles the TypeScript sources into dist/ (the `prepare` script); run
// `npm run build` after changing them, or `npx tsx src/cli/bin.ts` to run the sources directly.
import "../dist/cli/bin.js";
