/**
 * Writes docs/openapi.json, the OpenAPI 3.1 document of `longwatch serve` (generated from the route table), and the
 * dashboard's API types generated from it (web/src/api/schema.ts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openApiText } from "../src/serve/http/openapi-text.ts";
import { typesFromOpenApi } from "./openapi-types.ts";

const root = join(import.meta.dirname, "..");
const text = openApiText();
writeFileSync(join(root, "docs", "openapi.json"), text);
writeFileSync(join(root, "web", "src", "api", "schema.ts"), typesFromOpenApi(JSON.parse(text)));
console.log("docs/openapi.json, web/src/api/schema.ts");
