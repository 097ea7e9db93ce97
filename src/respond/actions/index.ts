/** Every response action; adding one is a file in this folder plus a line here. */
import type { Action } from "../action.ts";
import { certRevoke } from "./cert-revoke.ts";
import { command } from "./command.ts";
import { commandReversible } from "./command-reversible.ts";
import { credentialRotate } from "./credential-rotate.ts";
import { mqttDisable } from "./mqtt-disable.ts";
import { mqttQuarantine } from "./mqtt-quarantine.ts";
import { simDataLimit } from "./sim-data-limit.ts";
import { simImeiLock } from "./sim-imei-lock.ts";
import { simSuspend } from "./sim-suspend.ts";
import { webhook } from "./webhook.ts";

export const allActions: readonly Action[] = [mqttQuarantine, mqttDisable, simSuspend, simImeiLock, simDataLimit, certRevoke, credentialRotate, webhook, command, commandReversible];

export function actionById(id: string): Action | undefined {
  return allActions.find((a) => a.id === id);
}
