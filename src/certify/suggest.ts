/** Suggestions for mistyped ids in error messages. */

/** ", did you mean 5.1-1?" when a close id exists (typos like 5.11 for 5.1-1 or 5.3-4 for 5.3-4A). */
export function suggest(id: string, known: readonly string[]): string {
  const lower = id.toLowerCase();
  const prefix = known.filter((k) => k.toLowerCase().startsWith(lower));
  if (prefix.length) return `; did you mean ${prefix.slice(0, 3).join(" or ")}?`;
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined ? `; did you mean ${best}?` : "";
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
