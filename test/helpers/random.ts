/** A small seeded PRNG (mulberry32) so fuzz tests are reproducible: a failure prints its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Splits text into random-sized chunks, including empty and one-character ones. */
export function chunks(r: () => number, s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const n = Math.floor(r() * r() * 40);
    out.push(s.slice(i, i + n));
    i += n;
  }
  return out;
}
