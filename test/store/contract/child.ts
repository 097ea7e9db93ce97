/**
 * A second (and third) process for the contract suite: writes to a store given by URL the way a real command would,
 * so tests can run writers side by side or kill one mid-transaction.
 *
 *   node --import tsx child.ts alerts URL PREFIX N     N alerts (one transaction each) and N suppressions
 *   node --import tsx child.ts import-hang URL         an import that prints "ready" half-way and then never ends
 */
import { setTimeout as sleep } from "node:timers/promises";
import { openStore } from "../../../src/store/open.ts";
import { alert } from "./alerts.ts";
import { rows } from "./fleet.ts";

const [mode, url, prefix = "p", count = "50"] = process.argv.slice(2);
const store = await openStore(url!);
if (mode === "alerts") {
  for (let i = 0; i < Number(count); i++) {
    await store.transaction(async (tx) => {
      await tx.alerts.upsert([alert(`${prefix}-${i}`, { device_id: `${prefix}-dev` })], "t");
      await tx.findings.addSuppression({ rule: "r", device_id: `${prefix}-${i}`, reason: "concurrent" }, "2026-11-25");
    });
  }
  await store.close();
} else if (mode === "import-hang") {
  await store.transaction(async (tx) => {
    const run = await tx.fleet.startImport("hang.csv");
    for (let batch = 0; ; batch++) {
      await tx.fleet.upsertDevices(run, rows(Array.from({ length: 500 }, (_, i) => ({ device_id: `hang-${batch}-${i}` }))));
      await tx.fleet.upsertModels([{ model_id: `hang-model-${batch}` }]);
      if (batch === 3) process.stdout.write("ready\n");
      await sleep(20);
    }
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
