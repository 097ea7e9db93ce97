/**
 * The first page: what is wrong, what is attacking, what to do first — and what Longwatch cannot see (coverage), so a
 * missing finding is never read as a clean result.
 */
import { api } from "../api/client.ts";
import type { Severity } from "../api/types.ts";
import { Bars, TimeChart } from "../components/chart.tsx";
import { Card, ErrorBox, Link, PageHeader, Spinner, num, severities } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";

export interface OverviewData {
  devices: number;
  securable_today?: number;
  findings_by_severity: Partial<Record<Severity, number>>;
  alerts_by_severity: Partial<Record<Severity, number>>;
  top_problems: { rule_id: string; title?: string; severity: Severity; devices: number }[];
  coverage: { no_firmware: number; no_certificate: number; no_credentials: number; no_traffic: number };
  trend?: { day: string; open_alerts: number; open_findings: number }[];
  blast_radius?: { target: string; devices: number; share: number }[];
  last_scan?: { id: string; finished_at?: string } | null;
}

export function Overview() {
  const { data, error, loading, reload } = useLoad((signal) => api.get<OverviewData>("/overview", undefined, signal), "overview");
  if (error) return <ErrorBox error={error} retry={reload} />;
  if (loading && !data) return <Spinner />;
  if (!data) return null;
  const openAlerts = sum(data.alerts_by_severity);
  const openFindings = sum(data.findings_by_severity);
  const securableShare = data.devices > 0 && data.securable_today !== undefined ? Math.round((data.securable_today / data.devices) * 100) : undefined;
  return (
    <>
      <PageHeader title="Overview" subtitle={data.last_scan?.finished_at ? `Last audit ${new Date(data.last_scan.finished_at).toLocaleString("en-GB")}` : "No audit has run yet: start one with longwatch scan."} />
      <div class="kpis">
        <Kpi label="Devices" value={num(data.devices)} href="/devices" />
        <Kpi label="Securable today" value={securableShare === undefined ? "—" : `${securableShare} %`} hint={data.securable_today !== undefined ? `${num(data.securable_today)} can take a security update` : undefined} />
        <Kpi label="Open alerts" value={num(openAlerts)} href="/alerts?state=open" tone={(data.alerts_by_severity.critical ?? 0) > 0 ? "bad" : undefined} />
        <Kpi label="Open findings" value={num(openFindings)} href="/findings" />
      </div>
      <div class="grid-2">
        <Card title="Open alerts by severity">
          <SeverityRow counts={data.alerts_by_severity} base="/alerts?state=open&severity=" />
        </Card>
        <Card title="Open findings by severity">
          <SeverityRow counts={data.findings_by_severity} base="/findings?severity=" />
        </Card>
      </div>
      {data.trend && data.trend.length > 1 && (
        <Card title="Trend">
          <TimeChart
            label="Open alerts and open findings per day"
            times={data.trend.map((t) => Date.parse(t.day) / 1000)}
            series={[
              { label: "Open alerts", values: data.trend.map((t) => t.open_alerts), colour: "--sev-high" },
              { label: "Open findings", values: data.trend.map((t) => t.open_findings), colour: "--accent" },
            ]}
          />
        </Card>
      )}
      <div class="grid-2">
        <Card title="Top problems" actions={<Link href="/findings">All findings</Link>}>
          {data.top_problems.length === 0 ? (
            <p class="muted">No open findings.</p>
          ) : (
            <Bars unit="devices" items={data.top_problems.map((p) => ({ label: p.title ?? p.rule_id, value: p.devices, href: `/findings?rule=${encodeURIComponent(p.rule_id)}`, tone: `sev-${p.severity}` }))} />
          )}
          <p class="muted small">Counted in distinct devices: a device with five vulnerable components counts once.</p>
        </Card>
        <Card title="Coverage: what Longwatch cannot see">
          <ul class="coverage">
            <CoverageLine count={data.coverage.no_firmware} total={data.devices} what="no firmware inventory" why="vulnerable components cannot be found" />
            <CoverageLine count={data.coverage.no_certificate} total={data.devices} what="no certificate" why="identity and crypto age are unknown" />
            <CoverageLine count={data.coverage.no_credentials} total={data.devices} what="no credentials known" why="default or shared passwords cannot be checked" />
            <CoverageLine count={data.coverage.no_traffic} total={data.devices} what="no traffic seen" why="attacks on them would go unnoticed" />
          </ul>
        </Card>
      </div>
      {data.blast_radius && data.blast_radius.length > 0 && (
        <Card title="Largest blast radius">
          <p class="muted small">If one of these secrets or nodes were compromised, this many devices would fall (longwatch whatif --all).</p>
          <Bars unit="devices" items={data.blast_radius.map((b) => ({ label: b.target, value: b.devices, tone: b.share > 0.05 ? "sev-high" : "" }))} />
        </Card>
      )}
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
  return <div class="kpi card">{props.href ? <Link href={props.href} class="kpi-link">{body}</Link> : body}</div>;
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

function CoverageLine(props: { count: number; total: number; what: string; why: string }) {
  const share = props.total > 0 ? (props.count / props.total) * 100 : 0;
  return (
    <li class={props.count > 0 ? "gap" : "ok"}>
      <span class="coverage-count">{num(props.count)}</span>
      <span>
        devices with {props.what}
        {props.count > 0 && <span class="muted"> ({share < 1 && share > 0 ? "<1" : Math.round(share)} %) — {props.why}</span>}
      </span>
    </li>
  );
}
