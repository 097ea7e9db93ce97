/**
 * The sinks' dead-letter list: alerts a sink (a webhook, syslog, e-mail, MQTT publish, or the playbooks' `respond`
 * queue) gave up on or had no room for, newest first, with why. Nothing a sink drops is lost silently: it is here.
 */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { COUNT_CAP, decodePageToken, encodePageToken, keysetList, pageQuery, pageSchema } from "../lists.ts";
import { route } from "../route.ts";

const DeadLetterSchema = z
  .object({
    id: z.number().int(),
    sink: z.string(),
    sink_type: z.string(),
    alert_id: z.string(),
    change: z.string().describe("open, update or resolve: what the sink was told"),
    reason: z.enum(["failed", "retries_exhausted", "queue_full", "shutdown"]),
    error: z.string().optional().describe("The last error the peer gave"),
    attempts: z.number().int(),
    at: z.string(),
    alert: z.unknown().describe("The alert as the sink would have sent it"),
  })
  .meta({ id: "DeadLetter" });

export const deadLetterRoutes = [
  route({
    id: "dead-letters.list",
    method: "GET",
    path: "/api/v1/dead-letters",
    role: "viewer",
    tag: "alerts",
    summary: "Alerts a sink could not deliver or had no room for, newest first, with the reason",
    query: z.object({ sink: z.string().max(64).optional(), alert_id: z.string().max(200).optional(), ...pageQuery }),
    response: pageSchema(DeadLetterSchema, "DeadLetter"),
    alsoProduces: ["text/csv", "application/x-ndjson"],
    handler: async (ctx) => {
      const f = { ...(ctx.query.sink ? { sink: ctx.query.sink } : {}), ...(ctx.query.alert_id ? { alert_id: ctx.query.alert_id } : {}) };
      return keysetList(
        ctx,
        "dead-letters",
        async (token, size, withTotal) => {
          const cursor = decodePageToken<{ i: number }>("dead-letters", token);
          if (cursor && !Number.isSafeInteger(cursor.i)) throw new LongwatchError("usage", "page_token: damaged", { field: "query.page_token" });
          const rows = await ctx.store.live.deadLetters({ ...f, ...(cursor ? { before: cursor.i } : {}), limit: size + 1 });
          const items = rows.slice(0, size).map(({ alert, ...l }) => ({ ...l, alert: JSON.parse(alert) as unknown }));
          const next = rows.length > size ? encodePageToken("dead-letters", { i: items[items.length - 1]!.id }) : null;
          if (!withTotal) return { items, next_page_token: next };
          // The store counts by sink only; with an alert filter the page is all that is known.
          if (f.alert_id !== undefined) return { items, next_page_token: next, total: { count: items.length, type: next ? "at_least" : "exact" } };
          const count = await ctx.store.live.countDeadLetters(f);
          return { items, next_page_token: next, total: { count: Math.min(count, COUNT_CAP), type: count > COUNT_CAP ? "at_least" : "exact" } };
        },
        ["id", "at", "sink", "sink_type", "alert_id", "change", "reason", "attempts", "error"],
      );
    },
  }),
];
