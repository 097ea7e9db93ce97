/**
 * The worker's /metrics text: the units it holds as a count and as one sample per unit, in two families, so a
 * Prometheus sum() over either gives the units held, not twice as many.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderWorkerMetrics } from "../../src/scale/worker-metrics.ts";

/** The samples of one family: its labels (the pipeline's left out) and value. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  return [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, "gm"))].map((m) => ({ labels: m[1]!.replace(/^pipeline="[^"]*",?/, ""), value: Number(m[2]) }));
}

describe("worker metrics", () => {
  it("gives the units held as a count and one sample per unit, never both in one family", () => {
    const text = renderWorkerMetrics({ name: "w1", held: () => [0, 3, -1] });
    assert.deepEqual(samples(text, "longwatch_worker_units"), [{ labels: "", value: 3 }]);
    assert.deepEqual(samples(text, "longwatch_worker_unit_held"), [
      { labels: 'unit="0"', value: 1 },
      { labels: 'unit="3"', value: 1 },
      { labels: 'unit="fleet"', value: 1 },
    ]);
    for (const name of ["longwatch_worker_units", "longwatch_worker_unit_held"]) assert.match(text, new RegExp(`^# TYPE ${name} gauge$`, "m"));
    // What sum(longwatch_worker_unit_held) and sum(longwatch_worker_units) would give: the same, the units held.
    assert.equal(samples(text, "longwatch_worker_unit_held").reduce((n, s) => n + s.value, 0), 3);
    assert.doesNotMatch(text, /longwatch_worker_units_held/, "the old family, which mixed both, is gone");
  });

  it("holding nothing: a count of 0 and no per-unit samples", () => {
    const text = renderWorkerMetrics({ name: "w1", held: () => [] });
    assert.deepEqual(samples(text, "longwatch_worker_units"), [{ labels: "", value: 0 }]);
    assert.deepEqual(samples(text, "longwatch_worker_unit_held"), []);
  });
});
