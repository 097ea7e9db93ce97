/** Writes docs/openapi.json, the OpenAPI 3.1 document of `longwatch serve` (generated from the route table). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openApiText } from "../src/serve/http/openapi-text.ts";

writeFileSync(join(import.meta.dirname, "..", "docs", "openapi.json"), openApiText());
console.log("docs/openapi.json");
