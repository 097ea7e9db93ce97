/**
 * The RFC 822-like stanza format of dpkg and opkg status files (deb-control(5)): `Field: value` lines, continuation
 * lines starting with a space or tab, stanzas separated by blank lines. Each stanza comes back with the line it starts
 * on; a line that is neither a field nor a continuation is reported with its line number and skipped.
 */
import type { ParseIssue } from "./json-path.ts";

export interface Stanza {
  line: number;
  fields: Map<string, string>;
}

export function parseStanzas(text: string): { stanzas: Stanza[]; issues: ParseIssue[] } {
  const stanzas: Stanza[] = [];
  const issues: ParseIssue[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let cur: Stanza | undefined;
  let last: string | undefined;
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") {
      cur = undefined;
      last = undefined;
      return;
    }
    if (raw.startsWith(" ") || raw.startsWith("\t")) {
      // Continuation of the previous field (long descriptions, conffiles); its content is not needed for matching.
      if (cur === undefined || last === undefined) issues.push({ line, reason: "continuation line outside a field", level: "warning" });
      return;
    }
    const colon = raw.indexOf(":");
    if (colon <= 0 || !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(raw.slice(0, colon))) {
      issues.push({ line, reason: `is not a "Field: value" line`, level: "error" });
      return;
    }
    if (!cur) {
      cur = { line, fields: new Map() };
      stanzas.push(cur);
    }
    last = raw.slice(0, colon).toLowerCase();
    cur.fields.set(last, raw.slice(colon + 1).trim());
  });
  return { stanzas, issues };
}
