/**
 * One device: identity and SIM, its certificate (read out and judged), lifecycle (secure until vs planned
 * retirement), the components of its firmware with their CVEs (paged on the server), findings and the alert timeline.
 * Each card loads on its own, so a slow one never holds up the rest.
 */
import { useState } from "preact/hooks";
import { ApiError, call } from "../api/client.ts";
import type { CertificateDetail, DeviceComponentPage } from "../api/schema.ts";
import { Pager } from "../components/pager.tsx";
import { Card, ErrorBox, Link, SeverityBadge, Spinner, StateBadge, PageHeader, ago, evidenceText, num } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";
import { useQuery } from "../router.ts";

function yearsBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / (365.25 * 86_400_000);
}

/** Findings about firmware components: the components card shows them, per component, from the image itself. */
const COMPONENT_RULES = new Set(["vulnerable-component", "known-exploited-vulnerability"]);
/** Rules about the device's identity, shown in the certificate card. */
const IDENTITY_RULE = /cert|identity|key/;

export function DevicePage({ id }: { id: string }) {
  const device = useLoad((signal) => call("devices.get", { params: { id }, signal }), `device:${id}`);
  const findings = useLoad((signal) => call("findings.list", { query: { device_id: id, page_size: 100 }, signal }), `device-findings:${id}`);
  const alerts = useLoad((signal) => call("alerts.list", { query: { device_id: id, page_size: 50 }, signal }), `device-alerts:${id}`);
  const modelId = device.data?.model_id;
  const model = useLoad((signal) => (modelId ? call("models.get", { params: { id: modelId }, signal }) : Promise.resolve(undefined)), `device-model:${modelId ?? ""}`);
  const hasCert = device.data?.cert_fingerprint !== undefined;
  const cert = useLoad((signal) => (hasCert ? call("devices.certificate", { params: { id }, signal }) : Promise.resolve(undefined)), `device-cert:${id}:${hasCert}`);
  if (device.error) return <ErrorBox error={device.error} retry={device.reload} />;
  if (!device.data) return <Spinner />;
  const d = device.data;
  const own = (findings.data?.items ?? []).filter((f) => !COMPONENT_RULES.has(f.rule));
  const certFindings = own.filter((f) => IDENTITY_RULE.test(f.rule));
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
          {!hasCert ? (
            <p class="muted">No certificate is known for this device{d.cert_file ? ` (${d.cert_file} was not read)` : ""}, so its identity and crypto age cannot be checked.</p>
          ) : cert.error instanceof ApiError && cert.error.status === 404 ? (
            <p class="muted">The inventory names certificate <code class="wrap">{d.cert_fingerprint}</code>, but the store does not hold it, so it cannot be checked: import it with the inventory's cert_file column.</p>
          ) : cert.error ? <ErrorBox error={cert.error} retry={cert.reload} /> : !cert.data ? <Spinner /> : (
            <CertificateFacts c={cert.data} findings={certFindings.map((f) => f.title ?? f.rule)} />
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
              {cert.data?.secure_until && (
                <div><dt>Secure until</dt><dd class={d.retire_at && cert.data.secure_until < d.retire_at ? "text-bad" : ""}>{cert.data.secure_until}{cert.data.limiting ? ` — ${cert.data.limiting.detail}` : ""}</dd></div>
              )}
              <div><dt>Updates</dt><dd>{model.data?.ota_capable === undefined ? "unknown" : model.data.ota_capable ? "over the air" : "no OTA update"}{model.data?.latest_firmware ? ` · latest ${model.data.latest_firmware}` : ""}</dd></div>
            </dl>
          )}
          <p class="muted small"><Link href="/forecast">Fleet forecast</Link></p>
        </Card>
      </div>
      <Components id={id} firmware={d.firmware_version} />
      <div class="grid-2">
        <Card title="Findings">
          {findings.error ? <ErrorBox error={findings.error} /> : !findings.data ? <Spinner /> : own.length === 0 ? <p class="muted">No open findings apart from its firmware's components (above).</p> : (
            <ul class="plain-list">
              {own.map((f, i) => (
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

function days(n: number): string {
  if (n < 0) return `expired ${num(-n)} days ago`;
  return n < 730 ? `in ${num(n)} days` : `in ${(n / 365.25).toFixed(1)} years`;
}

function CertificateFacts({ c, findings }: { c: CertificateDetail; findings: string[] }) {
  const x = c.certificate;
  const key = `${x.key_type.toUpperCase()} ${x.curve ?? (x.key_bits ? `${x.key_bits} bit` : "")}`.trim();
  const judged = c.algorithms.filter((a) => a.role === "certificate_key" || a.role === "certificate_signature_hash");
  const flags = [x.self_signed && "self-signed", x.is_ca && "a CA certificate", x.roca && "ROCA-weak key (CVE-2017-15361)"].filter(Boolean) as string[];
  return (
    <dl class="facts" data-testid="certificate">
      <div><dt>Subject</dt><dd class="wrap">{x.subject}</dd></div>
      <div><dt>Issuer</dt><dd class="wrap">{x.issuer}</dd></div>
      <div><dt>Valid</dt><dd>{x.not_before.slice(0, 10)} to {x.not_after.slice(0, 10)} <span class={c.expires_in_days < 90 ? "text-bad" : "muted"}>({days(c.expires_in_days)})</span></dd></div>
      {x.issuer_not_after && c.issuer_expires_in_days !== undefined && <div><dt>Issuing CA</dt><dd>valid to {x.issuer_not_after.slice(0, 10)} <span class={c.issuer_expires_in_days < 365 ? "text-bad" : "muted"}>({days(c.issuer_expires_in_days)})</span></dd></div>}
      <div><dt>Key</dt><dd>{key}</dd></div>
      <div><dt>Signature</dt><dd>{x.sig_alg}</dd></div>
      {judged.filter((a) => a.disallowed_from || a.deprecated_from).map((a) => (
        <div key={a.name}><dt>Policy</dt><dd class={a.disallowed_from && a.disallowed_from <= new Date().toISOString().slice(0, 10) ? "text-bad" : ""}>{a.name}: {a.disallowed_from ? `disallowed from ${a.disallowed_from}` : `deprecated from ${a.deprecated_from}`}{a.source ? ` (${a.source})` : ""}</dd></div>
      ))}
      {flags.length > 0 && <div><dt>Warning</dt><dd class="text-bad">{flags.join(", ")}</dd></div>}
      <div><dt>Serial</dt><dd><code class="wrap">{x.serial}</code></dd></div>
      <div><dt>SHA-256</dt><dd><code class="wrap">{x.fingerprint}</code></dd></div>
      <div><dt>Checks</dt><dd>{findings.length === 0 ? "no open identity finding" : findings.join("; ")}</dd></div>
    </dl>
  );
}

/** The firmware image's components with their CVEs, most severe first; vulnerable ones only unless asked (in the URL). */
function Components({ id, firmware }: { id: string; firmware: string | undefined }) {
  const [query, setQuery] = useQuery();
  const [history, setHistory] = useState<string[]>([]);
  const all = query["components"] === "all";
  const token = query["components_page"];
  const page = useLoad((signal) => call("devices.components", { params: { id }, query: { vulnerable: all ? "false" : "true", page_size: 25, ...(token ? { page_token: token } : {}) }, signal }), `device-components:${id}:${all}:${token ?? ""}`);
  const data: DeviceComponentPage | undefined = page.data;
  const toggle = (
    <button type="button" class="btn btn-small" onClick={() => { setHistory([]); setQuery({ components: all ? undefined : "all", components_page: undefined }); }}>
      {all ? "Only vulnerable" : "All components"}
    </button>
  );
  return (
    <Card title="Firmware components and their CVEs" actions={data?.sbom ? toggle : undefined}>
      {page.error ? <ErrorBox error={page.error} retry={page.reload} /> : !data ? <Spinner /> : (
        <>
          <p class="muted small" data-testid="components-summary">
            {data.sbom
              ? `${num(data.vulnerable_components)} of ${num(data.sbom.component_count)} components of firmware ${data.firmware_version ?? ""} carry ${num(data.vulnerabilities)} known vulnerabilit${data.vulnerabilities === 1 ? "y" : "ies"}${data.known_exploited ? `, ${num(data.known_exploited)} known exploited` : ""}. From the ${data.sbom.format} inventory ${data.sbom.source}, imported ${data.sbom.imported_at.slice(0, 10)}.`
              : data.model_id === null || data.firmware_version === null
                ? `The device's ${data.model_id === null ? "model" : "firmware version"} is not known, so its firmware's components cannot be matched against advisories: add it to the inventory.`
                : `No component inventory (SBOM) for ${data.model_id} firmware ${firmware ?? data.firmware_version}: its components cannot be checked — import one with longwatch import sbom. Only advisories about the product itself are matched.`}
          </p>
          {data.items.length === 0 ? (
            <p class="muted">{data.sbom ? (all ? "The inventory lists no components." : "No component with a known vulnerability.") : data.model_id !== null && data.firmware_version !== null ? "No advisory names this product." : ""}</p>
          ) : (
            <div class="table-wrap">
              <table class="table table-compact">
                <thead><tr><th scope="col">Severity</th><th scope="col">Component</th><th scope="col">Version</th><th scope="col">Vulnerabilities</th></tr></thead>
                <tbody>
                  {data.items.map((c) => (
                    <tr key={`${c.name}@${c.version ?? ""}@${c.purl ?? ""}`}>
                      <td>{c.severity ? <SeverityBadge severity={c.severity} /> : <span class="muted">none known</span>}</td>
                      <td>{c.firmware ? <em>the firmware itself</em> : c.name}{c.purl && <div class="muted small wrap">{c.purl}</div>}</td>
                      <td>{c.version ?? "—"}</td>
                      <td>
                        {c.vulnerabilities.length === 0 ? <span class="muted">—</span> : (
                          <ul class="plain-list vulns">
                            {c.vulnerabilities.map((v) => (
                              <li key={v.vuln_id} class={v.not_affected ? "muted" : ""}>
                                <span class="chip">{v.vuln_id}</span>
                                {v.kev && !v.not_affected && <span class="chip chip-kev" title={`Known exploited (CISA KEV)${v.kev.due_date ? `, due ${v.kev.due_date}` : ""}`}>KEV</span>}
                                {!v.not_affected && <SeverityBadge severity={v.severity} />}
                                <span class="small">
                                  {v.cvss ? ` CVSS ${v.cvss.score}` : ""}
                                  {v.epss ? ` · EPSS ${(v.epss.epss * 100).toFixed(1)} %` : ""}
                                  {v.fixed_in ? ` · fixed in ${v.fixed_in}` : " · no fixed version known"}
                                  {v.not_affected ? ` · not affected (VEX: ${v.not_affected.justification ?? v.not_affected.status})` : ""}
                                  {v.severity_raised && !v.not_affected ? ` · ${v.severity_raised}` : ""}
                                  {v.below_min_severity && !v.not_affected ? ` · below the scan's min_severity (${data.grading.min_severity}): no finding` : ""}
                                </span>
                                {v.summary && <div class="muted small">{v.summary}</div>}
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {(data.next_page_token || history.length > 0) && (
            <Pager shown={data.items.length} total={data.total} nextToken={data.next_page_token} currentToken={token} history={history} onPage={(t, h) => { setHistory(h); setQuery({ components_page: t }); }} />
          )}
        </>
      )}
    </Card>
  );
}
