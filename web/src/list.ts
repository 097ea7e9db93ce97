import { useState } from "preact/hooks";
import { api } from "./api/client.ts";
import type { ListPage } from "./api/types.ts";
import { useLoad, type Loaded } from "./hooks.ts";
import { useQuery } from "./router.ts";

/**
 * A server-paged list driven by the URL: filters and the page token are query parameters, the tokens of the pages
 * before are remembered so Previous works.
 */
export function useList<T>(path: string, filterKeys: readonly string[], defaults: Record<string, string> = {}) {
  const [query, setQuery] = useQuery();
  const [history, setHistory] = useState<string[]>([]);
  const filters: Record<string, string> = { ...defaults };
  for (const key of filterKeys) if (query[key] !== undefined) filters[key] = query[key];
  const pageToken = query["page_token"];
  const key = JSON.stringify([path, filters, pageToken]);
  // "all" is the dashboard's word for "no filter" (so a default such as state=open can be switched off in the URL).
  const sent = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== "all"));
  const loaded: Loaded<ListPage<T>> = useLoad((signal) => api.list<T>(path, { ...sent, page_token: pageToken, page_size: 50 }, signal), key);
  return {
    ...loaded,
    query,
    filters,
    pageToken,
    history,
    setFilters: (changes: Record<string, string | undefined>) => {
      setHistory([]);
      setQuery({ ...changes, page_token: undefined });
    },
    goToPage: (token: string | undefined, nextHistory: string[]) => {
      setHistory(nextHistory);
      setQuery({ page_token: token });
    },
  };
}
