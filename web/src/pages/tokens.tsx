/** API tokens, for admins: create one (shown once), see prefix, role, expiry and last use, revoke. */
import { useState } from "preact/hooks";
import { call } from "../api/client.ts";
import type { Role, TokenInfo } from "../api/types.ts";
import { Pager } from "../components/pager.tsx";
import { Card, Empty, ErrorBox, PageHeader, Spinner, ago, when } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";
import { useQuery } from "../router.ts";

const ROLES: Role[] = ["viewer", "analyst", "responder", "admin"];

export function Tokens() {
  const [query, setQuery] = useQuery();
  const [history, setHistory] = useState<string[]>([]);
  const token = query["page_token"];
  // Paged on the server (100 a page), the page token in the URL as the other lists keep it.
  const { data, error, reload } = useLoad((signal) => call("tokens.list", { query: { include_revoked: "true", page_size: 100, ...(token ? { page_token: token } : {}) }, signal }), `tokens:${token ?? ""}`);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [expires, setExpires] = useState("90d");
  const [created, setCreated] = useState<string>();
  const [message, setMessage] = useState<string>();
  const create = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      const result = await call("tokens.create", { body: { name, role, expires: expires || "never" } });
      setCreated(result.token);
      setName("");
      setMessage(undefined);
      reload();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  const revoke = async (token: TokenInfo): Promise<void> => {
    if (!confirm(`Revoke the token "${token.name}"? Anything using it stops working at once.`)) return;
    try {
      await call("tokens.revoke", { params: { name: token.name } });
      reload();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  return (
    <>
      <PageHeader title="API tokens" subtitle="Tokens let scripts, SIEMs and people sign in. Longwatch keeps only a hash: a token is shown once, when it is made." />
      <Card title="New token">
        <form class="inline-form" onSubmit={(e) => void create(e)}>
          <label class="field"><span>Name</span><input required pattern="[A-Za-z0-9._\-]+" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
          <label class="field"><span>Role</span><select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select></label>
          <label class="field"><span>Expires in</span><select value={expires} onChange={(e) => setExpires((e.target as HTMLSelectElement).value)}><option value="7d">7 days</option><option value="30d">30 days</option><option value="90d">90 days</option><option value="365d">1 year</option><option value="">never</option></select></label>
          <button type="submit" class="btn btn-primary">Create</button>
        </form>
        {created && (
          <div class="secret" role="status">
            <p><strong>Copy this token now.</strong> It will not be shown again.</p>
            <code class="secret-value">{created}</code>
            <button type="button" class="btn btn-small" onClick={() => void navigator.clipboard?.writeText(created)}>Copy</button>
            <button type="button" class="btn btn-small btn-ghost" onClick={() => setCreated(undefined)}>Done</button>
          </div>
        )}
        {message && <p class="error-box" role="alert">{message}</p>}
      </Card>
      {error ? <ErrorBox error={error} retry={reload} /> : !data ? <Spinner /> : data.items.length === 0 ? <Empty>No tokens.</Empty> : (
        <div class="table-wrap">
          <table class="table">
            <thead><tr><th>Name</th><th>Role</th><th>Prefix</th><th>Created</th><th>Expires</th><th>Last used</th><th><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {data.items.map((t) => (
                <tr key={t.name} class={t.revoked_at ? "muted" : ""}>
                  <td>{t.name}</td>
                  <td>{t.role}</td>
                  <td><code>{t.prefix}…</code></td>
                  <td>{when(t.created_at)}</td>
                  <td>{t.expires_at ? when(t.expires_at) : "never"}</td>
                  <td>{t.last_used_at ? ago(t.last_used_at) : "never"}</td>
                  <td>{t.revoked_at ? `revoked ${ago(t.revoked_at)}` : <button type="button" class="btn btn-small btn-danger" onClick={() => void revoke(t)}>Revoke</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(data.next_page_token || history.length > 0) && (
            <Pager shown={data.items.length} total={data.total} nextToken={data.next_page_token} currentToken={token} history={history} onPage={(t, h) => { setHistory(h); setQuery({ page_token: t }); }} />
          )}
        </div>
      )}
    </>
  );
}
