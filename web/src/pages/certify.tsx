/** Certification status per model and standard, with a drill-down to each provision, its verdict and evidence. */
import { api } from "../api/client.ts";
import { Card, Empty, ErrorBox, Link, PageHeader, Spinner, num } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";
import { useQuery } from "../router.ts";

interface Cell {
  standard: string;
  key: string;
  pass_rate: number | null;
  applicable: number;
  mandatory_fail: number;
}
interface Matrix {
  standards: { cli: string; key: string; title: string; version: string }[];
  rows: { model_id: string; name?: string; devices: number; cells: Cell[] }[];
}
interface Provision {
  id: string;
  title: string;
  mandatory: boolean;
  verdict: string;
  reason: string;
  todo?: string;
  rules: { rule_id: string; devices?: number; findings?: number }[];
}
interface AssessmentDetail {
  standard: { title: string; version: string };
  subject: { model_id: string; devices: number };
  summary: { pass: number; fail: number; inconclusive: number; not_assessed: number; not_applicable: number; pass_rate: number | null };
  results: Provision[];
}

export function Certify() {
  const [query, setQuery] = useQuery();
  const matrix = useLoad((signal) => api.get<Matrix>("/assessments", undefined, signal), "matrix");
  const model = query["model"];
  const standard = query["standard"];
  if (matrix.error) return <ErrorBox error={matrix.error} retry={matrix.reload} />;
  if (!matrix.data) return <Spinner />;
  const m = matrix.data;
  return (
    <>
      <PageHeader title="Certification" subtitle="Self-assessment of each device model against ETSI EN 303 645, UK PSTI, EU CRA, NISTIR 8259A and OWASP, from the evidence Longwatch holds." />
      {m.rows.length === 0 ? (
        <Empty>No assessment yet: run longwatch certify.</Empty>
      ) : (
        <Card title="Models × standards">
          <div class="table-wrap">
            <table class="table matrix">
              <thead>
                <tr>
                  <th>Model</th>
                  <th class="num">Devices</th>
                  {m.standards.map((s) => <th key={s.key} title={`${s.title} ${s.version}`}>{s.cli}</th>)}
                </tr>
              </thead>
              <tbody>
                {m.rows.map((row) => (
                  <tr key={row.model_id}>
                    <td>{row.name ?? row.model_id}</td>
                    <td class="num">{num(row.devices)}</td>
                    {m.standards.map((s) => {
                      const cell = row.cells.find((c) => c.key === s.key);
                      if (!cell) return <td key={s.key} class="muted">—</td>;
                      const rate = cell.pass_rate === null ? "n/a" : `${Math.round(cell.pass_rate * 100)} %`;
                      const tone = cell.mandatory_fail > 0 ? "cell-bad" : cell.pass_rate !== null && cell.pass_rate >= 0.999 ? "cell-ok" : "cell-mid";
                      return (
                        <td key={s.key} class={tone}>
                          <button type="button" class="btn-link" onClick={() => setQuery({ model: row.model_id, standard: s.cli })} aria-label={`${row.model_id} against ${s.title}: ${rate}`}>
                            {rate}
                          </button>
                          {cell.mandatory_fail > 0 && <div class="small">{cell.mandatory_fail} mandatory failing</div>}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
      {model && standard && <AssessmentDrill model={model} standard={standard} onClose={() => setQuery({ model: undefined, standard: undefined })} />}
    </>
  );
}

function AssessmentDrill(props: { model: string; standard: string; onClose: () => void }) {
  const { data, error, reload } = useLoad((signal) => api.get<AssessmentDetail>(`/assessments/${encodeURIComponent(props.model)}/${encodeURIComponent(props.standard)}`, undefined, signal), `${props.model}:${props.standard}`);
  if (error) return <ErrorBox error={error} retry={reload} />;
  if (!data) return <Spinner />;
  return (
    <Card title={`${props.model} — ${data.standard.title} ${data.standard.version}`} actions={<button type="button" class="btn btn-small btn-ghost" onClick={props.onClose}>Close</button>}>
      <p class="muted">
        {data.summary.pass} pass · {data.summary.fail} fail · {data.summary.inconclusive} inconclusive · {data.summary.not_assessed} not assessed · {data.summary.not_applicable} not applicable
      </p>
      <table class="table table-compact">
        <thead><tr><th>Provision</th><th>Verdict</th><th>Why</th><th>Evidence</th></tr></thead>
        <tbody>
          {data.results.map((p) => (
            <tr key={p.id}>
              <td><strong>{p.id}</strong>{p.mandatory && <span class="chip">mandatory</span>}<div class="small">{p.title}</div></td>
              <td><span class={`badge verdict-${p.verdict.toLowerCase().replaceAll(" ", "-")}`}>{p.verdict}</span></td>
              <td class="small">{p.reason}{p.todo && <div class="muted">Next: {p.todo}</div>}</td>
              <td class="small">{p.rules.map((r) => <div key={r.rule_id}><Link href={`/findings?rule=${encodeURIComponent(r.rule_id)}&model_id=${encodeURIComponent(props.model)}`}>{r.rule_id}</Link>{r.devices !== undefined ? ` · ${num(r.devices)} devices` : ""}</div>)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}
