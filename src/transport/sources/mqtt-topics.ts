/**
 * MQTT topic templates: a topic filter in which one whole level may name an identifier field in braces,
 * `fleet/{device_id}/records` or `sims/{iccid}/cdr`. The template gives the subscription filter (the named level
 * becomes `+`) and, for each message, the identifier to attach to its records. `$share/<group>/` in front (or a
 * configured group) makes it a shared subscription, so several instances split the topic between them.
 */
import { LongwatchError } from "../../core/errors.ts";
import { IDENTIFIER_FIELDS, type IdentifierField } from "../../core/record.ts";

export interface TopicTemplate {
  readonly template: string;
  /** The filter as messages are matched against it (no $share prefix). */
  readonly filter: string;
  /** What is subscribed to: the filter, under `$share/<group>/` when shared. */
  readonly subscription: string;
  readonly shareGroup?: string;
  readonly idField?: IdentifierField;
  readonly idLevel?: number;
  readonly levels: readonly string[];
}

const usage = (t: string, why: string) => new LongwatchError("usage", `--mqtt-topic ${t}: ${why}`, { topic: t });

export function parseTopicTemplate(template: string, shareGroup?: string): TopicTemplate {
  let rest = template;
  let group = shareGroup;
  const share = /^\$share\/([^/]+)\/(.+)$/.exec(template);
  if (share) {
    group = share[1]!;
    rest = share[2]!;
  } else if (template.startsWith("$share")) throw usage(template, "a shared subscription is $share/<group>/<filter>");
  if (group !== undefined && (/[+#/]/.test(group) || group === "")) throw usage(template, `share group ${JSON.stringify(group)} may not be empty or contain + # /`);
  if (rest === "") throw usage(template, "the topic is empty");
  const raw = rest.split("/");
  let idField: IdentifierField | undefined;
  let idLevel: number | undefined;
  const levels = raw.map((lvl, i) => {
    const m = /^\{([^{}]*)\}$/.exec(lvl);
    if (m) {
      if (idField !== undefined) throw usage(template, "only one level may name an identifier");
      if (!(IDENTIFIER_FIELDS as readonly string[]).includes(m[1]!)) throw usage(template, `{${m[1]}} is not an identifier field; use one of ${IDENTIFIER_FIELDS.map((f) => `{${f}}`).join(", ")}`);
      idField = m[1] as IdentifierField;
      idLevel = i;
      return "+";
    }
    if (/[{}]/.test(lvl)) throw usage(template, `level ${JSON.stringify(lvl)}: an identifier must be a whole level, like fleet/{device_id}/records`);
    if (lvl === "#" && i !== raw.length - 1) throw usage(template, "# may only be the last level");
    if (lvl.length > 1 && /[+#]/.test(lvl)) throw usage(template, `level ${JSON.stringify(lvl)}: + and # must be whole levels`);
    return lvl;
  });
  const filter = levels.join("/");
  return {
    template,
    filter,
    subscription: group !== undefined ? `$share/${group}/${filter}` : filter,
    levels,
    ...(group !== undefined ? { shareGroup: group } : {}),
    ...(idField !== undefined ? { idField, idLevel: idLevel! } : {}),
  };
}

/**
 * Matches a topic against a template: undefined when it does not match, else the identifier value (or null when the
 * template names none). Every MQTT message is matched: the levels are walked in place (no split), and only the
 * identifier's level is cut out.
 */
export function matchTopic(t: TopicTemplate, topic: string): string | null | undefined {
  const levels = t.levels;
  // Wildcards at the first level do not match topics beginning with $ (MQTT 4.7.2).
  if (topic.charCodeAt(0) === 36 && (levels[0] === "+" || levels[0] === "#")) return undefined;
  let id: string | null = null;
  // Where the topic's level i starts; -1 once the topic has no more levels.
  let s = 0;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l === "#") return t.idLevel !== undefined && t.idLevel < i ? id : null;
    if (s < 0) return undefined;
    const slash = topic.indexOf("/", s);
    const e = slash < 0 ? topic.length : slash;
    if (l !== "+" && (e - s !== l.length || !topic.startsWith(l, s))) return undefined;
    if (i === t.idLevel) id = topic.slice(s, e);
    s = slash < 0 ? -1 : slash + 1;
  }
  if (s >= 0) return undefined;
  return t.idLevel !== undefined ? id : null;
}

/** True when some topic could match both filters (overlapping subscriptions may deliver a message twice). */
export function filtersOverlap(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === "#" || y === "#") return true;
    if (x === undefined || y === undefined) return x === y;
    if (x !== "+" && y !== "+" && x !== y) return false;
  }
}
