/**
 * Cursor paging as the API does it: the server hands out `next_page_token`; going back means remembering the tokens
 * of the pages already seen. The current token lives in the URL (`page_token`) so a page can be shared.
 */
import { total } from "./ui.tsx";

export function Pager(props: {
  shown: number;
  total: { count: number; type: "exact" | "at_least" } | undefined;
  nextToken: string | null | undefined;
  currentToken: string | undefined;
  onPage: (token: string | undefined, history: string[]) => void;
  history: string[];
}) {
  const back = (): void => {
    const previous = props.history.slice(0, -1);
    props.onPage(props.history[props.history.length - 1] || undefined, previous);
  };
  const forward = (): void => {
    if (props.nextToken) props.onPage(props.nextToken, [...props.history, props.currentToken ?? ""]);
  };
  return (
    <nav class="pager" aria-label="Pages">
      <span class="muted">
        {props.shown} shown of {total(props.total)}
      </span>
      <button type="button" class="btn btn-small" disabled={props.history.length === 0} onClick={back}>
        ← Previous
      </button>
      <button type="button" class="btn btn-small" disabled={!props.nextToken} onClick={forward}>
        Next →
      </button>
    </nav>
  );
}
