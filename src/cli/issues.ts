/** Printing input issues: the first few in full (file:line or JSON path, and why), then how many more there were. */
import { formatIssue, type InputIssue } from "../core/input-issue.ts";
import type { CliContext } from "./context.ts";

export function printIssues(ctx: CliContext, issues: readonly InputIssue[], total = issues.length, limit = 20): void {
  const c = ctx.colors("stderr");
  for (const i of issues.slice(0, limit)) ctx.err(`${i.level === "error" ? c.red("rejected") : c.yellow("warning")}  ${formatIssue(i)}`);
  if (total > Math.min(limit, issues.length)) ctx.err(c.dim(`… and ${total - Math.min(limit, issues.length)} more`));
}
