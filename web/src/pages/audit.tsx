/** The append-only audit log: every change made through the API, who made it, when, and what it was before. */
import { useState } from "preact/hooks";
import type { AuditEntry } from "../api/types.ts";
import { FilterBar } from "../components/filters.tsx";
import { Pager } from "../components/pager.tsx";
import { Empty, ErrorBox, PageHeader, Spinner, when } from "../components/ui.tsx";
import { useList } from "../list.ts";

export function AuditLog() {
  const list = useList<AuditEntry>("/audit-log", ["actor", "action", "target_kind", "since", "until"]);
  const [open, setOpen] = useState<number>();
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader title="Audit log" subtitle="Every change made through the API, in order. Entries are never edited or removed." />
      <FilterBar query={list.filters} onChange={list.setFilters} fields={[{ key: "actor", label: "Who" }, { key: "action", label: "Action", placeholder: "e.g. alerts.ack" }, { key: "target_kind", label: "Target", options: ["alert", "finding", "suppression", "token", "session", "scan", "response"] }]} />
      {list.error ? <ErrorBox error={list.error} retry={list.reload} /> : list.loading && !list.data ? <Spinner /> : items.length === 0 ? <Empty>No changes recorded.</Empty> : (
        <div class="table-wrap">
          <table class="table">
            <thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th><span class="sr-only">Details</span></th></tr></thead>
            <tbody>
              {items.map((e) => (
                <>
                  <tr key={e.seq}>
                    <td>{when(e.at)}</td>
                    <td>{e.actor}<div class="muted small">{e.actor_kind}{e.role ? ` · ${e.role}` : ""}</div></td>
                    <td><code>{e.action}</code></td>
                    <td>{e.target_kind}{e.target_id ? <div class="muted small">{e.target_id}</div> : null}</td>
                    <td>{(e.before !== undefined || e.after !== undefined) && <button type="button" class="btn btn-small btn-ghost" aria-expanded={open === e.seq} onClick={() => setOpen(open === e.seq ? undefined : e.seq)}>{open === e.seq ? "Hide" : "Before / after"}</button>}</td>
                  </tr>
                  {open === e.seq && (
                    <tr key={`${e.seq}:d`} class="detail-row">
                      <td colSpan={5}>
                        <div class="diff">
                          <div><h3>Before</h3><pre>{JSON.stringify(e.before ?? null, null, 2)}</pre></div>
                          <div><h3>After</h3><pre>{JSON.stringify(e.after ?? null, null, 2)}</pre></div>
                        </div>
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
