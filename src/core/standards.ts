/**
 * A reference to one provision of a standard or regulation, written `<STANDARD>:<provision>`, e.g.
 * `ETSI-EN-303-645:5.1-1`, `UK-PSTI:1`, `EU-CRA:I.2.c`, `NISTIR-8259A:device-identification`, `OWASP-IoT-2018:I1`.
 * The catalogues that say which provisions exist live in certify/; core only knows the shape.
 */
export const STANDARD_IDS = ["ETSI-EN-303-645", "UK-PSTI", "EU-CRA", "NISTIR-8259A", "OWASP-IoT-2018", "GDPR"] as const;
export type StandardId = (typeof STANDARD_IDS)[number];
export type StandardRef = `${StandardId}:${string}`;

export function parseStandardRef(ref: string): { standard: StandardId; provision: string } | undefined {
  const i = ref.indexOf(":");
  if (i <= 0) return undefined;
  const standard = ref.slice(0, i);
  const provision = ref.slice(i + 1);
  if (!(STANDARD_IDS as readonly string[]).includes(standard) || provision === "") return undefined;
  return { standard: standard as StandardId, provision };
}
