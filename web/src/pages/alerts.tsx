/**
 * The alerts inbox: new alerts arrive live (server-sent events), filters live in the URL, and a whole selection —
 * a thousand rows if need be — is acknowledged, resolved or verified at once with one comment.
 */
import { useEffect, useState } from "preact/hooks";
import { call, exportUrl } from "../api/client.ts";
import type { Alert, Bodies } from "../api/types.ts";
import { FilterBar } from "../components/filters.tsx";
import { Pager } from "../components/pager.tsx";
import { Empty, ErrorBox, Link, PageHeader, SeverityBadge, Spinner, StateBadge, ago, num } from "../components/ui.tsx";
import { useList } from "../list.ts";
import { useCan, useSession } from "../session.ts";

const VERDICTS = [
  { value: "true_positive", label: "Real attack (true positive)" },
  { value: "benign_positive", label: "Real but harmless (benign)" },
  { value: "false_positive", label: "Wrong (false positive)" },
] as const;

export function Alerts() {
  const session = useSession();
  const canTriage = useCan("analyst");
  const list = useList<Alert>("/alerts", ["state", "severity", "detector", "device_id", "assignee", "since"], { state: "open" });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [fresh, setFresh] = useState(0);
  const [message, setMessage] = useState<string>();

  useEffect(() => {
    const events = new EventSource("/api/v1/events?topics=alerts", { withCredentials: true });
    const onAlert = (): void => setFresh((n) => n + 1);
    events.addEventListener("alert", onAlert);
    return () => events.close();
  }, []);
  useEffect(() => setSelected(new Set()), [list.data]);

  const items = list.data?.items ?? [];
  const allSelected = items.length > 0 && items.every((a) => selected.has(a.id));
  const toggle = (id: string): void => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  const bulk = async (action: Bodies["alerts.bulk"]["action"], extra: Partial<Bodies["alerts.bulk"]> = {}): Promise<void> => {
    const ids = [...selected];
    if (ids.length === 0) return;
    const comment = action === "assign" ? undefined : prompt(`Comment for ${ids.length} alert${ids.length === 1 ? "" : "s"} (optional):`) ?? undefined;
    try {
      const result = await call("alerts.bulk", { body: { ids, action, ...(comment ? { comment } : {}), ...extra } });
      setMessage(`${num(result.changed.length)} alert${result.changed.length === 1 ? "" : "s"} updated${result.missing.length ? `; ${result.missing.length} no longer exist` : ""}.`);
      list.reload();
    } catch (error) {
      setMessage(`Not done: ${(error as Error).message}`);
    }
  };

  return (
    <>
      <PageHeader
        title="Alerts"
        subtitle="What the detectors raised on your devices' traffic, newest first."
        actions={
          <>
            <a class="btn btn-small" href={exportUrl("/alerts", list.filters, "csv")}>
              Export CSV
            </a>
            <a class="btn btn-small" href={exportUrl("/alerts", list.filters, "json")}>
              Export JSON
            </a>
          </>
        }
      />
      <div class="tabs" role="tablist" aria-label="Inbox views">
        {[
          ["Open", { state: "open", assignee: undefined }],
          ["Mine", { state: "open", assignee: session.name }],
          ["Acknowledged", { state: "acknowledged", assignee: undefined }],
          ["Resolved", { state: "resolved", assignee: undefined }],
          ["All", { state: "all", assignee: undefined }],
        ].map(([label, changes]) => {
          const c = changes as Record<string, string | undefined>;
          const on = (list.filters["state"] ?? "open") === c["state"] && (list.filters["assignee"] ?? undefined) === c["assignee"];
          return (
            <button key={label as string} type="button" role="tab" aria-selected={on} class={on ? "on" : ""} onClick={() => list.setFilters(c)}>
              {label as string}
            </button>
          );
        })}
      </div>
      <FilterBar
        query={list.filters}
        onChange={list.setFilters}
        fields={[
          { key: "severity", label: "Severity", options: ["critical", "high", "medium", "low", "info"] },
          { key: "detector", label: "Detector", placeholder: "e.g. beaconing" },
          { key: "device_id", label: "Device", placeholder: "device id" },
        ]}
      />
      {fresh > 0 && (
        <button type="button" class="live-banner" onClick={() => { setFresh(0); list.reload(); }}>
          {fresh} new alert{fresh === 1 ? "" : "s"} — show
        </button>
      )}
      {message && (
        <p class="toast" role="status">
          {message} <button type="button" class="btn-link" onClick={() => setMessage(undefined)}>Dismiss</button>
        </p>
      )}
      {canTriage && selected.size > 0 && (
        <div class="bulkbar" role="region" aria-label="Selected alerts">
          <strong>{selected.size} selected</strong>
          <button type="button" class="btn btn-small" onClick={() => void bulk("ack")}>Acknowledge</button>
          <button type="button" class="btn btn-small" onClick={() => void bulk("assign", { assignee: session.name })}>Assign to me</button>
          <button type="button" class="btn btn-small" onClick={() => void bulk("resolve")}>Resolve</button>
          <label class="inline">
            <span class="sr-only">Verdict</span>
            <select onChange={(e) => { const v = (e.target as HTMLSelectElement).value; if (v) void bulk("verify", { verification: v as Alert["verification"] }); (e.target as HTMLSelectElement).value = ""; }}>
              <option value="">Verify as…</option>
              {VERDICTS.map((v) => <option key={v.value} value={v.value}>{v.label}</option>)}
            </select>
          </label>
        </div>
      )}
      {list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : list.loading && !list.data ? (
        <Spinner />
      ) : items.length === 0 ? (
        <Empty>No alerts match. {list.filters["state"] === "open" ? "Nothing is waiting for you." : ""}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                {canTriage && (
                  <th class="col-check">
                    <input type="checkbox" aria-label="Select all on this page" checked={allSelected} onChange={() => setSelected(allSelected ? new Set() : new Set(items.map((a) => a.id)))} />
                  </th>
                )}
                <th>Severity</th>
                <th>Alert</th>
                <th>Device</th>
                <th>State</th>
                <th>Assignee</th>
                <th class="num">Seen</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {items.map((alert) => (
                <tr key={alert.id} class={selected.has(alert.id) ? "selected" : ""}>
                  {canTriage && (
                    <td class="col-check">
                      <input type="checkbox" aria-label={`Select alert ${alert.id}`} checked={selected.has(alert.id)} onChange={() => toggle(alert.id)} />
                    </td>
                  )}
                  <td><SeverityBadge severity={alert.severity} /></td>
                  <td>
                    <Link href={`/alerts/${encodeURIComponent(alert.id)}`}>{alert.detector}</Link>
                    <div class="muted small summary">{alert.summary}</div>
                  </td>
                  <td>{alert.device_id ? <Link href={`/devices/${encodeURIComponent(alert.device_id)}`}>{alert.device_id}</Link> : <span class="muted">fleet</span>}{alert.model_id && <div class="muted small">{alert.model_id}</div>}</td>
                  <td><StateBadge state={alert.state} />{alert.verification !== "unknown" && <div class="muted small">{alert.verification.replace("_", " ")}</div>}</td>
                  <td>{alert.assignee ?? <span class="muted">—</span>}</td>
                  <td class="num">{num(alert.count)}</td>
                  <td title={alert.last_seen}>{ago(alert.last_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && (
        <Pager shown={items.length} total={list.data.total} nextToken={list.data.next_page_token} currentToken={list.pageToken} history={list.history} onPage={list.goToPage} />
      )}
    </>
  );
}

export { VERDICTS };
