/** Seeded randomness for fuzz tests (a failure prints its seed); the PRNG itself lives in src/core/random.ts. */
import { pick, rng, type Rng } from "../../src/core/random.ts";

export { pick, rng };

/** Splits text into random-sized chunks, including empty and one-character ones. */
export function chunks(r: Rng, s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const n = Math.floor(r() * r() * 40);
    out.push(s.slice(i, i + n));
    i += n;
  }
  return out;
}
