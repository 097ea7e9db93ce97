/**
 * One alert: what was seen, against what baseline, how unusual it is, what to do — in the plain words the CLI uses —
 * and the verdict buttons, which teach the baseline (a benign verdict stops the same pattern alerting again).
 */
import { useState } from "preact/hooks";
import { call } from "../api/client.ts";
import type { AlertEvent, Bodies, Responses } from "../api/types.ts";
import { TimeChart } from "../components/chart.tsx";
import { Card, ErrorBox, Link, PageHeader, SeverityBadge, Spinner, StateBadge, num, when } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";
import { useCan, useSession } from "../session.ts";
import { VERDICTS } from "./alerts.tsx";

/** Evidence keys that hold the baseline an observation was compared with, by the detectors' naming. */
const BASELINE_KEYS = ["expected", "usual_high", "usual_peak_packets", "usual", "baseline_value", "threshold"];

export function AlertPage({ id }: { id: string }) {
  const session = useSession();
  const canTriage = useCan("analyst");
  const alert = useLoad((signal) => call("alerts.get", { params: { id }, signal }), `alert:${id}`);
  const history = useLoad((signal) => call("alerts.history", { params: { id }, signal }), `alert-history:${id}`);
  const series = useLoad((signal) => call("alerts.series", { params: { id }, signal }), `alert-series:${id}`);
  const [comment, setComment] = useState("");
  const [message, setMessage] = useState<string>();
  if (alert.error) return <ErrorBox error={alert.error} retry={alert.reload} />;
  if (!alert.data) return <Spinner />;
  const data = alert.data;
  const act = async (action: "ack" | "resolve" | "reopen" | "verify" | "assign" | "comment", body: Partial<Bodies["alerts.verify"] & Bodies["alerts.assign"]> = {}): Promise<void> => {
    try {
      const options = { params: { id }, body: { ...body, ...(comment ? { comment } : {}) } };
      // One of the six alert actions; each takes the comment, verify a verdict and assign an assignee.
      await call(`alerts.${action}`, options as never);
      setComment("");
      setMessage(undefined);
      alert.reload();
      history.reload();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  const evidence = Object.entries(data.evidence);
  const observed = typeof data.evidence["observed"] === "number" ? (data.evidence["observed"] as number) : typeof data.evidence["packets"] === "number" ? (data.evidence["packets"] as number) : undefined;
  const baselineKey = BASELINE_KEYS.find((k) => typeof data.evidence[k] === "number");
  const baseline = baselineKey ? (data.evidence[baselineKey] as number) : undefined;
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href="/alerts">Alerts</Link> / <span>{data.detector}</span>
      </nav>
      <PageHeader
        title={`${data.detector} on ${data.device_id}`}
        subtitle={
          <>
            <SeverityBadge severity={data.severity} /> <StateBadge state={data.state} /> first seen {when(data.first_seen)}, last {when(data.last_seen)}
            {data.count > 1 ? ` · seen ${num(data.count)} times` : ""} · confidence {Math.round(data.confidence * 100)} %
          </>
        }
      />
      <div class="grid-2 wide-left">
        <div>
          <Card title="What was seen">
            <p class="lead">{data.summary}</p>
            {observed !== undefined && baseline !== undefined && (
              <div class="compare" role="img" aria-label={`Observed ${num(observed)} against a baseline of ${num(baseline)}`}>
                <CompareBar label="Observed" value={observed} max={Math.max(observed, baseline)} tone="sev-high" />
                <CompareBar label={`Baseline (${baselineKey?.replaceAll("_", " ")})`} value={baseline} max={Math.max(observed, baseline)} tone="" />
                {baseline > 0 && <p class="muted small">{(observed / baseline).toFixed(1)}× the baseline.</p>}
              </div>
            )}
            <dl class="facts">
              <div><dt>Device</dt><dd><Link href={`/devices/${encodeURIComponent(data.device_id)}`}>{data.device_id}</Link>{data.model_id ? ` (${data.model_id})` : ""}</dd></div>
              <div><dt>About</dt><dd><code>{data.key}</code></dd></div>
              {evidence.map(([k, v]) => (
                <div key={k}>
                  <dt>{k.replaceAll("_", " ")}</dt>
                  <dd>{v !== null && typeof v === "object" ? <code>{JSON.stringify(v)}</code> : String(v)}</dd>
                </div>
              ))}
            </dl>
          </Card>
          <Card title="Compared with what">
            {series.error ? <ErrorBox error={series.error} retry={series.reload} /> : !series.data ? <Spinner /> : <SeriesChart data={series.data} current={data.id} />}
          </Card>
          <Card title="What to do">
            <p>{data.action}</p>
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
                {data.state !== "resolved" ? <button type="button" class="btn" onClick={() => void act("resolve")}>Resolve</button> : <button type="button" class="btn" onClick={() => void act("reopen")}>Reopen</button>}
                {comment && <button type="button" class="btn" onClick={() => void act("comment")}>Add comment</button>}
              </div>
              <p class="muted small">Your verdict teaches the baseline: a benign or false alarm stops this pattern alerting again on this device.</p>
              <div class="button-col">
                {VERDICTS.map((v) => (
                  <button key={v.value} type="button" aria-pressed={data.verification === v.value} class={`btn ${data.verification === v.value ? "btn-primary" : ""}`} onClick={() => void act("verify", { verification: v.value })}>
                    {v.label}
                  </button>
                ))}
              </div>
              {message && <p class="error-box" role="alert">{message}</p>}
            </Card>
          )}
          <Card title="History">
            {!history.data ? (
              <Spinner />
            ) : history.data.items.length === 0 ? (
              <p class="muted">Nobody has changed this alert yet.</p>
            ) : (
              <ol class="timeline">
                {history.data.items.map((h) => (
                  <li key={h.id}>
                    <span class="muted small">{when(h.at)}</span> <strong>{h.actor}</strong> {describe(h)}
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

function describe(e: AlertEvent): string {
  const to = (e.to ?? "").replaceAll("_", " ");
  switch (e.action) {
    case "state": return `set it ${to}`;
    case "verification": return `judged it ${to}`;
    case "assignee": return e.to ? `assigned it to ${e.to}` : "unassigned it";
    default: return "commented";
  }
}

function CompareBar(props: { label: string; value: number; max: number; tone: string }) {
  return (
    <div class="compare-row">
      <span class="compare-label">{props.label}</span>
      <span class="bar-track"><span class={`bar-fill ${props.tone}`} style={{ width: `${props.max > 0 ? (props.value / props.max) * 100 : 0}%` }} /></span>
      <span class="bar-value">{num(props.value)}</span>
    </div>
  );
}

function SeriesChart({ data, current }: { data: Responses["alerts.series"]; current: string }) {
  const times = data.points.map((p) => Date.parse(p.at) / 1000);
  const lines = [
    { label: `This device (${data.unit})`, values: data.points.map((p) => p.value), colour: "--sev-high", points: true },
    ...(data.baseline !== null ? [{ label: "Its baseline", values: data.points.map(() => data.baseline), colour: "--text-muted", dashed: true }] : []),
    ...(data.high !== null ? [{ label: data.measure === "kmh" ? "Possible at most" : "Usual high", values: data.points.map(() => data.high), colour: "--sev-medium", dashed: true }] : []),
  ];
  const mine = data.points.find((p) => p.alert_id === current);
  const earlier = data.points.length - 1;
  return (
    <>
      <TimeChart label={`${data.unit}: this alert${earlier > 0 ? ` and ${earlier} earlier ones` : ""} against the device's baseline`} times={times} series={lines} height={200} />
      <p class="muted small">
        {data.ratio !== null ? <strong>{data.ratio >= 10 ? Math.round(data.ratio) : data.ratio.toFixed(1)}× {data.baseline !== null ? "the baseline" : "the limit"}. </strong> : null}
        {earlier > 0 ? `${earlier} earlier alert${earlier === 1 ? "" : "s"} of this kind on this device in the 30 days before.` : "The first alert of this kind on this device in 30 days."}
        {mine?.record ? <> Raised by the record at <code>{mine.record}</code>.</> : null}
      </p>
    </>
  );
}
