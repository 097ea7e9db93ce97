/**
 * Automatic response in the running service: the config's playbooks (respond/automatic.ts) run on the alerts live
 * detection raises, and a timer reverses automatic responses whose time-to-live ran out.
 *
 * It is an alert sink like the webhooks, so it inherits what keeps detection safe from a slow peer: `offer` never
 * waits, alerts wait in a bounded queue, one that finds the queue full is dead-lettered (listed in the API) and
 * counted. Only alerts a playbook matches (detector and severity) are queued, each alert once per process (an
 * alert updated a thousand times is one trigger); the respond engine itself refuses a second response under way for
 * the same action and target, so a restart that replays the journal proposes nothing twice. One alert is handled at
 * a time, so the budget check and the apply that uses it cannot interleave. The pause switch is read from the store
 * on every alert and every sweep: a pause through the API or the CLI stops the next change. After each fleet re-audit
 * the playbooks that name rules run on the findings that scan saw for the first time (status `new`), so a finding a
 * person rejected the response to is not proposed again every hour.
 */
import type { Finding } from "../../core/finding.ts";
import type { Alert } from "../../core/record.ts";
import { type PlaybookOutcome, type WaitingCode, pauseState, playbooksFor, respondTo, sweep } from "../../respond/automatic.ts";
import type { RespondDeps } from "../../respond/context.ts";
import type { RespondSettings } from "../../respond/settings.ts";
import { Mutex } from "../../store/guard.ts";
import type { Store } from "../../store/store.ts";
import type { DeadLetterStore } from "../../transport/sinks/dead-letter.ts";
import { createQueuedSink } from "../../transport/sinks/queued-sink.ts";
import type { AlertSink, Deliverer } from "../../transport/sinks/sink.ts";
import { errorText, failure, retryable, SUCCESS } from "../../transport/result.ts";
import type { PipelineLog } from "./types.ts";

export const RESPOND_SINK = "respond";

/** Counters for /metrics, all monotonic. */
export interface RespondStats {
  /** Alerts the playbooks ran on. */
  alerts: number;
  /** New findings of re-audits the playbooks ran on. */
  findings: number;
  proposed: number;
  /**
   * Of the proposed, applied automatically: the action was called (the change was made, or tried and failed). An apply
   * refused before the action was called (nothing tried) is an error only, in neither this nor `failed`.
   */
  applied: number;
  /** Of the applied, read back and verified. */
  verified: number;
  /** Of the applied, failed: the action threw, or its verify failed or threw. Always at most `applied`. */
  failed: number;
  /** Proposed responses left for a person, by why (`budget`: refused by the automatic budget). */
  waiting: Record<WaitingCode, number>;
  skipped: number;
  /** Targets whose proposal or apply failed. */
  errors: number;
  /** Automatic responses the time-to-live reversed. */
  reversed: number;
  sweeps: number;
  sweep_errors: number;
  /** The pause switch as this process last read it (every alert, every sweep tick); undefined before its first read. */
  paused?: boolean | undefined;
}

export interface AutoResponder extends AlertSink {
  /** Reverses what is due now (the timer calls it); a sweep already running is awaited, not doubled. */
  sweep(): Promise<void>;
  /** Runs the rule playbooks on the latest scan's new findings (the pipeline calls it after each re-audit). */
  findings(): Promise<void>;
  /**
   * Runs the detector playbooks on the stored alerts they match that were never offered here (a worker taking over
   * a partition: alerts the worker before it committed, then died before their playbooks ran). The store refuses a
   * second response to one alert, so alerts other processes handle cost a look-up each. A call while one runs makes
   * it run once more.
   */
  catchUp(): Promise<void>;
  respondStats(): RespondStats;
}

export interface AutoResponderOptions {
  store: Store;
  settings: RespondSettings;
  env: Record<string, string | undefined>;
  /** Wall clock: budgets and time-to-live are in real time, also while the journal is replayed. */
  now: () => number;
  deadLetters: DeadLetterStore;
  log: PipelineLog;
  /**
   * The time-to-live sweep runs on its timer only while this holds (default: always). A scaled-out deployment sweeps
   * in one process: the worker holding partition 0 (`longwatch worker`); `serve --nats` leaves it to the workers.
   */
  sweepIf?: () => boolean;
}

