/** Writes docs/rules.md from the rule registry. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { allRules } from "../src/audit/rules/index.ts";
import { rulesMarkdown } from "../src/report/rules-doc.ts";

writeFileSync(join(import.meta.dirname, "..", "docs", "rules.md"), rulesMarkdown(allRules));
console.log("docs/rules.md");
