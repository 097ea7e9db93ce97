/** The fleet: devices filtered by model, firmware, group, country and provider; one page per device. */
import { call, exportUrl } from "../api/client.ts";
import type { Device } from "../api/types.ts";
import { FilterBar } from "../components/filters.tsx";
import { Pager } from "../components/pager.tsx";
import { Card, Empty, ErrorBox, Link, PageHeader, SeverityBadge, Spinner, StateBadge, ago, evidenceText, num } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";
import { useList } from "../list.ts";

export function Devices() {
  const list = useList<Device>("/devices", ["model_id", "firmware_version", "group", "country", "provider", "missing"]);
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Devices"
        subtitle="Every device in the inventory."
        actions={<a class="btn btn-small" href={exportUrl("/devices", list.filters, "csv")}>Export CSV</a>}
      />
      <FilterBar
        query={list.filters}
        onChange={list.setFilters}
        fields={[
          { key: "model_id", label: "Model" },
          { key: "firmware_version", label: "Firmware" },
          { key: "group", label: "Group" },
          { key: "country", label: "Country", placeholder: "ISO code" },
          { key: "provider", label: "Provider" },
          { key: "missing", label: "Missing", options: ["firmware_inventory", "certificate", "credentials", "traffic"] },
        ]}
      />
      {list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : list.loading && !list.data ? (
        <Spinner />
      ) : items.length === 0 ? (
        <Empty>No devices match. Import an inventory with longwatch import fleet.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Device</th>
                <th>Model</th>
                <th>Firmware</th>
                <th>Group</th>
                <th>Country</th>
                <th>Provider</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.device_id}>
                  <td><Link href={`/devices/${encodeURIComponent(d.device_id)}`}>{d.device_id}</Link></td>
                  <td>{d.model_id ?? "—"}</td>
                  <td>{d.firmware_version ?? "—"}</td>
                  <td>{d.groups?.join(", ") || "—"}</td>
                  <td>{d.country ?? "—"}</td>
                  <td>{d.sim_provider ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && <Pager shown={items.length} total={list.data.total} nextToken={list.data.next_page_token} currentToken={list.pageToken} history={list.history} onPage={list.goToPage} />}
    </>
  );
}

/** Findings about firmware components (the vulnerabilities rules): each names the component, version and CVE. */
const COMPONENT_RULES = new Set(["vulnerable-component", "known-exploited-vulnerability"]);

function yearsBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / (365.25 * 86_400_000);
}

