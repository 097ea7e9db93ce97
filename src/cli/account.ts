/**
 * `longwatch account create|password|list|disable|delete`: the dashboard's username-and-password sign-ins. The
 * password is read from the terminal without echo (typed twice), or from the first line of stdin when piped — never
 * from the command line, where it would land in shell history and in every `ps` listing. The store keeps only its
 * scrypt hash (serve/auth/secrets.ts). Disabling an account keeps it (name, role, history) but replaces its hash with
 * a marker no password matches and ends its sessions; `password` gives it a new password and so enables it again.
 * Every change is in the audit log, never with the password or its hash.
 */
import { type Command, Option } from "commander";
import { ROLES, type Role } from "../core/roles.ts";
import { renderTable } from "../report/table.ts";
import { hashPassword } from "../serve/auth/secrets.ts";
import type { Store, StoreTx } from "../store/store.ts";
import type { CommandModule } from "./command.ts";
import { type CliContext, UsageError } from "./context.ts";
import { withStore } from "./store.ts";

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MAX_PASSWORD = 1024;
const DISABLED_PREFIX = "disabled$";

function who(ctx: CliContext): string {
  return `cli:${ctx.io.env.LONGWATCH_USER ?? ctx.io.env.USER ?? ctx.io.env.LOGNAME ?? "unknown"}`;
}

function checkUsername(name: string): string {
  if (!USERNAME.test(name)) throw new UsageError(`username "${name.slice(0, 80)}": use 1–64 letters, digits and . _ @ - (starting with a letter or digit)`);
  return name;
}

/** Reads the password: twice without echo from a terminal, else the first line of stdin. */
async function readPassword(ctx: CliContext, username: string): Promise<string> {
  const stdin = ctx.io.stdin;
  if (!stdin) throw new UsageError("no stdin to read the password from: pipe it in (printf '%s\\n' \"$PW\" | longwatch account create …)");
  if (stdin.isTTY && stdin.setRawMode) {
    const first = await promptHidden(ctx, stdin, `Password for ${username}: `);
    const again = await promptHidden(ctx, stdin, "Again: ");
    if (first !== again) throw new UsageError("the two passwords differ; nothing was changed");
    return first;
  }
  let text = "";
  for await (const chunk of stdin) {
    text += typeof chunk === "string" ? chunk : (chunk as Buffer).toString("utf8");
    const nl = text.search(/\r?\n/);
    if (nl >= 0) {
      text = text.slice(0, nl);
      break;
    }
    if (text.length > MAX_PASSWORD) break;
  }
  if (text === "") throw new UsageError("no password on stdin: send it as the first line (printf '%s\\n' \"$PW\" | longwatch account create …)");
  if (text.length > MAX_PASSWORD) throw new UsageError(`the password is longer than ${MAX_PASSWORD} characters`);
  return text;
}

