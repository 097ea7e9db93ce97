/** Writes docs/schemas/<name>.schema.json for every public schema (src/core/public-schemas.ts). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonSchemaOf, publicSchemas } from "../src/core/public-schemas.ts";

const dir = join(import.meta.dirname, "..", "docs", "schemas");
mkdirSync(dir, { recursive: true });
for (const name of Object.keys(publicSchemas)) {
  writeFileSync(join(dir, `${name}.schema.json`), jsonSchemaOf(name));
  console.log(`docs/schemas/${name}.schema.json`);
}
