/**
 * A small history router: each page has its own URL and its filters live in the query string, so any view can be
 * bookmarked or shared. Deep links are the ones in FORMATS.md ("Dashboard routes").
 */
import { useEffect, useState } from "preact/hooks";

export interface Route {
  page: "overview" | "devices" | "device" | "findings" | "alerts" | "alert" | "forecast" | "certify" | "audit" | "tokens" | "not-found";
  id?: string;
}

export function matchRoute(pathname: string): Route {
  const parts = pathname.replace(/\/+$/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second, third] = parts;
  if (!first) return { page: "overview" };
  if (first === "devices" && !second) return { page: "devices" };
  if (first === "devices" && second && !third) return { page: "device", id: second };
  if (first === "findings" && !second) return { page: "findings" };
  if (first === "alerts" && !second) return { page: "alerts" };
  if (first === "alerts" && second && !third) return { page: "alert", id: second };
  if (first === "forecast" && !second) return { page: "forecast" };
  if (first === "certify" && !second) return { page: "certify" };
  if (first === "audit" && !second) return { page: "audit" };
  if (first === "settings" && second === "tokens" && !third) return { page: "tokens" };
  return { page: "not-found" };
}

const listeners = new Set<() => void>();
function notify(): void {
  for (const listener of listeners) listener();
}
window.addEventListener("popstate", notify);

export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  notify();
}

/** Re-renders the caller whenever the URL changes. */
export function useLocation(): { pathname: string; search: string } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = (): void => setTick((tick) => tick + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return { pathname: location.pathname, search: location.search };
}

/** The page's filters, read from and written to the query string (replacing history, so Back leaves the page). */
export function useQuery(): [Record<string, string>, (changes: Record<string, string | undefined>) => void] {
  const { search } = useLocation();
  const query = Object.fromEntries(new URLSearchParams(search));
  const update = (changes: Record<string, string | undefined>): void => {
    const params = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined || value === "") params.delete(key);
      else params.set(key, value);
    }
    const text = params.toString();
    navigate(`${location.pathname}${text ? `?${text}` : ""}`, { replace: true });
  };
  return [query, update];
}

/** A link that navigates without reloading the page (and still opens in a new tab with a modifier key). */
export function linkHandler(href: string) {
  return (event: MouseEvent): void => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
}