function promptHidden(ctx: CliContext, stdin: NonNullable<CliContext["io"]["stdin"]>, prompt: string): Promise<string> {
  ctx.io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    stdin.setRawMode!(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode!(false);
      stdin.pause();
      ctx.io.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === "string" ? chunk : chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003" || ch === "\u0004") return done(new UsageError("cancelled; nothing was changed"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (value.length < MAX_PASSWORD) value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

async function audit(store: StoreTx, ctx: CliContext, action: string, username: string, after: unknown, before?: unknown): Promise<void> {
  await store.access.appendAudit({ at: new Date(ctx.now()).toISOString(), actor: who(ctx), actor_kind: "system", action, target_kind: "account", target_id: username, ...(before !== undefined ? { before } : {}), after });
}

/** The account as the audit log and `list` show it: never the hash. */
const shown = (a: { username: string; role: Role; created_at: string; updated_at: string }, disabled: boolean) => ({ username: a.username, role: a.role, created_at: a.created_at, updated_at: a.updated_at, disabled });

/** The stored account as `shown`, disabled when its hash is the disabled marker. */
const shownStored = (a: { username: string; role: Role; created_at: string; updated_at: string; password_hash: string }) => shown(a, a.password_hash.startsWith(DISABLED_PREFIX));

/** The stored account of that name, or a usage error that says how to list them. */
async function existing(s: Store, username: string) {
  const a = await s.access.account(username);
  if (!a) throw new UsageError(`no account "${username}" (\`longwatch account list\` shows them)`);
  return a;
}

export const accountCommand: CommandModule = {
  register(program, ctx) {
    const group = program.command("account").description("dashboard sign-ins (username + password, stored as scrypt hashes): create, password, list, disable, delete");
    // A password given as an argument is refused outright, with why: argv is visible to every user of the machine.
    const refuseArgv = new Option("--password <password>").hideHelp();
    const noArgvPassword = (o: { password?: string }) => {
      if (o.password !== undefined) throw new UsageError("passwords are never taken on the command line (shell history, ps): type it when asked, or pipe it on stdin");
    };
    group
      .command("create")
      .description("create an account; the password is read from the terminal (twice, not echoed) or stdin's first line")
      .argument("<username>")
      .addOption(new Option("--role <role>", "viewer reads; analyst triages; responder acts; admin manages").choices([...ROLES]).makeOptionMandatory())
      .addOption(refuseArgv)
      .action(async (username: string, o: { role: Role; password?: string }, cmd: Command) => {
        noArgvPassword(o);
        checkUsername(username);
        await withStore(cmd, ctx, async (s) => {
          if (await s.access.account(username)) throw new UsageError(`an account "${username}" exists already (\`longwatch account password ${username}\` sets a new password)`);
          const hash = await hashPassword(await readPassword(ctx, username));
          const at = new Date(ctx.now()).toISOString();
          await s.transaction(async (tx) => {
            const a = await tx.access.putAccount({ username, role: o.role, password_hash: hash }, at);
            await audit(tx, ctx, "accounts.create", username, shown(a, false));
          });
          ctx.out(`Account "${username}" (${o.role}) created: sign in to the dashboard with it.`);
        });
      });
    group
      .command("password")
      .description("set a new password (read like create's); enables a disabled account again")
      .argument("<username>")
      .addOption(refuseArgv)
      .action(async (username: string, o: { password?: string }, cmd: Command) => {
        noArgvPassword(o);
        await withStore(cmd, ctx, async (s) => {
          const before = await existing(s, username);
          const hash = await hashPassword(await readPassword(ctx, username));
          const at = new Date(ctx.now()).toISOString();
          await s.transaction(async (tx) => {
            const a = await tx.access.putAccount({ username, role: before.role, password_hash: hash }, at);
            // Sessions opened with the old password end: whoever had it is out.
            await tx.access.deleteSessionsOf("account", username);
            await audit(tx, ctx, "accounts.password", username, shown(a, false), shownStored(before));
          });
          ctx.out(`Account "${username}": new password set; its sessions were ended.`);
        });
      });
    group
      .command("list", { isDefault: true })
      .description("accounts: username, role, created, updated, disabled (never a password or hash)")
      .addOption(new Option("--format <format>").choices(["table", "json"]).default("table"))
      .action(async (o: { format: "table" | "json" }, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          const rows = [];
          for (const a of await s.access.accounts()) rows.push(shown(a, (await s.access.account(a.username))?.password_hash.startsWith(DISABLED_PREFIX) ?? false));
          if (o.format === "json") return ctx.out(JSON.stringify(rows, null, 2));
          if (rows.length === 0) return ctx.out("No accounts. Create one with `longwatch account create NAME --role viewer`.");
          ctx.out(renderTable(["username", "role", "created", "updated", "status"], rows.map((a) => [a.username, a.role, a.created_at.slice(0, 16), a.updated_at.slice(0, 16), a.disabled ? "disabled" : "active"])));
        });
      });
    group
      .command("disable")
      .description("stop an account signing in (its sessions end at once); `account password` enables it again")
      .argument("<username>")
      .action(async (username: string, _o: unknown, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          const before = await existing(s, username);
          const at = new Date(ctx.now()).toISOString();
          const ended = await s.transaction(async (tx) => {
            const a = await tx.access.putAccount({ username, role: before.role, password_hash: `${DISABLED_PREFIX}${at}` }, at);
            const n = await tx.access.deleteSessionsOf("account", username);
            await audit(tx, ctx, "accounts.disable", username, shown(a, true), shownStored(before));
            return n;
          });
          ctx.out(`Account "${username}" disabled${ended ? `; ${ended} session${ended === 1 ? "" : "s"} ended` : ""}.`);
        });
      });
    group
      .command("delete")
      .description("remove an account (its sessions end at once)")
      .argument("<username>")
      .action(async (username: string, _o: unknown, cmd: Command) => {
        await withStore(cmd, ctx, async (s) => {
          const before = await existing(s, username);
          await s.transaction(async (tx) => {
            await tx.access.removeAccount(username);
            await tx.access.deleteSessionsOf("account", username);
            await audit(tx, ctx, "accounts.delete", username, null, shownStored(before));
          });
          ctx.out(`Account "${username}" deleted.`);
        });
      });
  },
};
