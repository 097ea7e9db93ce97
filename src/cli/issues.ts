/**
 * Reports input issues: each one on stderr (the first `limit`), and every one in a rejects CSV when there are more, so
 * nothing is lost however many records are bad. The summary line says how many were rejected and where they are.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { formatIssue, type InputIssue } from "../core/input-issue.ts";
import { csvLine } from "../formats/csv.ts";
import { outputError } from "./output.ts";
import type { CliContext } from "./context.ts";

export class IssueReporter {
  errors = 0;
  warnings = 0;
  /** Warnings about invalid fields left out of records that were kept: input problems too (exit code 3). */
  fieldsDropped = 0;
  private printed = 0;
  private fd: number | undefined;
  private closed = false;
  private readonly buffered: InputIssue[] = [];

  constructor(
    private readonly ctx: CliContext,
    /** Where to write all issues; when not given, a file in the data folder once the stderr limit is passed. */
    private readonly rejectsFile: string,
    private readonly explicit: boolean,
    private readonly limit = 50,
  ) {
    if (explicit) this.open();
  }

  readonly add = (issue: InputIssue): void => {
    if (issue.level === "error") this.errors++;
    else this.warnings++;
    if (issue.code === "field-invalid") this.fieldsDropped++;
    if (this.printed < this.limit) {
      const c = this.ctx.colors("stderr");
      this.ctx.err(`${issue.level === "error" ? c.red("rejected") : issue.code === "field-invalid" ? c.yellow("field left out") : c.yellow("warning")} ${formatIssue(issue)}`);
      this.printed++;
      if (this.fd === undefined) this.buffered.push(issue);
    } else if (this.fd === undefined) {
      this.open();
    }
    if (this.fd !== undefined) this.write(issue);
  };

  private open(): void {
    mkdirSync(dirname(this.rejectsFile), { recursive: true, mode: 0o700 });
    try {
      this.fd = openSync(this.rejectsFile, "w", 0o600); // rejected rows are input data: the owner's alone
      writeSync(this.fd, `${csvLine(["file", "line", "path", "column", "level", "reason"])}\n`);
    } catch (e) {
      throw outputError(e, this.rejectsFile);
    }
    for (const i of this.buffered.splice(0)) this.write(i);
  }

  private write(i: InputIssue): void {
    try {
      writeSync(this.fd!, `${csvLine([i.file, i.line, i.path, i.column, i.level, i.reason])}\n`);
    } catch (e) {
      throw outputError(e, this.rejectsFile);
    }
  }

  /** Closes the rejects file; returns a line for the summary when there was anything to report. */
  close(): string | undefined {
    if (this.fd !== undefined && !this.closed) closeSync(this.fd);
    this.closed = true;
    const hidden = this.errors + this.warnings - this.printed;
    if (this.fd !== undefined && this.errors + this.warnings > 0 && (hidden > 0 || this.explicit)) return `All ${this.errors + this.warnings} input issues are listed in ${this.rejectsFile}`;
    return undefined;
  }
}
