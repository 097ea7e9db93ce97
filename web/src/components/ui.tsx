/** Small building blocks shared by every page: links, badges, states, numbers and dates in plain words. */
import type { ComponentChildren } from "preact";
import { linkHandler } from "../router.ts";
import type { AlertState, Severity } from "../api/types.ts";

export function Link(props: { href: string; children: ComponentChildren; class?: string; title?: string }) {
  return (
    <a href={props.href} class={props.class} title={props.title} onClick={linkHandler(props.href)}>
      {props.children}
    </a>
  );
}

const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low", "info"];
export const severities = SEVERITY_ORDER;

export function SeverityBadge({ severity }: { severity: Severity | string }) {
  return <span class={`badge sev-${severity}`}>{severity}</span>;
}

export function StateBadge({ state }: { state: AlertState | string }) {
  return <span class={`badge state-${state}`}>{state}</span>;
}

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <div class="state-msg" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div class="error-box" role="alert">
      <strong>Could not load this.</strong> <span>{error.message}</span>
      {retry && (
        <button type="button" class="btn btn-small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

const numberFormat = new Intl.NumberFormat("en");
export function num(value: number | undefined | null): string {
  return value === undefined || value === null ? "—" : numberFormat.format(value);
}

export function total(t: { count: number; type: "exact" | "at_least" } | undefined): string {
  if (!t) return "—";
  return t.type === "at_least" ? `${num(t.count)}+` : num(t.count);
}

export function when(iso: string | undefined | null): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

export function ago(iso: string | undefined | null): string {
  if (!iso) return "—";
  const seconds = (Date.now() - new Date(iso).getTime()) / 1000;
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 90) return "just now";
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function PageHeader(props: { title: string; subtitle?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle && <p class="subtitle">{props.subtitle}</p>}
      </div>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </header>
  );
}

export function Card(props: { title?: string; children: ComponentChildren; class?: string; actions?: ComponentChildren }) {
  return (
    <section class={`card ${props.class ?? ""}`}>
      {(props.title || props.actions) && (
        <div class="card-head">
          {props.title && <h2>{props.title}</h2>}
          {props.actions}
        </div>
      )}
      {props.children}
    </section>
  );
}

/** A finding's evidence in one line: `key: value` pairs, nested values as compact JSON. Never holds a password. */
export function evidenceText(evidence: Record<string, unknown> | undefined): string {
  if (!evidence) return "";
  return Object.entries(evidence)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k.replaceAll("_", " ")}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" · ");
}
