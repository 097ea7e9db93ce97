/** Date helpers over ISO 8601 strings. Dates without a time are taken as midnight UTC. */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export const DAY_MS = 86_400_000;

/** Fleets repeat the same dates (deployments, support ends, policy dates): parsed values are memoised, boundedly. */
const memo = new Map<string, number | undefined>();

/** Parses an ISO 8601 date or date-time; returns epoch milliseconds or undefined when it is not a real date. */
export function parseIsoDate(s: string): number | undefined {
  const hit = memo.get(s);
  if (hit !== undefined || memo.has(s)) return hit;
  const ms = parse(s);
  if (memo.size >= 50_000) memo.clear();
  memo.set(s, ms);
  return ms;
}

function parse(s: string): number | undefined {
  const t = s.trim();
  const m = DATE_ONLY.exec(t);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const d = Number(m[3]);
    const ms = Date.UTC(y, mo - 1, d);
    const back = new Date(ms);
    // Reject roll-overs such as 2026-02-30.
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
    return ms;
  }
  if (!DATE_TIME.test(t)) return undefined;
  // A date-time without a zone is read as UTC, so results never depend on the machine's time zone.
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t : `${t}Z`;
  const ms = Date.parse(zoned.replace(" ", "T"));
  return Number.isNaN(ms) ? undefined : ms;
}

/** `2026-11-25` for a midnight-UTC instant, the full ISO string otherwise. */
export function formatIsoDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.replace(".000Z", "Z");
}

export function addYears(ms: number, years: number): number {
  const whole = Math.trunc(years);
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + whole);
  return d.getTime() + Math.round((years - whole) * 365.25 * DAY_MS);
}

export function yearsBetween(fromMs: number, toMs: number): number {
  return (toMs - fromMs) / (365.25 * DAY_MS);
}
