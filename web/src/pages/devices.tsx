/** The fleet: devices filtered by model, firmware, group, country and provider; one page per device. */
import { api, exportUrl } from "../api/client.ts";
import type { Alert, Device, Finding } from "../api/types.ts";
import { FilterBar } from "../components/filters.tsx";
import { Pager } from "../components/pager.tsx";
import { Card, Empty, ErrorBox, Link, PageHeader, SeverityBadge, Spinner, StateBadge, ago, evidenceText, num, when } from "../components/ui.tsx";
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

interface DeviceDetail extends Device {
  certificate?: { subject?: string; issuer?: string; not_after?: string; key?: string; sha256?: string } | null;
  components?: { name: string; version?: string; purl?: string; cves?: { id: string; severity?: string; kev?: boolean }[] }[];
  lifecycle?: { secure_until?: string | null; planned_retirement?: string | null; verdict?: string } | null;
}

export function DevicePage({ id }: { id: string }) {
  const device = useLoad((signal) => api.get<DeviceDetail>(`/devices/${encodeURIComponent(id)}`, undefined, signal), `device:${id}`);
  const findings = useLoad((signal) => api.list<Finding>("/findings", { device_id: id, page_size: 100 }, signal), `device-findings:${id}`);
  const alerts = useLoad((signal) => api.list<Alert>("/alerts", { device_id: id, page_size: 50 }, signal), `device-alerts:${id}`);
  if (device.error) return <ErrorBox error={device.error} retry={device.reload} />;
  if (!device.data) return <Spinner />;
  const d = device.data;
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
          {d.certificate ? (
            <dl class="facts">
              <div><dt>Subject</dt><dd>{d.certificate.subject ?? "—"}</dd></div>
              <div><dt>Issuer</dt><dd>{d.certificate.issuer ?? "—"}</dd></div>
              <div><dt>Key</dt><dd>{d.certificate.key ?? "—"}</dd></div>
              <div><dt>Expires</dt><dd>{when(d.certificate.not_after)}</dd></div>
            </dl>
          ) : (
            <p class="muted">No certificate is known for this device, so its identity and crypto age cannot be checked.</p>
          )}
        </Card>
        <Card title="Lifecycle">
          {d.lifecycle ? (
            <dl class="facts">
              <div><dt>Secure until</dt><dd>{d.lifecycle.secure_until ?? "—"}</dd></div>
              <div><dt>Planned retirement</dt><dd>{d.lifecycle.planned_retirement ?? "—"}</dd></div>
              {d.lifecycle.verdict && <div><dt>Verdict</dt><dd>{d.lifecycle.verdict}</dd></div>}
            </dl>
          ) : (
            <p class="muted">No lifecycle forecast for this device's model yet.</p>
          )}
        </Card>
      </div>
      <Card title="Firmware components">
        {!d.components || d.components.length === 0 ? (
          <p class="muted">No firmware inventory (SBOM) for this device: vulnerable components cannot be found.</p>
        ) : (
          <table class="table table-compact">
            <thead><tr><th>Component</th><th>Version</th><th>Vulnerabilities</th></tr></thead>
            <tbody>
              {d.components.map((c) => (
                <tr key={c.purl ?? `${c.name}@${c.version ?? ""}`}>
                  <td>{c.name}</td>
                  <td>{c.version ?? "—"}</td>
                  <td>{(c.cves ?? []).length === 0 ? <span class="muted">none known</span> : (c.cves ?? []).map((v) => <span key={v.id} class={`chip ${v.kev ? "chip-kev" : ""}`} title={v.kev ? "Known exploited (CISA KEV)" : v.severity}>{v.id}</span>)}</td>
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
              {findings.data.items.map((f, i) => (
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
