/**
 * The first page: what is wrong, what is attacking, what to do first — and what Longwatch cannot see (coverage), so a
 * missing finding is never read as a clean result.
 */
import { call } from "../api/client.ts";
import type { Severity } from "../api/types.ts";
import { Bars, TimeChart } from "../components/chart.tsx";
import { Card, ErrorBox, Link, PageHeader, Spinner, num, severities, when } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";

export function Overview() {
  const { data, error, loading, reload } = useLoad((signal) => call("overview.get", { signal }), "overview");
  if (error) return <ErrorBox error={error} retry={reload} />;
  if (loading && !data) return <Spinner />;
  if (!data) return null;
  const openAlerts = sum(data.open_alerts);
  const openFindings = sum(data.open_findings);
  const securableShare = data.devices > 0 ? Math.round((data.securable_today / data.devices) * 100) : undefined;
  return (
    <>
      <PageHeader title="Overview" subtitle={data.latest_scan ? `Last audit ${new Date(data.latest_scan.finished_at ?? data.latest_scan.started_at).toUTCString().replace(" GMT", " UTC")}` : "No audit has run yet: start one with longwatch scan."} />
      <div class="kpis">
        <Kpi label="Devices" value={num(data.devices)} href="/devices" />
        <Kpi label="Securable today" value={securableShare === undefined ? "—" : `${securableShare} %`} hint={`${num(data.securable_today)} supported, updatable, with a valid identity`} />
        <Kpi label="Open alerts" value={num(openAlerts)} href="/alerts?state=open" tone={(data.open_alerts.critical ?? 0) > 0 ? "bad" : undefined} />
        <Kpi label="Open findings" value={num(openFindings)} href="/findings" />
      </div>
      <div class="grid-2">
        <Card title="Open alerts by severity">
          <SeverityRow counts={data.open_alerts} base="/alerts?state=open&severity=" />
        </Card>
        <Card title="Open findings by severity">
          <SeverityRow counts={data.open_findings} base="/findings?severity=" />
        </Card>
      </div>
      <Trends />
      <div class="grid-2">
        <Card title="Top problems" actions={<Link href="/findings">All findings</Link>}>
          {data.top_problems.length === 0 ? (
            <p class="muted">No open findings.</p>
          ) : (
            <Bars unit="devices" items={data.top_problems.map((p) => ({ label: p.title ?? p.rule, value: p.devices, href: `/findings?rule=${encodeURIComponent(p.rule)}`, tone: `sev-${p.severity}` }))} />
          )}
          <p class="muted small">Counted in distinct devices: a device with five vulnerable components counts once.</p>
        </Card>
        <Card title="Coverage: what Longwatch cannot see">
          <ul class="coverage">
            <CoverageLine gap="firmware_inventory" count={data.coverage.no_firmware_inventory} total={data.devices} what="no firmware inventory" why="vulnerable components cannot be found" />
            <CoverageLine gap="certificate" count={data.coverage.no_certificate} total={data.devices} what="no certificate" why="identity and crypto age are unknown" />
            <CoverageLine gap="credentials" count={data.coverage.no_credentials} total={data.devices} what="no credentials known" why="default or shared passwords cannot be checked" />
            <CoverageLine gap="traffic" count={data.coverage.no_traffic} total={data.devices} what="no traffic seen" why="attacks on them would go unnoticed" />
          </ul>
        </Card>
      </div>
      <BlastRadius />
    </>
  );
}

function sum(counts: Partial<Record<Severity, number>>): number {
  return Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);
}

function Kpi(props: { label: string; value: string; hint?: string | undefined; href?: string; tone?: string | undefined }) {
  const body = (
    <>
      <span class="kpi-label">{props.label}</span>
      <span class={`kpi-value ${props.tone ?? ""}`}>{props.value}</span>
      {props.hint && <span class="kpi-hint">{props.hint}</span>}
    </>
  );
  return <div class="kpi card">{props.href ? <Link href={props.href} class="kpi-body kpi-link">{body}</Link> : <div class="kpi-body">{body}</div>}</div>;
}

function SeverityRow({ counts, base }: { counts: Partial<Record<Severity, number>>; base: string }) {
  return (
    <div class="sev-row">
      {severities.map((s) => (
        <Link key={s} href={`${base}${s}`} class={`sev-cell sev-${s}`}>
          <span class="sev-count">{num(counts[s] ?? 0)}</span>
          <span class="sev-name">{s}</span>
        </Link>
      ))}
    </div>
  );
}

