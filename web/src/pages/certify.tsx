/**
 * Certification status per model and standard (the newest saved `longwatch certify --save` assessment of each pair),
 * with a drill-down to each provision: its verdict, why, the evidence (audit rules and their findings) and what to
 * do next. Reads GET /api/v1/assessments and GET /api/v1/assessments/{id}; the document is the one certify writes.
 */
import { call } from "../api/client.ts";
import type { AssessmentInfo } from "../api/types.ts";
import type { Assessment, ProvisionResult, Verdict } from "../../../src/certify/assessment.ts";
import { Card, Empty, ErrorBox, Link, PageHeader, Spinner, num, when } from "../components/ui.tsx";
import { useLoad } from "../hooks.ts";
import { useQuery } from "../router.ts";

/** At most this many assessment documents are read for the matrix (the newest of each model × standard). */
const MATRIX_CAP = 60;
const VERDICT_WORDS: Record<Verdict, string> = { pass: "pass", fail: "fail", inconclusive: "inconclusive", not_assessed: "not assessed", not_applicable: "not applicable" };

interface Cell {
  info: AssessmentInfo;
  doc: Assessment;
}

async function loadMatrix(signal: AbortSignal): Promise<{ cells: Cell[]; saved: number }> {
  // Newest first, every page: the first of each model × standard is its current status.
  const newest = new Map<string, AssessmentInfo>();
  let token: string | undefined;
  let saved = 0;
  do {
    const list = await call("assessments.list", { query: { page_size: 1000, ...(token ? { page_token: token } : {}) }, signal });
    saved = list.total.count;
    for (const a of list.items) if (!newest.has(`${a.model_id}\u0000${a.standard}`)) newest.set(`${a.model_id}\u0000${a.standard}`, a);
    token = list.next_page_token ?? undefined;
  } while (token);
  const picked = [...newest.values()].slice(0, MATRIX_CAP);
  const docs = await Promise.all(picked.map((info) => call("assessments.get", { params: { id: info.id }, signal })));
  return { cells: docs.map((d, i) => ({ info: picked[i]!, doc: d.doc as Assessment })), saved };
}

