/** The lifecycle forecast (as `longwatch forecast`): how many devices stay securable, year by year, and why not. */
import { useState } from "preact/hooks";
import { call } from "../api/client.ts";
import { Pager } from "../components/pager.tsx";
import { Card, ErrorBox, Link, PageHeader, Spinner, num, when } from "../components/ui.tsx";
import { useQuery } from "../router.ts";
import { TimeChart } from "../components/chart.tsx";
import { useLoad } from "../hooks.ts";

export function Forecast() {
  const { data, error, reload } = useLoad((signal) => call("forecast.get", { signal }), "forecast");
  if (error) return <ErrorBox error={error} retry={reload} />;
  if (!data) return <Spinner />;
  const times = data.rows.map((r) => Date.parse(r.date) / 1000);
  return (
    <>
      <PageHeader title="Lifecycle forecast" subtitle={`How many of ${num(data.devices)} devices can still be kept secure each year, until ${data.until} (crypto policy ${data.policy_version}).`} />
      {data.from_scan && (
        <p class={data.from_scan.stale ? "notice small" : "muted small"} data-testid="forecast-source">
          As of the audit of {data.as_of} (scan {data.from_scan.scan_id}, finished {when(data.from_scan.computed_at)}).
          {data.from_scan.stale && " Devices were imported since: the next scan brings this forecast up to date."}
        </p>
      )}
      <Card title="Securable devices over time">
        <TimeChart
          label="Devices in the field, securable and at risk, per year"
          times={times}
          series={[
            { label: "In the field", values: data.rows.map((r) => r.in_field), colour: "--text-muted" },
            { label: "Securable", values: data.rows.map((r) => r.securable), colour: "--ok" },
            { label: "At risk", values: data.rows.map((r) => r.at_risk), colour: "--sev-high" },
          ]}
          height={260}
        />
        <p class="muted small">Securable: in support, with a valid identity and cryptography that is still allowed (or can be migrated). A device whose support, identity or crypto is unknown is counted at risk, not safe.</p>
        {data.devices_without_retirement > 0 && (
          <p class="muted small">{num(data.devices_without_retirement)} devices have no planned retirement date: they are counted as staying in the field.</p>
        )}
      </Card>
      <ByModel years={data.rows.map((r) => r.year)} />
      <Card title="Year by year">
        <div class="table-wrap">
          <table class="table table-compact">
            <thead>
              <tr>
                <th scope="col">Year</th>
                <th class="num">In field</th>
                <th class="num">Retired</th>
                <th class="num">In support</th>
                <th class="num">Valid identity</th>
                <th class="num">Crypto allowed</th>
                <th class="num">Crypto migratable</th>
                <th class="num">Securable</th>
                <th class="num">At risk</th>
                <th class="num" title="Devices whose support end, certificate or crypto is not known">Unknown</th>
              </tr>
            </thead>
            <tbody>
              {data.rows.map((r) => (
                <tr key={r.year}>
                  <td>{r.year}</td>
                  <td class="num">{num(r.in_field)}</td>
                  <td class="num">{num(r.retired)}</td>
                  <td class="num">{num(r.in_support)}</td>
                  <td class="num">{num(r.valid_identity)}</td>
                  <td class="num">{num(r.crypto_allowed)}</td>
                  <td class="num">{num(r.crypto_migratable)}</td>
                  <td class="num strong">{num(r.securable)}</td>
                  <td class={`num ${r.at_risk > 0 ? "text-bad" : ""}`}>{num(r.at_risk)}</td>
                  <td class="num muted">{num(Math.max(r.support_unknown, r.identity_unknown, r.crypto_unknown))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </>
  );
}

/** Which models make up the devices at risk in one year (the year lives in the URL), most at risk first, paged on the server. */
function ByModel({ years }: { years: number[] }) {
  const [query, setQuery] = useQuery();
  const [history, setHistory] = useState<string[]>([]);
  const year = Number(query["year"] ?? years[0]);
  const token = query["models_page"];
  const page = useLoad((signal) => call("forecast.models", { query: { year, page_size: 10, ...(token ? { page_token: token } : {}) }, signal }), `forecast-models:${year}:${token ?? ""}`);
  const pick = (
    <label class="inline small">
      Year
      <select value={String(year)} onChange={(e) => { setHistory([]); setQuery({ year: (e.target as HTMLSelectElement).value, models_page: undefined }); }}>
        {years.map((y) => <option key={y} value={String(y)}>{y}</option>)}
      </select>
    </label>
  );
  return (
    <Card title={`Devices at risk by model, ${page.data?.date ?? year}`} actions={pick}>
      {page.error ? <ErrorBox error={page.error} retry={page.reload} /> : !page.data ? <Spinner /> : page.data.items.length === 0 ? <p class="muted">No devices.</p> : (
        <>
          <div class="table-wrap">
            <table class="table table-compact">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th class="num">In field</th>
                  <th class="num">Securable</th>
                  <th class="num">At risk</th>
                  <th class="num" title="Devices in the field past their model's support end">Support ended</th>
                  <th class="num" title="Devices whose certificate or issuing CA has expired">Identity expired</th>
                  <th class="num" title="Devices using cryptography the policy disallows, with no way to migrate it in the field">Crypto disallowed</th>
                  <th class="num" title="Devices whose support end, certificate or crypto is not known">Unknown</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((m) => (
                  <tr key={m.model_id ?? ""}>
                    <td>{m.model_id === null ? <span class="muted">no model</span> : <Link href={`/devices?model_id=${encodeURIComponent(m.model_id)}`}>{m.model_id}</Link>}</td>
                    <td class="num">{num(m.in_field)}</td>
                    <td class="num strong">{num(m.securable)}</td>
                    <td class={`num ${m.at_risk > 0 ? "text-bad" : ""}`}>{num(m.at_risk)}</td>
                    <td class="num">{num(m.failing.support)}</td>
                    <td class="num">{num(m.failing.identity)}</td>
                    <td class="num">{num(m.failing.crypto)}</td>
                    <td class="num muted">{num(Math.max(m.unknown.support, m.unknown.identity, m.unknown.crypto))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="muted small">A device can fail more than one criterion, so the three failing columns can add up to more than its at-risk count.</p>
          {(page.data.next_page_token || history.length > 0) && (
            <Pager shown={page.data.items.length} total={page.data.total} nextToken={page.data.next_page_token} currentToken={token} history={history} onPage={(t, h) => { setHistory(h); setQuery({ models_page: t }); }} />
          )}
        </>
      )}
    </Card>
  );
}
