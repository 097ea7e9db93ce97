/**
 * Reading a YAML (or JSON) file the way every Longwatch reader needs: syntax errors, aliases that name no anchor and
 * alias bombs (a few lines whose aliases expand to billions of nodes) all become one problem with the line and column
 * it is on — never an exception that ends a scan without a location. Messages never quote the file's content: a
 * config may point a reader at a file that is not YAML at all (a key, /etc/shadow), and its error must not show it.
 */
import { type Document, LineCounter, parseDocument, visit } from "yaml";

/** Aliases may expand to at most this many nodes (yaml's own default is 100, too few for real anchors in big files). */
const MAX_ALIAS_COUNT = 10_000;

export interface YamlProblem {
  line: number;
  column: number;
  reason: string;
}

export type YamlRead = { ok: true; doc: Document.Parsed; lines: LineCounter; value: unknown; lineOf(path: readonly PropertyKey[]): number | undefined } | ({ ok: false } & YamlProblem);

/** Parses `text`; `uniqueKeys` (default true) makes a key written twice an error. */
export function readYamlText(text: string, opts: { uniqueKeys?: boolean } = {}): YamlRead {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: opts.uniqueKeys ?? true });
  const err = doc.errors[0];
  if (err) {
    const { line, col } = lines.linePos(err.pos[0]);
    return { ok: false, line, column: col, reason: safeReason(err.code, err.message) };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    return { ok: false, ...aliasProblem(doc, lines, e) };
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { ok: true, doc, lines, value, lineOf };
}

/** `file:line:column: reason` for a problem. */
export function yamlProblemText(file: string, p: YamlProblem): string {
  return `${file}:${p.line}:${p.column}: ${p.reason}`;
}

/** toJS failed on an alias: find the alias responsible (one that names no anchor, or the first of a bomb). */
function aliasProblem(doc: Document.Parsed, lines: LineCounter, e: unknown): YamlProblem {
  const message = e instanceof Error ? e.message : String(e);
  const bomb = /alias count|resource exhaustion/i.test(message);
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (offset !== undefined) return visit.BREAK;
      const unresolved = node.resolve(doc) === undefined;
      if (bomb || unresolved) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  const { line, col } = lines.linePos(offset ?? 0);
  const reason = bomb
    ? `its aliases expand to more than ${MAX_ALIAS_COUNT.toLocaleString("en-US")} nodes (an alias bomb?); write the values out instead of nesting aliases`
    : "an alias (*name) names no anchor (&name) set before it";
  return { line, column: col, reason };
}

/**
 * yaml's message without the code frame, the position (given separately) or any quoted source: the text up to the
 * first line break, cut at a colon that introduces a quote of the input.
 */
function safeReason(code: string, message: string): string {
  let m = message.split("\n")[0]!.replace(/ at line \d+, column \d+:?\s*$/, "");
  const colon = m.indexOf(": ");
  if (colon > 0) m = m.slice(0, colon);
  return `is not valid YAML: ${m.trim() || code}`;
}
