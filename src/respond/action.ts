/**
 * The contract every response action fulfils. An action is a module that declares what it does to which kind of
 * target, its parameters, and whether a real reverse exists; `plan` says what it would change (before → after)
 * without changing anything, `apply` makes the change under an idempotency key, `verify` reads the result back from
 * the system that holds it, and `reverse` undoes it. The response engine calls these; it never looks at which action
 * it is running.
 */
import type { z } from "zod";
import type { StoredDevice } from "../store/store.ts";
import type { RespondSettings } from "./settings.ts";
import type { SecretSource } from "./secrets.ts";
import type { ActionPlan, ApplyResult, ReverseResult, Target, TargetKind, VerifyResult } from "../core/response.ts";

export type { ActionPlan, ApplyResult, ReverseResult, StateDoc, Target, TargetKind, VerifyResult } from "../core/response.ts";
export { TARGET_KINDS } from "../core/response.ts";

/** Certificates marked revoked and credential rotation tasks: the records the certificate and credential actions keep. */
export interface ResponseRecords {
  revokeCertificate(fingerprint: string, reason: string, responseId: string, at: string): Promise<{ alreadyRevoked: boolean }>;
  unrevokeCertificate(fingerprint: string): Promise<boolean>;
  revokedCertificate(fingerprint: string): Promise<{ reason: string; revoked_at: string } | undefined>;
  openRotationTask(t: { credential: string; devices: string[]; reason: string; responseId: string; at: string }): Promise<{ id: number; existing: boolean }>;
  closeRotationTask(id: number, note: string, at: string): Promise<boolean>;
  rotationTask(id: number): Promise<{ id: number; state: "open" | "closed"; credential: string; devices: string[] } | undefined>;
  /** Devices whose stored credential matches `SERVICE/USERNAME` and the secret of the given credential (shared secrets). */
  devicesSharingCredential(credential: string): Promise<string[]>;
  certificateDevices(fingerprint: string): Promise<string[]>;
}

/** What the engine lends an action for one call. */
export interface ActionContext {
  /** The response's clock in epoch ms (tests inject it; real waits still use timers). */
  now(): number;
  device(id: string): Promise<StoredDevice | undefined>;
  settings: RespondSettings;
  secrets: SecretSource;
  records: ResponseRecords;
  /** Plan without contacting any outside system (what-if dry runs, plans for a million devices). */
  offline: boolean;
  /** How long `verify` may keep polling a system that changes state asynchronously. */
  verifyDeadlineMs: number;
  /** Pause between polls. */
  pollIntervalMs: number;
  /** The id of the response being carried out (for records the action keeps). */
  responseId: string;
}

export interface ActionCall<P> {
  ctx: ActionContext;
  target: Target;
  params: P;
}

export interface ActionMeta {
  id: string;
  title: string;
  target: TargetKind;
  /** True only when `reverse` really restores the state that `apply` replaced. */
  reversible: boolean;
  /** What it does, in plain words for someone new to IoT security. */
  description: string;
  /** The stronger action to propose when this one is not enough (e.g. quarantine → disable). */
  escalation?: string;
}

export interface Action<P = unknown> extends ActionMeta {
  params: z.ZodType<P>;
  plan(call: ActionCall<P>): Promise<ActionPlan>;
  apply(call: ActionCall<P>, idempotencyKey: string): Promise<ApplyResult>;
  verify(call: ActionCall<P>, applied: ApplyResult): Promise<VerifyResult>;
  reverse?(call: ActionCall<P>, applied: ApplyResult): Promise<ReverseResult>;
}

/** Declares an action with its parameter type inferred from its schema; a reversible action must bring `reverse`. */
export function defineAction<S extends z.ZodType>(
  action: ActionMeta & {
    params: S;
    plan(call: ActionCall<z.output<S>>): Promise<ActionPlan>;
    apply(call: ActionCall<z.output<S>>, idempotencyKey: string): Promise<ApplyResult>;
    verify(call: ActionCall<z.output<S>>, applied: ApplyResult): Promise<VerifyResult>;
    reverse?(call: ActionCall<z.output<S>>, applied: ApplyResult): Promise<ReverseResult>;
  },
): Action {
  if (action.reversible !== (action.reverse !== undefined)) throw new Error(`action ${action.id}: reversible must match whether reverse() exists`);
  return action as unknown as Action;
}
