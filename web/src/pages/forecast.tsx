/** The lifecycle forecast (as `longwatch forecast`): how many devices stay securable, year by year, and why not. */
import { call } from "../api/client.ts";
import { TimeChart } from "../components/chart.tsx";
import { Card, ErrorBox, PageHeader, Spinner, num, when } from "../components/ui.tsx";
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