/** Alert ids already handed to the playbooks, the oldest forgotten beyond this many. */
const SEEN_LIMIT = 100_000;
/** Stored alerts read per detector by a catch-up, newest first, and handed to the playbooks this many at a time. */
const CATCH_UP_LIMIT = 100_000;
const CATCH_UP_CHUNK = 100;
/** One alert may run several playbooks, each applying and verifying (SIM providers answer asynchronously). */
const ATTEMPT_MS = 10 * 60_000;

/** True when the service should run a responder: some playbook, or automatic responses that may need reversing. */
export function wantsResponder(s: RespondSettings): boolean {
  return s.playbooks.length > 0 || s.automatic.enabled;
}

export function createAutoResponder(o: AutoResponderOptions): AutoResponder {
  // One deps object for the responder's life: the action context caches its secret source per deps.
  const deps: RespondDeps = { store: o.store, settings: o.settings, env: o.env, now: o.now };
  const stats: RespondStats = { alerts: 0, findings: 0, proposed: 0, applied: 0, verified: 0, failed: 0, waiting: { manual: 0, irreversible: 0, disabled: 0, paused: 0, budget: 0 }, skipped: 0, errors: 0, reversed: 0, sweeps: 0, sweep_errors: 0 };
  const seen = new Set<string>();
  // Alerts and findings take turns: a budget check and the apply that spends it must not interleave.
  const serial = new Mutex();
  const ruleSet = new Set(o.settings.playbooks.flatMap((p) => p.when.rule ?? []));
  const detectorSet = new Set(o.settings.playbooks.flatMap((p) => p.when.detector ?? []));
  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value!);
  };

  const tally = (what: string, out: PlaybookOutcome) => {
    stats.proposed += out.proposed.length;
    // An apply that threw after calling the action counts as applied and failed both, so failed/applied stays a ratio.
    const threw = out.errors.filter((e) => e.stage === "apply" && e.called === true).length;
    stats.applied += out.applied.length + threw;
    stats.verified += out.applied.filter((r) => r.state === "verified").length;
    stats.failed += out.applied.filter((r) => r.state === "failed").length + threw;
    stats.paused = out.paused;
    stats.skipped += out.skipped.length;
    stats.errors += out.errors.length;
    for (const r of out.applied) o.log("info", `automatic response ${r.id}: ${r.action} applied to ${r.target.kind} ${r.target.id} (${r.state})`, { response: r.id, action: r.action, target: r.target.id, state: r.state, trigger: what, ttl_expires_at: r.ttl_expires_at });
    for (const w of out.waiting) {
      stats.waiting[w.code]++;
      o.log("info", `response ${w.response.id}: ${w.response.action} on ${w.response.target.id} proposed, waiting for a person: ${w.why}`, { response: w.response.id, action: w.response.action, target: w.response.target.id, trigger: what, waiting: w.code });
    }
    for (const e of out.errors) o.log("warn", `playbook on ${what}: ${e.target}: ${e.message}`, { trigger: what, target: e.target, stage: e.stage, error: e.message });
  };

  const deliverer: Deliverer = {
    type: RESPOND_SINK,
    async deliver(notice) {
      let out: PlaybookOutcome;
      try {
        out = await serial.run(() => respondTo(deps, { alerts: [notice.alert] }));
      } catch (e) {
        // Nothing was decided (the store did not answer): the same alert may be tried again.
        return retryable(errorText(e));
      }
      stats.alerts++;
      tally(`alert ${notice.alert.id}`, out);
      // A failed apply is recorded as a failed response; a failed proposal left nothing, so the alert is dead-lettered.
      const lost = out.errors.filter((e) => e.stage === "propose");
      return lost.length === 0 ? SUCCESS : failure(lost.map((e) => `${e.target}: ${e.message}`).join("; "));
    },
  };

  const inner = createQueuedSink({
    name: RESPOND_SINK,
    deliverer,
    deadLetters: o.deadLetters,
    retry: { max_attempts: 3, backoff: { initial_ms: 500, max_ms: 10_000, multiplier: 2, jitter: 0.5 } },
    queueSize: o.settings.queue_size,
    timeoutMs: ATTEMPT_MS,
    concurrency: 1,
    filter: (n) => n.change !== "resolve" && !seen.has(n.alert.id) && playbooksFor(o.settings.playbooks, n.alert).length > 0,
    now: o.now,
    onError: (m, d) => o.log("warn", m, d),
  });

  let sweeping: Promise<void> | undefined;
  const runSweep = async () => {
    try {
      const s = await sweep(deps);
      stats.paused = s.paused;
      stats.sweeps++;
      stats.reversed += s.reversed.length;
      stats.sweep_errors += s.errors.length;
      for (const r of s.reversed) o.log("info", `automatic response ${r.id}: ${r.action} on ${r.target.id} reversed, its time-to-live ran out without confirmation`, { response: r.id, action: r.action, target: r.target.id });
      for (const e of s.errors) o.log("error", `automatic response ${e.id}: reversing at the end of its time-to-live failed: ${e.message}`, { response: e.id, error: e.message });
    } catch (e) {
      stats.sweep_errors++;
      o.log("error", `automatic response: the time-to-live sweep failed: ${errorText(e)}`, { error: errorText(e) });
    }
  };
  const sweepNow = (): Promise<void> => (sweeping ??= runSweep().finally(() => (sweeping = undefined)));
  // A process that does not sweep (serve --nats, the workers not holding partition 0) still reads the switch, for /metrics.
  const readPause = () =>
    pauseState(deps).then(
      (p) => void (stats.paused = p.paused),
      () => undefined,
    );
  // The sweep runs whether or not automatic response is enabled now: turning it off stops new automatic changes, and
  // those already applied must still be reversed when their time-to-live runs out (the pause switch still holds them).
  const timer = setInterval(() => void ((o.sweepIf?.() ?? true) ? sweepNow() : readPause()), o.settings.automatic.sweep_every);
  timer.unref();

  const findingsNow = async (): Promise<void> => {
    if (ruleSet.size === 0) return;
    try {
      const fresh: Finding[] = [];
      // The latest scan's new findings of the rules a playbook names, from the findings list's index (not every
      // open finding of the fleet read back and filtered here, on the service's loop).
      for (const rule of ruleSet) {
        let page_token: string | undefined;
        do {
          const page = await o.store.lists.findings({ rule, status: "new", sort: "id", total_cap: 0, page_size: 1000, ...(page_token !== undefined ? { page_token } : {}) });
          for (const f of page.items) fresh.push(f);
          page_token = page.next_page_token ?? undefined;
        } while (page_token !== undefined);
      }
      if (fresh.length === 0) return;
      const out = await serial.run(() => respondTo(deps, { findings: fresh }));
      stats.findings += fresh.length;
      tally(`${fresh.length} new finding(s)`, out);
    } catch (e) {
      stats.errors++;
      o.log("error", `playbooks on the re-audit's new findings failed: ${errorText(e)}`, { error: errorText(e) });
    }
  };

  const catchUpNow = async (): Promise<void> => {
    try {
      const pending: Alert[] = [];
      for (const detector of detectorSet) {
        for (const a of await o.store.alerts.list({ detector, limit: CATCH_UP_LIMIT })) if (a.state !== "resolved" && !seen.has(a.id) && playbooksFor(o.settings.playbooks, a).length > 0) pending.push(a);
      }
      for (let i = 0; i < pending.length; i += CATCH_UP_CHUNK) {
        const chunk = pending.slice(i, i + CATCH_UP_CHUNK);
        const out = await serial.run(() => respondTo(deps, { alerts: chunk }));
        for (const a of chunk) remember(a.id);
        stats.alerts += chunk.length;
        tally(`${chunk.length} stored alert(s)`, out);
      }
    } catch (e) {
      stats.errors++;
      o.log("error", `playbooks on the stored alerts failed: ${errorText(e)}`, { error: errorText(e) });
    }
  };
  let catching: Promise<void> | undefined;
  let again = false;
  const catchUp = (): Promise<void> => {
    if (catching) {
      again = true;
      return catching;
    }
    catching = (async () => {
      do {
        again = false;
        await catchUpNow();
      } while (again);
    })().finally(() => (catching = undefined));
    return catching;
  };

  return {
    name: inner.name,
    type: inner.type,
    offer(notice) {
      const queued = inner.offer(notice);
      if (queued) remember(notice.alert.id);
      return queued;
    },
    stats: () => inner.stats(),
    respondStats: () => ({ ...stats, waiting: { ...stats.waiting } }),
    sweep: sweepNow,
    findings: findingsNow,
    catchUp,
    async shutdown(deadlineMs) {
      clearInterval(timer);
      const report = await inner.shutdown(deadlineMs);
      await sweeping;
      await catching;
      return report;
    },
  };
}
