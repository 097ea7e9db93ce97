/**
 * One alert: what was seen, against what baseline, how unusual it is, what to do — in the plain words the CLI uses —
 * and the verdict buttons, which teach the baseline (a benign verdict stops the same pattern alerting again).
 */
import { useState } from "preact/hooks";
import { api } from "../api/client.ts";
import type { Alert } from "../api/types.ts";
import { TimeChart } from "../components/chart.tsx";
import { Card, ErrorBox, Link, PageHeader, SeverityBadge, Spinner, StateBadge, num, when } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";
import { useCan, useSession } from "../session.ts";
import { VERDICTS } from "./alerts.tsx";

interface AlertHistoryEntry {
  at: string;
  actor: string;
  action: string;
  comment?: string | null;
  [field: string]: unknown;
}

interface AlertDetail extends Alert {
  history?: AlertHistoryEntry[];
  comments?: AlertHistoryEntry[];
  baseline?: { times: number[]; observed: (number | null)[]; expected?: (number | null)[]; unit?: string };
}

export function AlertPage({ id }: { id: string }) {
  const session = useSession();
  const canTriage = useCan("analyst");
  const { data, error, loading, reload } = useLoad((signal) => api.get<AlertDetail>(`/alerts/${encodeURIComponent(id)}`, undefined, signal), `alert:${id}`);
  const [comment, setComment] = useState("");
  const [message, setMessage] = useState<string>();
  if (error) return <ErrorBox error={error} retry={reload} />;
  if (loading && !data) return <Spinner />;
  if (!data) return null;
  const act = async (action: string, body: Record<string, unknown> = {}): Promise<void> => {
    try {
      await api.post(`/alerts/${encodeURIComponent(id)}/${action}`, { ...body, ...(comment ? { comment } : {}) });
      setComment("");
      setMessage(undefined);
      reload();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  const evidence = Object.entries(data.evidence ?? {}).filter(([, v]) => v !== null && typeof v !== "object");
  const history = data.history ?? data.comments ?? [];
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href="/alerts">Alerts</Link> / <span>{data.id}</span>
      </nav>
      <PageHeader
        title={data.title ?? data.detector}
        subtitle={
          <>
            <SeverityBadge severity={data.severity} /> <StateBadge state={data.state} /> {data.detector} on{" "}
            {data.device_id ? <Link href={`/devices/${encodeURIComponent(data.device_id)}`}>{data.device_id}</Link> : "the fleet"} · first seen {when(data.first_seen)}
            {data.count && data.count > 1 ? ` · seen ${num(data.count)} times` : ""}
          </>
        }
      />
      <div class="grid-2 wide-left">
        <div>
          <Card title="What was seen">
            <p class="lead">{data.explanation ?? "No explanation was recorded for this alert."}</p>
            {data.baseline && data.baseline.times.length > 1 && (
              <TimeChart
                label="The device's records against its learned baseline"
                times={data.baseline.times}
                yLabel={data.baseline.unit}
                series={[
                  { label: "Observed", values: data.baseline.observed, colour: "--sev-high" },
                  ...(data.baseline.expected ? [{ label: "Baseline", values: data.baseline.expected, colour: "--text-muted", dashed: true }] : []),
                ]}
              />
            )}
            {evidence.length > 0 && (
              <dl class="facts">
                {evidence.map(([k, v]) => (
                  <div key={k}>
                    <dt>{k.replaceAll("_", " ")}</dt>
                    <dd>{String(v)}</dd>
                  </div>
                ))}
              </dl>
            )}
          </Card>
          <Card title="What to do">
            <p>{data.what_to_do ?? "Check the device and its recent changes; if this is expected, mark it benign so the baseline learns it."}</p>
          </Card>
        </div>
        <div>
          {canTriage && (
            <Card title="Triage">
              <label class="field">
                <span>Comment</span>
                <textarea rows={3} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} placeholder="What you checked, what you found" />
              </label>
              <div class="button-row">
                {data.state === "open" && <button type="button" class="btn" onClick={() => void act("ack")}>Acknowledge</button>}
                {data.assignee !== session.name && <button type="button" class="btn" onClick={() => void act("assign", { assignee: session.name })}>Assign to me</button>}
                {data.state !== "resolved" && <button type="button" class="btn" onClick={() => void act("resolve")}>Resolve</button>}
                {comment && <button type="button" class="btn" onClick={() => void act("comment")}>Add comment</button>}
              </div>
              <p class="muted small">Your verdict teaches the baseline:</p>
              <div class="button-col">
                {VERDICTS.map((v) => (
                  <button key={v.value} type="button" class={`btn ${data.verification === v.value ? "btn-primary" : ""}`} onClick={() => void act("verify", { verification: v.value })}>
                    {v.label}
                  </button>
                ))}
              </div>
              {message && <p class="error-box" role="alert">{message}</p>}
            </Card>
          )}
          <Card title="History">
            {history.length === 0 ? (
              <p class="muted">No changes yet.</p>
            ) : (
              <ol class="timeline">
                {history.map((h, i) => (
                  <li key={i}>
                    <span class="muted small">{when(h.at)}</span> <strong>{h.actor}</strong> {h.action.replaceAll("_", " ")}
                    {h.comment && <blockquote>{h.comment}</blockquote>}
                  </li>
                ))}
              </ol>
            )}
          </Card>
        </div>
      </div>
    </>
  );
}