function CoverageLine(props: { gap: string; count: number; total: number; what: string; why: string }) {
  const share = props.total > 0 ? (props.count / props.total) * 100 : 0;
  return (
    <li class={props.count > 0 ? "gap" : "ok"}>
      <span class="coverage-count">{props.count > 0 ? <Link href={`/devices?missing=${props.gap}`}>{num(props.count)}</Link> : num(props.count)}</span>
      <span>
        devices with {props.what}
        {props.count > 0 && <span class="muted"> ({share < 1 && share > 0 ? "<1" : Math.round(share)} %) — {props.why}</span>}
      </span>
    </li>
  );
}

/**
 * The shared secrets, CAs, firmware and providers whose compromise would take the most devices with them: the ranking
 * `whatif --all` and every scan job store (GET /api/v1/whatif/ranking/stored). Ranking a large fleet takes many
 * seconds, so the page never asks for it to be computed; it says when the stored one was made, or that none was.
 */
function BlastRadius() {
  const { data, error } = useLoad((signal) => call("whatif.stored", { query: { limit: 6 }, signal }), "blast-radius");
  return (
    <Card title="Largest blast radius">
      <p class="muted small">If one of these were compromised, this many devices would fall with it (longwatch whatif --all).</p>
      {error ? (
        <ErrorBox error={error} />
      ) : !data ? (
        <Spinner />
      ) : data.computed_at === null ? (
        <p class="muted" data-testid="blast-not-computed">
          Not computed yet: run <code>longwatch whatif --all</code>, or start a scan from the service; the ranking is stored then, so this page never waits for it.
        </p>
      ) : (
        <>
          {data.nodes.length === 0 ? <p class="muted">Nothing is shared between devices.</p> : <Bars unit="devices" items={data.nodes.map((n) => ({ label: `${n.kind}: ${n.label}`, value: n.devices, tone: n.share > 0.05 ? "sev-high" : "" }))} />}
          <p class={data.stale ? "notice small" : "muted small"} data-testid="blast-computed">
            Ranked {when(data.computed_at)}{data.fleet_devices !== null ? ` over ${num(data.fleet_devices)} devices` : ""}.
            {data.stale && " Devices were imported since: the next whatif --all or scan job brings it up to date."}
            {data.missing.length > 0 && ` Not ranked yet: ${data.missing.join(", ")}.`}
          </p>
        </>
      )}
    </Card>
  );
}

/** Alerts raised per day and each audit's open findings, so a team sees whether things get better or worse. */
function Trends() {
  const { data, error } = useLoad((signal) => call("overview.trends", { query: { days: 30 }, signal }), "trends");
  if (error) return <ErrorBox error={error} />;
  if (!data) return <Spinner label="Loading trends…" />;
  const days = data.alerts_per_day;
  const raised = days.reduce((a, d) => a + d.raised, 0);
  return (
    <div class="grid-2">
      <Card title="Alerts raised per day" actions={<span class="muted small">{num(raised)} in 30 days to {data.until.slice(0, 10)}</span>}>
        <TimeChart
          label={`Alerts raised per day over 30 days: ${num(raised)} in all`}
          times={days.map((d) => Date.parse(d.day) / 1000)}
          series={[
            { label: "All", values: days.map((d) => d.raised), colour: "--accent" },
            { label: "High or critical", values: days.map((d) => d.high), colour: "--sev-high" },
          ]}
          height={180}
        />
      </Card>
      <Card title="Open findings per audit">
        {data.scans.length < 2 ? (
          <p class="muted">{data.scans.length === 0 ? "No audit in these 30 days." : "One audit so far: the trend starts with the next longwatch scan."} {data.scans[0] ? `Latest: ${num(sum(data.scans[0].counts))} findings.` : ""}</p>
        ) : (
          <TimeChart
            label={`Findings in each of ${data.scans.length} audits`}
            times={data.scans.map((s) => Date.parse(s.at) / 1000)}
            series={[
              { label: "All", values: data.scans.map((s) => sum(s.counts)), colour: "--accent", points: true },
              { label: "Critical or high", values: data.scans.map((s) => (s.counts.critical ?? 0) + (s.counts.high ?? 0)), colour: "--sev-high", points: true },
            ]}
            height={180}
          />
        )}
      </Card>
    </div>
  );
}