export function Certify() {
  const [query, setQuery] = useQuery();
  const matrix = useLoad(loadMatrix, "matrix");
  const selected = query["assessment"];
  if (matrix.error) return <ErrorBox error={matrix.error} retry={matrix.reload} />;
  if (!matrix.data) return <Spinner />;
  const { cells } = matrix.data;
  const standards = [...new Map(cells.map((c) => [c.doc.standard.key, c.doc.standard])).values()].sort((a, b) => a.cli.localeCompare(b.cli));
  const models = [...new Map(cells.map((c) => [c.info.model_id, c.doc.subject])).values()].sort((a, b) => a.model_id.localeCompare(b.model_id));
  const open = selected ? cells.find((c) => String(c.info.id) === selected) : undefined;
  return (
    <>
      <PageHeader title="Certification" subtitle="Self-assessment of each device model against ETSI EN 303 645, UK PSTI, EU CRA, NISTIR 8259A and OWASP, from the evidence Longwatch holds." />
      {cells.length === 0 ? (
        <Empty>No saved assessment yet: run longwatch certify --save.</Empty>
      ) : (
        <Card title="Models × standards">
          <p class="muted small">Share of applicable provisions that pass, in the newest saved assessment; a red cell has a mandatory provision failing. Choose a cell for its provisions and evidence.</p>
          <div class="table-wrap">
            <table class="table matrix">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" class="num">Devices</th>
                  {standards.map((s) => <th scope="col" key={s.key} title={`${s.title} ${s.version}`}>{s.cli}</th>)}
                </tr>
              </thead>
              <tbody>
                {models.map((m) => (
                  <tr key={m.model_id}>
                    <th scope="row">{m.name ?? m.model_id}<div class="muted small">{m.name ? m.model_id : ""}</div></th>
                    <td class="num">{num(m.devices)}</td>
                    {standards.map((s) => {
                      const cell = cells.find((c) => c.info.model_id === m.model_id && c.doc.standard.key === s.key);
                      if (!cell) return <td key={s.key} class="muted">—</td>;
                      const sum = cell.doc.summary;
                      const rate = sum.pass_rate === null ? "n/a" : `${Math.round(sum.pass_rate * 100)} %`;
                      const tone = sum.mandatory.fail > 0 ? "cell-bad" : sum.pass_rate !== null && sum.pass_rate >= 0.999 ? "cell-ok" : "cell-mid";
                      return (
                        <td key={s.key} class={tone}>
                          <button type="button" class="btn-link" aria-pressed={selected === String(cell.info.id)} onClick={() => setQuery({ assessment: String(cell.info.id) })} aria-label={`${m.model_id} against ${s.title}: ${rate} pass`}>
                            {rate}
                          </button>
                          {sum.mandatory.fail > 0 && <div class="small">{sum.mandatory.fail} mandatory failing</div>}
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
      {selected && !open && <ErrorBox error={new Error(`No assessment ${selected} among the newest of each model and standard.`)} />}
      {open && <AssessmentDrill cell={open} onClose={() => setQuery({ assessment: undefined })} />}
    </>
  );
}

function AssessmentDrill({ cell, onClose }: { cell: Cell; onClose: () => void }) {
  const { doc, info } = cell;
  const s = doc.summary;
  return (
    <Card title={`${doc.subject.name ?? doc.subject.model_id} — ${doc.standard.title} ${doc.standard.version}`} actions={<button type="button" class="btn btn-small btn-ghost" onClick={onClose}>Close</button>}>
      <p class="muted">
        {num(s.pass)} pass · {num(s.fail)} fail ({num(s.mandatory.fail)} mandatory) · {num(s.inconclusive)} inconclusive · {num(s.not_assessed)} not assessed · {num(s.not_applicable)} not applicable — saved {when(info.created_at)}
        {doc.scan ? `, from scan ${doc.scan.id}` : ", with no scan"}
      </p>
      {doc.next_steps.length > 0 && (
        <>
          <h3>What to do first</h3>
          <ol class="plain-list">
            {doc.next_steps.slice(0, 5).map((n) => (
              <li key={`${n.kind}:${n.title}`}><strong>{n.title}</strong> — {n.action} <span class="muted small">({n.why})</span></li>
            ))}
          </ol>
        </>
      )}
      <h3>Provisions</h3>
      <div class="table-wrap">
        <table class="table table-compact">
          <thead><tr><th scope="col">Provision</th><th scope="col">Verdict</th><th scope="col">Why</th><th scope="col">Evidence</th></tr></thead>
          <tbody>
            {doc.results.map((p) => <ProvisionRow key={p.id} p={p} model={doc.subject.model_id} />)}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function ProvisionRow({ p, model }: { p: ProvisionResult; model: string }) {
  return (
    <tr>
      <td><strong>{p.id}</strong>{p.mandatory && <span class="chip">mandatory</span>}<div class="small">{p.title}</div></td>
      <td><span class={`badge verdict-${p.verdict.replaceAll("_", "-")}`}>{VERDICT_WORDS[p.verdict]}</span></td>
      <td class="small">{p.reason}{p.todo && <div class="muted">Next: {p.todo}</div>}</td>
      <td class="small">
        {p.rules.length === 0 && !p.answer && <span class="muted">none</span>}
        {p.rules.map((r) => (
          <div key={r.rule}>
            <Link href={`/findings?rule=${encodeURIComponent(r.rule)}&model_id=${encodeURIComponent(model)}`}>{r.rule}</Link> · {r.state === "open" ? `${num(r.open)} open on ${num(r.devices)} devices` : r.state}
          </div>
        ))}
        {p.answer && <div>answered {p.answer.answer} ({p.answer.file}:{p.answer.line})</div>}
      </td>
    </tr>
  );
}
