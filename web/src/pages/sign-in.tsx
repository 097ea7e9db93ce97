import { useState } from "preact/hooks";
import { ApiError, signIn } from "../api/client.ts";
import type { Principal } from "../api/types.ts";

/** Sign in with an API token (as `longwatch token create` prints it) or a username and password. */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Principal) => void }) {
  const [mode, setMode] = useState<"token" | "password">("token");
  const [token, setToken] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(mode === "token" ? { token: token.trim() } : { username, password }));
    } catch (e) {
      setError(e instanceof ApiError && e.status === 429 ? "Too many failed attempts. Wait a minute and try again." : e instanceof ApiError && e.status === 401 ? "That did not work: check the token or the username and password." : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="signin">
      <form class="card signin-card" onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <div class="brand brand-large">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="currentColor" />
          </svg>
          Longwatch
        </div>
        <h1 id="signin-title">Sign in</h1>
        <div class="segmented" role="tablist" aria-label="Sign-in method">
          <button type="button" role="tab" aria-selected={mode === "token"} class={mode === "token" ? "on" : ""} onClick={() => setMode("token")}>
            API token
          </button>
          <button type="button" role="tab" aria-selected={mode === "password"} class={mode === "password" ? "on" : ""} onClick={() => setMode("password")}>
            Username
          </button>
        </div>
        {mode === "token" ? (
          <label class="field">
            <span>Token</span>
            <input name="token" type="password" autoComplete="off" required value={token} placeholder="lw_…" onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
            <small class="muted">
              The first start of <code>longwatch serve</code> prints an admin token; <code>longwatch token create</code> makes more.
            </small>
          </label>
        ) : (
          <>
            <label class="field">
              <span>Username</span>
              <input name="username" autoComplete="username" required value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
            </label>
            <label class="field">
              <span>Password</span>
              <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
            </label>
          </>
        )}
        {error && (
          <p class="error-box" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-primary btn-wide" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
