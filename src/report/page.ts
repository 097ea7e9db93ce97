/**
 * The page shell of the self-assessment report: one self-contained page (inline CSS, no scripts, no external
 * resources, so it renders the same offline, in a browser and in the PDF printer) and a print stylesheet.
 */

import { esc } from "./html.ts";

/** An id usable in href="#…" for any text (provision ids contain dots, rule ids dashes). */
export function anchor(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** Links in answers are shown as links only when they are http(s): anything else stays text. */
export function linkify(text: string): string {
  return esc(text).replace(/https?:\/\/[^\s<>"']+[^\s<>"'.,;:)]/g, (u) => `<a href="${u}">${u}</a>`);
}

const CSS = `
:root { --fail:#b42318; --pass:#067647; --inc:#b54708; --na:#175cd3; --nas:#667085; --line:#d0d5dd; --soft:#f2f4f7; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 10.5pt; line-height: 1.45; color: #101828; margin: 0; padding: 24px; max-width: 1100px; }
h1 { font-size: 19pt; margin: 0 0 4px; }
h2 { font-size: 14pt; margin: 26px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 11.5pt; margin: 18px 0 6px; }
a { color: #175cd3; text-decoration: none; }
.sub { color: #475467; margin: 0 0 14px; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 0 0 14px; }
dl.meta dt { color: #475467; } dl.meta dd { margin: 0; }
.box { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 12px 0; background: #fff; }
.box.warn { border-color: #fec84b; background: #fffaeb; }
.box.steps { border: 2px solid #101828; }
.box.draft { border: 2px dashed #667085; }
ol.steps > li { margin: 0 0 10px; } ol.steps p { margin: 2px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 6px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-size: 9.5pt; }
td.id { white-space: nowrap; font-weight: bold; } td.num { text-align: right; }
.v { display: inline-block; padding: 1px 6px; border-radius: 4px; font-size: 8.5pt; font-weight: bold; color: #fff; white-space: nowrap; }
.v.fail { background: var(--fail); } .v.pass { background: var(--pass); } .v.inconclusive { background: var(--inc); }
.v.not_applicable { background: var(--na); } .v.not_assessed { background: var(--nas); }
.bar { display: flex; height: 14px; border-radius: 3px; overflow: hidden; margin: 6px 0; }
.bar span { display: block; height: 100%; }
.bar .fail { background: var(--fail); } .bar .pass { background: var(--pass); } .bar .inconclusive { background: var(--inc); }
.bar .not_applicable { background: var(--na); } .bar .not_assessed { background: var(--nas); }
.small { font-size: 9pt; color: #475467; } .todo { margin-top: 3px; } .caveat { color: var(--inc); }
ul.tight { margin: 2px 0; padding-left: 18px; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; background: var(--soft); padding: 0 3px; border-radius: 3px; }
section.assessment + section.assessment { break-before: page; }
tr, li, .bar, .box.warn { break-inside: avoid; }
h2, h3 { break-after: avoid; }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print { body { padding: 0; max-width: none; } a { color: inherit; } }
`;

export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="Longwatch"><title>${esc(title)}</title><style>${CSS}</style></head>
<body>
${body}
</body></html>
`;
}
