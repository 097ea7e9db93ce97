/**
 * The detection engine the pipeline runs, built from the config the same way `longwatch detect` builds it from its
 * flags (detectors, parameters, local networks, reference data, flow declarations on the models, the store's
 * watchlist), so live ingest and `detect` on the same records give the same alerts.
 */
import { LongwatchError } from "../../core/errors.ts";
import type { EngineOptions } from "../../detect/engine.ts";
import { allDetectors } from "../../detect/detectors/index.ts";
import type { DetectInventory } from "../../detect/inventory.ts";
import { loadReference } from "../../detect/reference.ts";
import { buildFlowContext } from "../../flows/setup.ts";
import { Watchlist } from "../../intel/watchlist.ts";
import type { StoreTx } from "../../store/store.ts";
import type { PipelineConfig } from "./config.ts";

export async function detectionEngineOptions(store: StoreTx, config: PipelineConfig, inventory: DetectInventory): Promise<Omit<EngineOptions, "sink" | "clock">> {
  const d = config.detection;
  const known = new Set<string>(allDetectors.map((x) => x.id));
  for (const id of [...d.disable, ...Object.keys(d.detectors)]) {
    if (!known.has(id)) throw new LongwatchError("invalid_config", `detection: no detector "${id}"; \`longwatch detectors\` lists them`, { key: "detection" });
  }
  const now = new Date().toISOString();
  const watched = await store.flows.watchlist();
  const watchlist = watched.length ? new Watchlist(watched.filter((w) => w.valid_until === undefined || w.valid_until > now)) : undefined;
  const declared = inventory.models.some((m) => m.flows !== undefined);
  const flows = declared ? buildFlowContext({ models: inventory.models, ...(d.local_nets ? { localNets: d.local_nets } : {}) }) : undefined;
  return {
    detectors: allDetectors.filter((x) => !d.disable.includes(x.id as string)),
    ...(Object.keys(d.detectors).length ? { params: d.detectors } : {}),
    ...(d.local_nets ? { localNets: d.local_nets } : {}),
    maxFutureMs: d.max_future_hours * 3_600_000,
    ...(d.max_past_days !== undefined ? { maxPastMs: d.max_past_days * 86_400_000 } : {}),
    dedupWindowMs: d.dedup_window_minutes * 60_000,
    reference: { ...loadReference(), ...(flows ? { flows } : {}), ...(watchlist ? { watchlist } : {}) },
  };
}
