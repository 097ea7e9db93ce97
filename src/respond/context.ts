/** Builds what an action gets for one call from the store, the settings and the environment. */
import type { StoreTx } from "../store/store.ts";
import type { ActionContext, ResponseRecords } from "./action.ts";
import { type SecretSource, secretSource } from "./secrets.ts";
import type { RespondSettings } from "./settings.ts";

/** Everything a response operation needs; the CLI and the server each build one per request. */
export interface RespondDeps {
  /** The store, or a transaction of it. */
  store: StoreTx;
  settings: RespondSettings;
  /** Where `{ env: … }` secrets are read from (the process environment in production). */
  env: Record<string, string | undefined>;
  now(): number;
}

export function records(store: StoreTx): ResponseRecords {
  const r = store.responses;
  return {
    revokeCertificate: (fp, reason, responseId, at) => r.revoke(fp, reason, responseId, at),
    unrevokeCertificate: (fp) => r.unrevoke(fp),
    revokedCertificate: async (fp) => (await r.revoked(fp))[0],
    openRotationTask: (t) => r.openTask(t),
    closeRotationTask: (id, note, at) => r.closeTask(id, note, at),
    rotationTask: async (id) => (await r.tasks({ id }))[0],
    devicesSharingCredential: (c) => r.devicesSharingCredential(c),
    certificateDevices: (fp) => r.certificateDevices(fp),
  };
}

const sources = new WeakMap<RespondDeps, SecretSource>();

export function actionContext(deps: RespondDeps, responseId: string, offline = false): ActionContext {
  let secrets = sources.get(deps);
  if (!secrets) sources.set(deps, (secrets = secretSource(deps.env, deps.settings.secrets_file)));
  return {
    now: deps.now,
    device: async (id) => (await deps.store.fleet.getDevice(id))?.device,
    settings: deps.settings,
    secrets,
    records: records(deps.store),
    offline,
    verifyDeadlineMs: deps.settings.verify.deadline,
    pollIntervalMs: deps.settings.verify.interval,
    responseId,
  };
}