export function DevicePage({ id }: { id: string }) {
  const device = useLoad((signal) => call("devices.get", { params: { id }, signal }), `device:${id}`);
  const findings = useLoad((signal) => call("findings.list", { query: { device_id: id, page_size: 100 }, signal }), `device-findings:${id}`);
  const alerts = useLoad((signal) => call("alerts.list", { query: { device_id: id, page_size: 50 }, signal }), `device-alerts:${id}`);
  const modelId = device.data?.model_id;
  const model = useLoad((signal) => (modelId ? call("models.get", { params: { id: modelId }, signal }) : Promise.resolve(undefined)), `device-model:${modelId ?? ""}`);
  if (device.error) return <ErrorBox error={device.error} retry={device.reload} />;
  if (!device.data) return <Spinner />;
  const d = device.data;
  const own = findings.data?.items ?? [];
  const componentFindings = own.filter((f) => COMPONENT_RULES.has(f.rule));
  const certFindings = own.filter((f) => f.rule.includes("cert") || f.rule.includes("identity"));
  const supportEnd = model.data?.support_end;
  const supportGap = supportEnd && d.retire_at ? yearsBetween(supportEnd, d.retire_at) : undefined;
  const identity: [string, unknown][] = [
    ["Name", d.name], ["Model", d.model_id], ["Firmware", d.firmware_version], ["Groups", d.groups?.join(", ")], ["Country", d.country], ["IP", d.ip],
    ["IMEI", d.imei], ["ICCID", d.iccid], ["IMSI", d.imsi], ["Provider", d.sim_provider], ["APN", d.sim_apn], ["MQTT client", d.mqtt_client_id],
    ["Deployed", d.deployed_at], ["Planned retirement", d.retire_at],
  ];
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href="/devices">Devices</Link> / <span>{d.device_id}</span>
      </nav>
      <PageHeader title={d.device_id} subtitle={d.model_id ? `${d.model_id}${d.firmware_version ? ` · firmware ${d.firmware_version}` : ""}` : undefined} />
      <div class="grid-3">
        <Card title="Identity and SIM">
          <dl class="facts">
            {identity.filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => (
              <div key={k}><dt>{k}</dt><dd>{String(v)}</dd></div>
            ))}
          </dl>
        </Card>
        <Card title="Certificate">
          {d.cert_fingerprint || d.cert_file ? (
            <dl class="facts">
              {d.cert_fingerprint && <div><dt>SHA-256</dt><dd><code class="wrap">{d.cert_fingerprint}</code></dd></div>}
              {d.cert_file && <div><dt>File</dt><dd>{d.cert_file}</dd></div>}
              <div><dt>Checks</dt><dd>{certFindings.length === 0 ? "no open identity finding" : certFindings.map((f) => f.rule).join(", ")}</dd></div>
            </dl>
          ) : (
            <p class="muted">No certificate is known for this device, so its identity and crypto age cannot be checked.</p>
          )}
        </Card>
        <Card title="Lifecycle">
          {model.error ? <ErrorBox error={model.error} /> : d.model_id && !model.data ? <Spinner /> : (
            <dl class="facts">
              <div><dt>Supported until</dt><dd>{model.data?.support_end ?? <span class="muted">unknown: ask the maker</span>}</dd></div>
              <div><dt>Planned retirement</dt><dd>{d.retire_at ?? <span class="muted">not planned</span>}</dd></div>
              {supportGap !== undefined && (
                <div><dt>Verdict</dt><dd class={supportGap > 0 ? "text-bad" : ""}>{supportGap > 0 ? `in the field ${supportGap.toFixed(1)} years past its support end` : "retired before support ends"}</dd></div>
              )}
              <div><dt>Updates</dt><dd>{model.data?.ota_capable === undefined ? "unknown" : model.data.ota_capable ? "over the air" : "no OTA update"}{model.data?.latest_firmware ? ` · latest ${model.data.latest_firmware}` : ""}</dd></div>
            </dl>
          )}
          <p class="muted small"><Link href="/forecast">Fleet forecast</Link></p>
        </Card>
      </div>
      <Card title="Firmware components and their CVEs">
        {!findings.data ? <Spinner /> : componentFindings.length === 0 ? (
          <p class="muted">No vulnerable component found on firmware {d.firmware_version ?? "(version unknown)"}. {d.firmware_version ? "Without an SBOM for this firmware (longwatch import sbom), components cannot be checked: see the coverage panel." : ""}</p>
        ) : (
          <table class="table table-compact">
            <thead><tr><th scope="col">Severity</th><th scope="col">Component</th><th scope="col">Evidence</th></tr></thead>
            <tbody>
              {componentFindings.map((f) => (
                <tr key={f.fingerprint}>
                  <td><SeverityBadge severity={f.severity} /></td>
                  <td>{f.title}{f.rule === "known-exploited-vulnerability" && <span class="chip chip-kev" title="Known exploited (CISA KEV)">KEV</span>}</td>
                  <td class="small evidence">{evidenceText(f.evidence)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <div class="grid-2">
        <Card title="Findings">
          {findings.error ? <ErrorBox error={findings.error} /> : !findings.data ? <Spinner /> : findings.data.items.length === 0 ? <p class="muted">No open findings.</p> : (
            <ul class="plain-list">
              {findings.data.items.filter((f) => !COMPONENT_RULES.has(f.rule)).map((f, i) => (
                <li key={`${f.rule}:${i}`}><SeverityBadge severity={f.severity} /> <Link href={`/findings?rule=${encodeURIComponent(f.rule)}`}>{f.title ?? f.rule}</Link><div class="muted small evidence">{evidenceText(f.evidence)}</div></li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Alert timeline">
          {alerts.error ? <ErrorBox error={alerts.error} /> : !alerts.data ? <Spinner /> : alerts.data.items.length === 0 ? <p class="muted">No alerts for this device.</p> : (
            <ol class="timeline">
              {alerts.data.items.map((a) => (
                <li key={a.id}>
                  <span class="muted small">{ago(a.last_seen ?? a.first_seen)}</span> <SeverityBadge severity={a.severity} /> <Link href={`/alerts/${encodeURIComponent(a.id)}`}>{a.detector}</Link> <StateBadge state={a.state} />
                </li>
              ))}
            </ol>
          )}
          {alerts.data && alerts.data.total.count > alerts.data.items.length && <p class="muted small">{num(alerts.data.total.count)} in all — <Link href={`/alerts?device_id=${encodeURIComponent(id)}&state=all`}>see every alert</Link></p>}
        </Card>
      </div>
    </>
  );
}
