/** The dashboard's shell: sign-in, navigation, theme, and the page the URL names. */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./styles.css";
import { currentSession, onUnauthorised, signOut } from "./api/client.ts";
import type { Principal } from "./api/types.ts";
import { matchRoute, useLocation } from "./router.ts";
import { SessionContext, useCan } from "./session.ts";
import { Link, Spinner } from "./components/ui.tsx";
import { SignIn } from "./pages/sign-in.tsx";
import { Overview } from "./pages/overview.tsx";
import { DevicePage } from "./pages/device.tsx";
import { Devices } from "./pages/devices.tsx";
import { Findings } from "./pages/findings.tsx";
import { Alerts } from "./pages/alerts.tsx";
import { AlertPage } from "./pages/alert.tsx";
import { Forecast } from "./pages/forecast.tsx";
import { Certify } from "./pages/certify.tsx";
import { AuditLog } from "./pages/audit.tsx";
import { Tokens } from "./pages/tokens.tsx";

type Theme = "light" | "dark";
function initialTheme(): Theme {
  const saved = localStorage.getItem("lw-theme");
  if (saved === "light" || saved === "dark") return saved;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function App() {
  const [session, setSession] = useState<Principal | undefined | null>(null);
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset["theme"] = theme;
    localStorage.setItem("lw-theme", theme);
  }, [theme]);
  useEffect(() => {
    currentSession().then(setSession, () => setSession(undefined));
    return onUnauthorised(() => setSession(undefined));
  }, []);
  if (session === null) return <Spinner label="Starting…" />;
  if (session === undefined) return <SignIn onSignedIn={setSession} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell
        theme={theme}
        onTheme={() => setTheme(theme === "dark" ? "light" : "dark")}
        onSignOut={() => void signOut().then(() => setSession(undefined))}
      />
    </SessionContext.Provider>
  );
}

const NAV = [
  { href: "/", label: "Overview", page: "overview" },
  { href: "/alerts", label: "Alerts", page: "alerts" },
  { href: "/findings", label: "Findings", page: "findings" },
  { href: "/devices", label: "Devices", page: "devices" },
  { href: "/forecast", label: "Lifecycle", page: "forecast" },
  { href: "/certify", label: "Certification", page: "certify" },
] as const;

function Shell(props: { theme: Theme; onTheme: () => void; onSignOut: () => void }) {
  const { pathname } = useLocation();
  const route = matchRoute(pathname);
  const isAdmin = useCan("admin");
  const current = route.page === "device" ? "devices" : route.page === "alert" ? "alerts" : route.page;
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <nav class="sidebar" aria-label="Main">
        <div class="brand">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="currentColor" />
          </svg>
          Longwatch
        </div>
        <ul>
          {NAV.map((item) => (
            <li key={item.href}>
              <Link href={item.href} class={current === item.page ? "active" : ""}>
                {item.label}
              </Link>
            </li>
          ))}
          {isAdmin && (
            <>
              <li>
                <Link href="/audit" class={current === "audit" ? "active" : ""}>
                  Audit log
                </Link>
              </li>
              <li>
                <Link href="/settings/tokens" class={current === "tokens" ? "active" : ""}>
                  API tokens
                </Link>
              </li>
            </>
          )}
        </ul>
        <UserBox onTheme={props.onTheme} theme={props.theme} onSignOut={props.onSignOut} />
      </nav>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </div>
  );
}

function UserBox(props: { theme: Theme; onTheme: () => void; onSignOut: () => void }) {
  return (
    <SessionContext.Consumer>
      {(session) => (
        <div class="userbox">
          <div>
            <strong>{session?.name}</strong>
            <span class="muted"> · {session?.role}</span>
          </div>
          <div class="userbox-actions">
            <button type="button" class="btn btn-small btn-ghost" onClick={props.onTheme} aria-label={`Switch to ${props.theme === "dark" ? "light" : "dark"} theme`}>
              {props.theme === "dark" ? "Light theme" : "Dark theme"}
            </button>
            <button type="button" class="btn btn-small btn-ghost" onClick={props.onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      )}
    </SessionContext.Consumer>
  );
}

function Page({ route }: { route: ReturnType<typeof matchRoute> }) {
  const isAdmin = useCan("admin");
  // The audit log and tokens are admin pages: anyone else who follows a link to one is told so, with no controls.
  if ((route.page === "audit" || route.page === "tokens") && !isAdmin) {
    return (
      <div class="empty">
        <h1>{route.page === "audit" ? "Audit log" : "API tokens"}</h1>
        <p>This page is for admins. Ask an admin of this Longwatch if you need it.</p>
        <p><Link href="/">Back to the overview</Link></p>
      </div>
    );
  }
  switch (route.page) {
    case "overview": return <Overview />;
    case "devices": return <Devices />;
    case "device": return <DevicePage id={route.id ?? ""} />;
    case "findings": return <Findings />;
    case "alerts": return <Alerts />;
    case "alert": return <AlertPage id={route.id ?? ""} />;
    case "forecast": return <Forecast />;
    case "certify": return <Certify />;
    case "audit": return <AuditLog />;
    case "tokens": return <Tokens />;
    default:
      return (
        <div class="empty">
          <h1>Page not found</h1>
          <p>
            <Link href="/">Back to the overview</Link>
          </p>
        </div>
      );
  }
}

const root = document.getElementById("app");
if (root) render(<App />, root);
