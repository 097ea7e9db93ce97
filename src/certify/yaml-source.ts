/**
 * YAML with positions: every problem in a catalogue or answers file is reported as file:line:column, so the person
 * fixing it goes straight to the spot. Read through formats/yaml.ts like every Longwatch YAML: a syntax error, an
 * alias that names no anchor or an alias bomb is one problem with its place (it was an exception without one, from
 * the catalogue loader), and no message quotes the file's content.
 */
import { isAlias, isNode, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";
import { readYamlText } from "../formats/yaml.ts";

export interface SourceIssue {
  file: string;
  line: number;
  column: number;
  message: string;
  severity: "error" | "warning";
}

export interface YamlSource {
  file: string;
  /** The document, with every alias replaced by (a copy of) what it names, at the alias's place. */
  doc: Document.Parsed;
  lines: LineCounter;
  /** The document as plain data (undefined when it could not be read). */
  value: unknown;
  /** The problem that stopped reading (syntax, alias), and the parser's warnings. */
  issues: SourceIssue[];
}

export function readYaml(text: string, file: string): YamlSource {
  // uniqueKeys: a key written twice is a mistake here (the second answer would silently win).
  const read = readYamlText(text, { uniqueKeys: true });
  if (!read.ok) {
    const lines = new LineCounter();
    return { file, doc: parseDocument("", { lineCounter: lines }), lines, value: undefined, issues: [{ file, line: read.line, column: read.column, message: read.reason, severity: "error" }] };
  }
  const issues: SourceIssue[] = read.doc.warnings.map((w) => issueAt(file, read.lines, w.pos[0], `${w.code.toLowerCase().replace(/_/g, " ")}`, "warning"));
  resolveAliases(read.doc);
  return { file, doc: read.doc, lines: read.lines, value: read.value, issues };
}

/**
 * Replaces each alias by a copy of its anchor's node placed where the alias is, so walkers that judge nodes (the
 * answers parser) see the value an alias stands for. readYamlText has already checked every alias resolves and that
 * they expand to a bounded number of nodes.
 */
function resolveAliases(doc: Document.Parsed): void {
  visit(doc, {
    Alias(_key, node) {
      const target = node.resolve(doc);
      if (!target || isAlias(target)) return undefined;
      const copy = target.clone() as Node & { anchor?: string };
      delete copy.anchor;
      if (node.range) copy.range = node.range;
      return copy;
    },
  });
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
