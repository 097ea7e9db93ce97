/**
 * Fleet-wide learned sets, one per device model: which destinations (hashes) devices of a model use, and since when.
 * Models are few and their devices talk to the same few places, so these stay small; each is capped all the same
 * (`full` counts what was not learned because of it) so a model whose devices scan the internet cannot grow it
 * without bound.
 */

export class ModelSets {
  private readonly sets = new Map<number, Map<number, number>>();
  /** When each model was first seen, for the model's own warm-up. */
  private readonly since = new Map<number, number>();
  full = 0;

  constructor(private readonly maxPerModel = 20_000) {}

  /** Time the model first used `key`, or undefined. */
  firstUse(model: number, key: number): number | undefined {
    return this.sets.get(model)?.get(key);
  }

  add(model: number, key: number, ts: number): void {
    let set = this.sets.get(model);
    if (!set) {
      set = new Map();
      this.sets.set(model, set);
    }
    if (set.has(key)) return;
    if (set.size >= this.maxPerModel) {
      this.full++;
      return;
    }
    set.set(key, ts);
  }

  /** Marks the model as seen at `ts` (first call wins) and returns when it was first seen. */
  seen(model: number, ts: number): number {
    const t = this.since.get(model);
    if (t !== undefined) return t;
    this.since.set(model, ts);
    return ts;
  }

  /** Rough bytes held (Map entries cost about 40 bytes in V8). */
  bytes(): number {
    let n = 0;
    for (const s of this.sets.values()) n += s.size;
    return n * 40 + this.since.size * 40;
  }

  save(): unknown {
    return { sets: [...this.sets].map(([m, s]) => [m, [...s]]), since: [...this.since], full: this.full };
  }

  load(state: unknown): void {
    const s = state as { sets: [number, [number, number][]][]; since: [number, number][]; full: number };
    for (const [m, entries] of s.sets) this.sets.set(m, new Map(entries));
    for (const [m, t] of s.since) this.since.set(m, t);
    this.full = s.full;
  }
}
