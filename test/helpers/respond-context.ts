/** An ActionContext for tests of one action, with the settings and devices the test gives. */
import type { ActionContext, ResponseRecords } from "../../src/respond/action.ts";
import { secretSource } from "../../src/respond/secrets.ts";
import { RespondSettingsSchema } from "../../src/respond/settings.ts";
import type { StoredDevice } from "../../src/store/store.ts";

const noRecords: ResponseRecords = new Proxy({} as ResponseRecords, {
  get(_t, name) {
    return () => Promise.reject(new Error(`this test gave the action no records (it called ${String(name)})`));
  },
});

export function actionContext(o: { settings: unknown; devices?: StoredDevice[]; env?: Record<string, string>; records?: ResponseRecords; offline?: boolean; verifyDeadlineMs?: number }): ActionContext {
  const settings = RespondSettingsSchema.parse(o.settings);
  const devices = new Map((o.devices ?? []).map((d) => [d.device_id, d]));
  return {
    now: () => Date.now(),
    device: async (id) => devices.get(id),
    settings,
    secrets: secretSource(o.env ?? {}, settings.secrets_file),
    records: o.records ?? noRecords,
    offline: o.offline ?? false,
    verifyDeadlineMs: o.verifyDeadlineMs ?? 5_000,
    pollIntervalMs: 50,
    responseId: "test-response",
  };
}
