/** Filter controls bound to the URL's query string: a select or a text box per filter, applied as you change them. */
import { useState } from "preact/hooks";

export interface FilterField {
  key: string;
  label: string;
  options?: readonly string[];
  placeholder?: string;
}

export function FilterBar(props: { fields: FilterField[]; query: Record<string, string>; onChange: (changes: Record<string, string | undefined>) => void }) {
  const active = props.fields.some((f) => props.query[f.key]);
  return (
    <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      {props.fields.map((field) =>
        field.options ? (
          <label key={field.key}>
            <span>{field.label}</span>
            <select value={props.query[field.key] ?? ""} onChange={(e) => props.onChange({ [field.key]: (e.target as HTMLSelectElement).value, page_token: undefined })}>
              <option value="">Any</option>
              {field.options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <TextFilter key={field.key} field={field} value={props.query[field.key] ?? ""} onChange={props.onChange} />
        ),
      )}
      {active && (
        <button type="button" class="btn btn-small btn-ghost" onClick={() => props.onChange(Object.fromEntries([...props.fields.map((f) => [f.key, undefined]), ["page_token", undefined]]))}>
          Clear filters
        </button>
      )}
    </form>
  );
}

function TextFilter(props: { field: FilterField; value: string; onChange: (changes: Record<string, string | undefined>) => void }) {
  const [text, setText] = useState(props.value);
  const apply = (): void => {
    if (text.trim() !== props.value) props.onChange({ [props.field.key]: text.trim() || undefined, page_token: undefined });
  };
  return (
    <label>
      <span>{props.field.label}</span>
      <input
        type="search"
        value={text}
        placeholder={props.field.placeholder ?? ""}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        onBlur={apply}
        onKeyDown={(e) => e.key === "Enter" && apply()}
      />
    </label>
  );
}
