/** Writes docs/detectors.md from the detectors' own metadata (src/detect/detector-docs.ts). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectorReference } from "../src/detect/detector-docs.ts";

writeFileSync(join(import.meta.dirname, "..", "docs", "detectors.md"), detectorReference());
console.log("docs/detectors.md");
