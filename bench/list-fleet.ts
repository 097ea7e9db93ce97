/**
 * The large store bench:lists and bench:dashboard measure: devices with model (12, skewed), firmware, country, a group
 * of 500 sites and a provider; a scan with about 0.6 findings per device plus model-wide group findings; 100,000
 * alerts over a month. Filled through the Store port, so it fills SQLite and PostgreSQL alike.
 */
import type { Finding } from "../src/core/finding.ts";
import type { Alert } from "../src/core/record.ts";
import { rng } from "../src/core/random.ts";
import { serializeDevice, type Store } from "../src/store/store.ts";

export const MODELS = Array.from({ length: 12 }, (_, i) => `model-${i}`);
const COUNTRIES = ["DE", "FR", "NL", "PL", "ES", "IT", "SE", "AT", "GB", "US"];
const PROVIDERS = ["1NCE", "emnify", "KORE", "Twilio"];


/** Fills `store` with `N` devices, ~0.6 findings each, model-wide group findings and 100,000 alerts; seconds taken. */
export async function fillListFleet(store: Store, N: number): Promise<number> {
  const t = Date.now();
  const r = rng(1);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  await store.transaction(async (tx) => {
    const run = await tx.fleet.startImport("bench");
    let batch = [];
    for (let i = 0; i < N; i++) {
      const model = MODELS[Math.min(MODELS.length - 1, Math.floor(-Math.log(1 - r() * 0.999) * 3))]!;
      batch.push(serializeDevice({ device_id: `dev-${String(i).padStart(7, "0")}`, model_id: model, firmware_version: `${1 + Math.floor(r() * 4)}.0`, country: pick(COUNTRIES), groups: [`site-${Math.floor(r() * 500)}`], sim_provider: pick(PROVIDERS), ...(i % 10 === 0 ? { cert_fingerprint: `fp-${i}` } : {}) }, i + 2));
      if (batch.length === 5000) {
        await tx.fleet.upsertDevices(run, batch);
        batch = [];
      }
    }
    if (batch.length) await tx.fleet.upsertDevices(run, batch);
    await tx.fleet.finishImport(run);
  });
  // About 0.6 findings per device, as the 1,000,000-device scan bench produces, plus one group finding per model.
  await store.transaction(async (tx) => {
    const rules = ["default-password", "sim-no-imei-lock", "insecure-service", "cert-expiring", "stale-firmware", "support-ended"];
    const scan = await tx.findings.beginScan("2026-12-01T00:00:00Z", rules);
    const sev = ["critical", "high", "medium", "low", "info"] as const;
    let batch: Finding[] = [];
    for (let i = 0; i < N; i++) {
      if (r() > 0.6) continue;
      const rule = rules[Math.floor(r() * 4)]!;
      const id = `dev-${String(i).padStart(7, "0")}`;
      batch.push({ rule, severity: sev[rules.indexOf(rule)]!, device_id: id, title: `${rule} on ${id}`, evidence: { n: i }, standards: ["ETSI-EN-303-645:5.1-1"], fingerprint: `${rule}:${id}`, status: "new" });
      if (batch.length === 5000) {
        await tx.findings.record(scan, batch);
        batch = [];
      }
    }
    await tx.findings.record(scan, batch);
    // Model-wide findings list their devices (like stale-firmware and support-ended do).
    for (const m of MODELS.slice(8)) {
      const devices = (await tx.lists.devices({ model_id: m, page_size: 1000, total_cap: 0 })).items.map((d) => d.device_id);
      await tx.findings.record(scan, [{ rule: "support-ended", severity: "high", model_id: m, devices, title: `${m} support ended`, evidence: {}, standards: [], fingerprint: `se:${m}`, status: "new" }]);
    }
    await tx.findings.finishScan(scan, "2026-12-01T00:10:00Z", {});
  });
  const alerts: Alert[] = Array.from({ length: 100_000 }, (_, i) => ({
    id: `al-${i}`, detector: (["beaconing", "volume-anomaly", "new-destination", "sim-swap"] as const)[i % 4]!, device_id: `dev-${String(Math.floor(r() * N)).padStart(7, "0")}`, key: "k",
    severity: (["critical", "high", "medium", "low"] as const)[i % 4]!, confidence: 0.9, first_seen: new Date(Date.UTC(2026, 10, 1) + i * 20_000).toISOString(), last_seen: new Date(Date.UTC(2026, 10, 1) + i * 25_000).toISOString(),
    count: 1, summary: "s", action: "a", evidence: {}, state: i % 3 ? "open" : "acknowledged", verification: "unknown",
  }));
  for (let i = 0; i < alerts.length; i += 5000) await store.alerts.upsert(alerts.slice(i, i + 5000), "2026-12-01T00:00:00Z");
  return (Date.now() - t) / 1000;
}

