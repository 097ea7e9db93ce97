/**
 * `longwatch token create|list|revoke`: API tokens for the service. `create` prints the token once (stdout, alone on
 * its line, so scripts can capture it); the store keeps only its SHA-256. Every change is in the audit log.
 */
import { type Command, Option } from "commander";
import { ROLES, type Role } from "../core/roles.ts";
import { renderTable } from "../report/table.ts";
import { createToken, DEFAULT_TOKEN_DAYS, parseDuration, revokeToken } from "../serve/auth/tokens.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { withStore } from "./store.ts";

function who(ctx: CliContext): string {
  return `cli:${ctx.io.env.LONGWATCH_USER ?? ctx.io.env.USER ?? ctx.io.env.LOGNAME ?? "unknown"}`;
}

export const tokenCommand: CommandModule = {
  register(program, ctx) {
    const group = program.command("token").description("API tokens for `longwatch serve`: create (shown once), list, revoke");
    group
      .command("create")
      .description("create a token and print it once; the store keeps only its hash")
      .requiredOption("--name <name>", "a name to tell it apart (unique among live tokens)")
      .addOption(new Option("--role <role>", "viewer reads; analyst triages; responder acts; admin manages tokens").choices([...ROLES]).makeOptionMandatory())
      .option("--expires <duration>", "30d, 12h, 90m, 2w or never", `${DEFAULT_TOKEN_DAYS}d`)
      .action(async (o: { name: string; role: Role; expires: string }, cmd: Command) => {
        const ms = parseDuration(o.expires);
        await withStore(cmd, ctx, async (s) => {
          const now = ctx.now();
          const made = await s.transaction(async (tx) => {
            const m = await createToken(tx, { name: o.name, role: o.role, expiresInMs: ms, by: who(ctx), now });
            await tx.access.appendAudit({ at: new Date(now).toISOString(), actor: who(ctx), actor_kind: "system", action: "tokens.create", target_kind: "token", target_id: m.record.name, after: m.record });
            return m;
          });
          ctx.out(made.token);
          ctx.err(`Token "${made.record.name}" (${made.record.role}${made.record.expires_at ? `, expires ${made.record.expires_at}` : ", never expires"}). It is shown only now: keep it in a secret store. Send it as Authorization: Bearer <token>.`);
        });
      });
    group
      .command("list", { isDefault: true })
      .description("tokens: name, role, prefix, created, expires, last used (never the tokens themselves)")
      .option("--all", "revoked tokens too")
      .addOption(new Option("--format <format>").choices(["table", "json"]).default("table"))
      .action(async (o: { all?: boolean; format: "table" | "json" }, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          const tokens = await s.access.tokens({ includeRevoked: o.all === true });
          if (o.format === "json") return ctx.out(JSON.stringify(tokens, null, 2));
          if (tokens.length === 0) return ctx.out("No tokens. Create one with `longwatch token create --name NAME --role viewer`.");
          ctx.out(renderTable(["name", "role", "prefix", "created", "expires", "last used", ...(o.all ? ["revoked"] : [])], tokens.map((t) => [t.name, t.role, `${t.prefix}…`, t.created_at.slice(0, 16), t.expires_at?.slice(0, 16) ?? "never", t.last_used_at?.slice(0, 16) ?? "—", ...(o.all ? [t.revoked_at?.slice(0, 16) ?? ""] : [])])));
        });
      });
    group
      .command("revoke")
      .description("revoke a token (by name or id); its sessions end at once")
      .argument("<name>")
      .action(async (name: string, _o: unknown, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          const now = ctx.now();
          const t = await s.transaction(async (tx) => {
            const r = await revokeToken(tx, name, now);
            if (r) await tx.access.appendAudit({ at: new Date(now).toISOString(), actor: who(ctx), actor_kind: "system", action: "tokens.revoke", target_kind: "token", target_id: r.name, after: r });
            return r;
          });
          if (!t) throw new UsageError(`no live token named "${name}" (\`longwatch token list\` shows them)`);
          ctx.out(`Token "${t.name}" revoked.`);
        });
      });
  },
};
