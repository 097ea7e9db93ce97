/**
 * Where personal data may go under GDPR Chapter V: the EEA, and countries with an EU adequacy decision (Art. 45), as
 * shipped in data/jurisdictions.yaml with the date the list reflects. Anything else needs a safeguard (Art. 46 SCCs,
 * Art. 47 BCRs) or a derogation (Art. 49).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";

const DATA = fileURLToPath(new URL("../../data/jurisdictions.yaml", import.meta.url));

const FileSchema = z.object({
  as_of: z.string(),
  checked: z.string().optional(),
  source: z.string(),
  eea: z.object({ eu: z.array(z.string().length(2)), efta: z.array(z.string().length(2)) }),
  adequacy: z.array(z.object({ country: z.string().length(2), name: z.string(), decision: z.string(), adopted: z.string(), condition: z.string().optional(), valid_until: z.string().optional() })),
});

export interface AdequacyEntry {
  country: string;
  name: string;
  decision: string;
  adopted: string;
  condition?: string;
  /** Last day the decision applies (decisions with a sunset date, like the UK's). */
  valid_until?: string;
}

export type Zone = "EEA" | "adequate" | "third-country" | "unknown";

export interface Jurisdictions {
  asOf: string;
  source: string;
  eea: ReadonlySet<string>;
  adequacy: ReadonlyMap<string, AdequacyEntry>;
}

let cached: Jurisdictions | undefined;

export function loadJurisdictions(): Jurisdictions {
  if (cached) return cached;
  const f = FileSchema.parse(parse(readFileSync(DATA, "utf8")));
  cached = {
    asOf: f.as_of,
    source: f.source,
    eea: new Set([...f.eea.eu, ...f.eea.efta]),
    adequacy: new Map(
      f.adequacy.map((a) => {
        const e: AdequacyEntry = { country: a.country, name: a.name, decision: a.decision, adopted: a.adopted };
        if (a.condition !== undefined) e.condition = a.condition;
        if (a.valid_until !== undefined) e.valid_until = a.valid_until;
        return [a.country, e];
      }),
    ),
  };
  return cached;
}

/** The adequacy decision for a country that applies at `at` (ms): adopted by then and not past its end. */
function adequacyAt(j: Jurisdictions, country: string, at: number): AdequacyEntry | undefined {
  const e = j.adequacy.get(country);
  if (!e || !(at >= Date.parse(e.adopted))) return undefined;
  if (e.valid_until !== undefined && at >= Date.parse(e.valid_until) + 86_400_000) return undefined;
  return e;
}

/** Where a country stands at `at` (ms, default now): a flow before a decision was adopted, or after it ended, was a transfer to a third country. */
export function zoneOf(j: Jurisdictions, country: string | undefined, at = Date.now()): Zone {
  if (country === undefined) return "unknown";
  if (j.eea.has(country)) return "EEA";
  if (adequacyAt(j, country, at)) return "adequate";
  return "third-country";
}

export interface Allowance {
  allowed: boolean;
  /** The entry of the allowed list that lets it through (`DE`, `EEA`, `adequacy`). */
  via?: string;
  /** A condition the adequacy decision attaches (e.g. only DPF-certified US recipients). */
  condition?: string;
}

/** Whether personal data may go to `country` at `at` (ms, default now) under an allowed list such as [EEA, adequacy, CH]. */
export function allowedIn(j: Jurisdictions, country: string, allowed: readonly string[], at = Date.now()): Allowance {
  for (const a of allowed) {
    if (a === country) return { allowed: true, via: a };
    if (a === "EEA" && j.eea.has(country)) return { allowed: true, via: a };
    if (a === "adequacy") {
      const e = adequacyAt(j, country, at);
      if (e) return e.condition !== undefined ? { allowed: true, via: a, condition: e.condition } : { allowed: true, via: a };
    }
  }
  return { allowed: false };
}
