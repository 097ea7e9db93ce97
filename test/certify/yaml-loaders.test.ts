/**
 * certify's catalogue and answers loaders read YAML through formats/yaml.ts (issue 18 items 17–18): an alias bomb or an
 * alias that names no anchor is one problem with its file:line:column (the catalogue loader threw a ReferenceError
 * without a place), a syntax error never quotes the file's content, and an alias used properly in an answers file
 * stands for its value (it was "expected text … not a mapping").
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CatalogueError, catalogues, parseCatalogue } from "../../src/certify/catalogue.ts";
import { parseAnswers } from "../../src/certify/questionnaire.ts";
import { formatIssue } from "../../src/certify/yaml-source.ts";

const BOMB = ["a: &a [x, x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]", "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]", "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]", "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]", "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]"].join("\n");

function catalogueProblem(text: string): string {
  try {
    parseCatalogue(text, "std.yaml");
  } catch (e) {
    assert.ok(e instanceof CatalogueError, `a CatalogueError with positions, not ${(e as Error).constructor.name}: ${(e as Error).message}`);
    return e.issues.map(formatIssue).join("\n");
  }
  return assert.fail("parsed");
}

describe("certify YAML loaders", () => {
  it("a catalogue's alias bomb or dangling alias is a located problem, not an exception", () => {
    assert.equal(catalogueProblem(`id: x\n${BOMB}\n`), "std.yaml:3:8: error: its aliases expand to more than 10,000 nodes (an alias bomb?); write the values out instead of nesting aliases");
    assert.equal(catalogueProblem("id: x\nname: *nothing\n"), "std.yaml:2:7: error: an alias (*name) names no anchor (&name) set before it");
  });

  it("a syntax error says where, never what the file holds", () => {
    const p = catalogueProblem("id: x\n  hunter2-secret-value: [unclosed\n");
    assert.match(p, /^std\.yaml:1:5: error: is not valid YAML/);
    assert.doesNotMatch(p, /hunter2|unclosed/);
    const a = parseAnswers("model: m\n  hunter2-secret-value: [unclosed\n", "a.yaml", catalogues());
    assert.equal(a.issues.length, 1);
    assert.doesNotMatch(a.issues[0]!.message, /hunter2|unclosed/);
  });

  it("an answers file: aliases stand for their values; a bomb and a dangling alias are located", () => {
    const set = catalogues();
    const ok = parseAnswers("model: &m meter-1\nanswered_by: *m\n", "a.yaml", set);
    assert.deepEqual(ok.issues, []);
    assert.equal(ok.answers.answeredBy, "meter-1");
    const bomb = parseAnswers(`model: m\nx:\n  ${BOMB.split("\n").join("\n  ")}\n`, "a.yaml", set);
    assert.deepEqual(bomb.issues.map(formatIssue), ["a.yaml:4:10: error: its aliases expand to more than 10,000 nodes (an alias bomb?); write the values out instead of nesting aliases"]);
    const dangling = parseAnswers("model: *nothing\n", "a.yaml", set);
    assert.deepEqual(dangling.issues.map(formatIssue), ["a.yaml:1:8: error: an alias (*name) names no anchor (&name) set before it"]);
  });
});
