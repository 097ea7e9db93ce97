/** Plain-text tables for the terminal: columns padded to their widest cell, long cells cut to fit. */

export interface TableOptions {
  /** Maximum width of each column (characters); the last column is never cut. */
  maxWidth?: number;
  align?: ("left" | "right")[];
}

// Colour codes have no width on screen; strip them when measuring.
const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");
const visible = (s: string) => s.replace(ANSI, "").length;

export function renderTable(header: string[], rows: string[][], opts: TableOptions = {}): string {
  const max = opts.maxWidth ?? 60;
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.min(max, Math.max(...all.map((r) => visible(r[i] ?? "")))));
  const line = (r: string[]) =>
    r
      .map((cell, i) => {
        const last = i === r.length - 1;
        let c = cell;
        if (!last && visible(c) > widths[i]!) c = `${c.replace(ANSI, "").slice(0, widths[i]! - 1)}…`;
        const pad = " ".repeat(Math.max(0, widths[i]! - visible(c)));
        if (last && opts.align?.[i] !== "right") return c;
        return opts.align?.[i] === "right" ? pad + c : c + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(header), line(header.map((_, i) => "-".repeat(widths[i]!))), ...rows.map(line)].join("\n");
}
