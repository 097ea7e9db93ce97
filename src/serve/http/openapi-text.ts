/** The committed form of the OpenAPI document (docs/openapi.json): the route table's document, as stable text. */
import { createRequire } from "node:module";
import { openApiDocument } from "./openapi.ts";
import { allRoutes } from "./routes/index.ts";

export function openApiText(): string {
  const { version } = createRequire(import.meta.url)("../../../package.json") as { version: string };
  return `${JSON.stringify(openApiDocument(allRoutes, version), null, 2)}\n`;
}
