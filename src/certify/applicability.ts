/**
 * Does a conditional provision apply to this model? Each condition or feature it depends on is taken from the answers
 * file when answered there, otherwise from fleet data where the catalogue says how (e.g. `ota_capable: true` in
 * models.yaml means an update mechanism exists), otherwise it is unknown. The answers win: they are the
 * manufacturer's statement, the fleet data is only what the inventory says.
 */
import type { DeviceModel } from "../core/fleet.ts";
import type { ConditionState } from "./assessment.ts";
import type { Provision } from "./catalogue.ts";
import type { ProvisionAnswer, SectionAnswers } from "./questionnaire.ts";

export function conditionStates(p: Provision, section: SectionAnswers | undefined, model: DeviceModel | undefined, answer: ProvisionAnswer | undefined): ConditionState[] {
  return p.appliesIf.map((cond) => {
    const base = { id: cond.id, label: cond.label, text: cond.text };
    if (cond.per_provision) {
      // "Where applicable" (EU CRA): the provision's own answer says whether it applies.
      const per = { ...base, per_provision: true as const };
      if (answer === undefined) return { ...per, state: "unknown" };
      if (answer.answer === "not-applicable") return { ...per, state: "does-not-hold", why: answer.why ?? "", source: "answers", line: answer.line };
      return { ...per, state: "holds", source: "answers", line: answer.line };
    }
    const a = section?.conditions.get(cond.id);
    if (a) {
      const s: ConditionState = { ...base, state: a.holds ? "holds" : "does-not-hold", source: "answers", line: a.line };
      if (a.why !== undefined) s.why = a.why;
      return s;
    }
    const field = cond.derive?.field;
    const value = field !== undefined && model ? model[field] : undefined;
    if (field !== undefined && typeof value === "boolean") {
      const state = cond.derive![value ? "true" : "false"];
      if (state !== undefined) return { ...base, state, why: `the model record says ${field}: ${value}`, source: "fleet" };
    }
    return { ...base, state: "unknown" };
  });
}

/** The first condition that does not hold, which makes the provision NOT APPLICABLE. */
export function blockingCondition(states: readonly ConditionState[]): ConditionState | undefined {
  return states.find((s) => s.state === "does-not-hold");
}
