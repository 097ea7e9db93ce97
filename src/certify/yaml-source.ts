/**
 * YAML with positions: every problem in a catalogue or answers file is reported as file:line:column, so the person
 * fixing it goes straight to the spot.
 */
import { isNode, LineCounter, parseDocument, type Document, type Node } from "yaml";

export interface SourceIssue {
  file: string;
  line: number;
  column: number;
  message: string;
  severity: "error" | "warning";
}

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Syntax errors and warnings from the parser. */
  issues: SourceIssue[];
}

export function readYaml(text: string, file: string): YamlSource {
  const lines = new LineCounter();
  // uniqueKeys: a key written twice is a mistake here (the second answer would silently win).
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issues: SourceIssue[] = [];
  for (const e of doc.errors) issues.push(issueAt(file, lines, e.pos[0], e.message.split("\n")[0]!, "error"));
  for (const w of doc.warnings) issues.push(issueAt(file, lines, w.pos[0], w.message.split("\n")[0]!, "warning"));
  return { file, doc, lines, issues };
}

export function issueAt(file: string, lines: LineCounter, offset: number, message: string, severity: SourceIssue["severity"] = "error"): SourceIssue {
  const { line, col } = lines.linePos(offset);
  return { file, line, column: col, message, severity };
}

/** Position of a node (or of the document start when there is none). */
export function nodeIssue(src: YamlSource, node: unknown, message: string, severity: SourceIssue["severity"] = "error"): SourceIssue {
  const offset = isNode(node) && node.range ? node.range[0] : 0;
  return issueAt(src.file, src.lines, offset, message, severity);
}

/** The node at a path such as ["provisions", 3, "status"], or the closest existing parent (for "missing key" errors). */
export function nodeAtPath(doc: Document.Parsed, path: readonly PropertyKey[]): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n).map((p) => (typeof p === "symbol" ? String(p) : p)), true);
    if (isNode(node)) return node;
  }
  return undefined;
}

export function formatIssue(i: SourceIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.severity}: ${i.message}`;
}
