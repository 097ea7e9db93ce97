/**
 * Findings, one row per rule with the distinct devices it affects; a row opens to the devices' findings. Suppressing
 * takes a reason and an expiry, so an accepted risk comes back for review instead of disappearing for good.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, call, exportUrl } from "../api/client.ts";
import type { Finding, FindingGroup, NewSuppression } from "../api/types.ts";
import { FilterBar } from "../components/filters.tsx";
import { Pager } from "../components/pager.tsx";
import { Empty, ErrorBox, Link, PageHeader, SeverityBadge, Spinner, evidenceText, num } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";
import { useList } from "../list.ts";
import { useCan } from "../session.ts";

// The filters GET /api/v1/findings/groups takes (the rows are counted in the store with them).
const FILTERS = ["severity", "rule", "model_id"] as const;

export function Findings() {
  const list = useList<FindingGroup>("/findings/groups", FILTERS);
  const [open, setOpen] = useState<string>();
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Findings"
        subtitle="What the last audit found, grouped by rule and counted in distinct devices."
        actions={
          <>
            <a class="btn btn-small" href={exportUrl("/findings", list.filters, "csv")}>Export CSV</a>
            <a class="btn btn-small" href={exportUrl("/findings", list.filters, "json")}>Export JSON</a>
          </>
        }
      />
      <FilterBar
        query={list.filters}
        onChange={list.setFilters}
        fields={[
          { key: "severity", label: "Severity", options: ["critical", "high", "medium", "low", "info"] },
          { key: "rule", label: "Rule", placeholder: "e.g. default-credentials" },
          { key: "model_id", label: "Model" },
        ]}
      />
      {list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : list.loading && !list.data ? (
        <Spinner />
      ) : items.length === 0 ? (
        <Empty>No open findings match these filters.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th class="col-check" aria-label="Expand" />
                <th>Severity</th>
                <th>Rule</th>
                <th class="num">Devices</th>
                <th class="num">Findings</th>
              </tr>
            </thead>
            <tbody>
              {items.map((group) => (
                <>
                  <tr key={group.rule} class="group-row">
                    <td class="col-check">
                      <button type="button" class="btn-icon" aria-expanded={open === group.rule} aria-label={`${open === group.rule ? "Hide" : "Show"} devices for ${group.rule}`} onClick={() => setOpen(open === group.rule ? undefined : group.rule)}>
                        {open === group.rule ? "▾" : "▸"}
                      </button>
                    </td>
                    <td><SeverityBadge severity={group.severity} /></td>
                    <td>
                      <strong>{group.title ?? group.rule}</strong>
                      <div class="muted small">{group.rule}</div>
                    </td>
                    <td class="num" title={group.devices_at_least ? `at least ${num(group.devices)} devices: the rule's findings say how many devices each reaches without listing them (they may overlap)` : undefined}>
                      {group.devices_at_least ? "≥ " : ""}
                      {num(group.devices)}
                    </td>
                    <td class="num">{num(group.findings)}</td>
                  </tr>
                  {open === group.rule && (
                    <tr key={`${group.rule}:open`} class="detail-row">
                      <td colSpan={5}>
                        <RuleFindings rule={group.rule} filters={list.filters} />
                      </td>
                    </tr>
                  )}
                </>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && <Pager shown={items.length} total={list.data.total} nextToken={list.data.next_page_token} currentToken={list.pageToken} history={list.history} onPage={list.goToPage} />}
    </>
  );
}

function RuleFindings({ rule, filters }: { rule: string; filters: Record<string, string> }) {
  const canSuppress = useCan("analyst");
  const [token, setToken] = useState<string>();
  const { data, error, loading, reload } = useLoad((signal) => api.list<Finding>("/findings", { ...filters, rule, page_size: 20, page_token: token }, signal), `${rule}:${JSON.stringify(filters)}:${token ?? ""}`);
  const [suppressing, setSuppressing] = useState<Finding>();
  if (error) return <ErrorBox error={error} retry={reload} />;
  if (loading && !data) return <Spinner />;
  if (!data) return null;
  return (
    <div class="nested">
      <table class="table table-compact">
        <thead>
          <tr>
            <th>Device</th>
            <th>Model</th>
            <th>Evidence</th>
            {canSuppress && <th><span class="sr-only">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {data.items.map((f, i) => (
            <tr key={`${f.device_id ?? f.model_id ?? ""}:${i}`}>
              <td>{f.device_id ? <Link href={`/devices/${encodeURIComponent(f.device_id)}`}>{f.device_id}</Link> : <span class="muted">{f.reach !== undefined && !f.devices ? `reaches ${num(f.reach)} devices` : "model-wide"}</span>}</td>
              <td>{f.model_id ?? "—"}</td>
              <td class="evidence">{evidenceText(f.evidence)}</td>
              {canSuppress && (
                <td>
                  <button type="button" class="btn btn-small btn-ghost" onClick={() => setSuppressing(f)}>Suppress…</button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <div class="nested-foot">
        <span class="muted small">{num(data.items.length)} of {data.total.type === "at_least" ? `${num(data.total.count)}+` : num(data.total.count)}</span>
        {data.next_page_token && <button type="button" class="btn btn-small" onClick={() => setToken(data.next_page_token ?? undefined)}>More</button>}
      </div>
      {suppressing && <SuppressDialog finding={suppressing} onClose={(done) => { setSuppressing(undefined); if (done) reload(); }} />}
    </div>
  );
}

function SuppressDialog({ finding, onClose }: { finding: Finding; onClose: (done: boolean) => void }) {
  const [reason, setReason] = useState("");
  const [expires, setExpires] = useState(() => new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
  // The dialog takes the focus (the reason first) and gives it back to what opened it when it closes.
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    reasonRef.current?.focus();
    return () => opener?.focus();
  }, []);
  // POST /api/v1/suppressions accepts one finding (its fingerprint), one device's findings of the rule, or all of them.
  const [scope, setScope] = useState<"finding" | "device" | "rule">("finding");
  const [error, setError] = useState<string>();
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const body: NewSuppression = { rule: finding.rule, reason: reason.trim(), ...(expires ? { expires } : {}) };
    if (scope === "finding") body.fingerprint = finding.fingerprint;
    if (scope === "device" && finding.device_id) body.device_id = finding.device_id;
    try {
      await call("suppressions.create", { body });
      onClose(true);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div class="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && onClose(false)}>
      <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="suppress-title" onKeyDown={(e) => e.key === "Escape" && onClose(false)}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id="suppress-title">Suppress {finding.rule}</h2>
        <p class="muted small">A suppression hides the finding until it expires; it stays in the audit log with your reason.</p>
        <fieldset class="field">
          <legend>For</legend>
          <label class="inline"><input type="radio" name="scope" checked={scope === "finding"} onChange={() => setScope("finding")} /> this finding only{finding.device_id ? ` (${finding.device_id})` : finding.model_id ? ` (model ${finding.model_id})` : ""}</label>
          {finding.device_id && <label class="inline"><input type="radio" name="scope" checked={scope === "device"} onChange={() => setScope("device")} /> every {finding.rule} finding on {finding.device_id}</label>}
          <label class="inline"><input type="radio" name="scope" checked={scope === "rule"} onChange={() => setScope("rule")} /> every {finding.rule} finding, on every device</label>
        </fieldset>
        <label class="field">
          <span>Reason (required)</span>
          <textarea ref={reasonRef} required minLength={3} rows={3} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </label>
        <label class="field">
          <span>Expires (it comes back for review then)</span>
          <input type="date" required min={new Date().toISOString().slice(0, 10)} value={expires} onInput={(e) => setExpires((e.target as HTMLInputElement).value)} />
        </label>
        {error && <p class="error-box" role="alert">{error}</p>}
        <div class="button-row">
          <button type="submit" class="btn btn-primary">Suppress</button>
          <button type="button" class="btn" onClick={() => onClose(false)}>Cancel</button>
        </div>
      </form>
      </div>
    </div>
  );
}
