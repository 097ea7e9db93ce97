/**
 * `longwatch account …` as a user runs it, against the service's real sign-in: the password comes from stdin (a
 * terminal or a pipe), never from argv; the store and the audit log never hold it; disable ends the account's
 * sessions and its sign-ins until `account password` gives it a new one; on both SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { describe, it } from "node:test";
import { main } from "../../src/cli/main.ts";
import { openStore } from "../../src/store/open.ts";
import { postgresAvailable, throwawayDatabase } from "../helpers/postgres.ts";
import { startTestService } from "../helpers/serve.ts";
import { tmpDir } from "../helpers/tmp.ts";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** The CLI in-process, with `input` as its stdin (a pipe), or a fake terminal that types `typed`. */
async function run(args: string[], input?: string | { typed: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  let stdin: Readable & { isTTY?: boolean; setRawMode?(m: boolean): unknown };
  if (input !== undefined && typeof input === "object") {
    // A terminal: raw mode is asked for, and the keys arrive one by one.
    const tty = new Readable({ read() {} }) as Readable & { isTTY: boolean; setRawMode(m: boolean): unknown; raw: boolean[] };
    tty.isTTY = true;
    tty.raw = [];
    tty.setRawMode = (m: boolean) => tty.raw.push(m);
    let at = 0;
    const keys = [...input.typed];
    const feed = () => {
      if (at < keys.length) {
        tty.push(keys[at++]!);
        setImmediate(feed);
      }
    };
    setImmediate(feed);
    stdin = tty;
  } else stdin = Readable.from(input === undefined ? [] : [input]);
  const code = await main(args, { stdout, stderr, stdin, env: { NO_COLOR: "1", USER: "ops" }, cwd: process.cwd() });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const PW = "correct horse battery staple";
const PW2 = "another long passphrase 2";

function suite(name: string, url: () => Promise<string>, skip: () => Promise<string | undefined>) {
  describe(`longwatch account on ${name}`, async () => {
    const why = await skip();
    if (why) return void it("skipped", { skip: why }, () => undefined);
    it("creates, lists, disables, re-enables and deletes dashboard accounts; the password never leaves stdin", async () => {
      const t = tmpDir();
      const store = await url();
      const base = ["--data", join(t.dir, "data"), "--store", store, "account"];
      const refused = await run([...base, "create", "alice", "--role", "analyst", "--password", PW]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /never taken on the command line/);
      const made = await run([...base, "create", "alice", "--role", "analyst"], `${PW}\n`);
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /Account "alice" \(analyst\) created/);
      assert.equal((await run([...base, "create", "alice", "--role", "viewer"], `${PW}\n`)).code, 2, "exists already");
      const short = await run([...base, "create", "bob", "--role", "viewer"], "short\n");
      assert.notEqual(short.code, 0);
      assert.match(short.stderr, /at least 12 characters/);
      assert.equal((await run([...base, "create", "bob", "--role", "viewer"], "")).code, 2, "no password on stdin");
      assert.equal((await run([...base, "create", "bad name", "--role", "viewer"], `${PW}\n`)).code, 2);
      // From a terminal: typed twice, not echoed; a mismatch changes nothing.
      const mismatch = await run([...base, "create", "carol", "--role", "admin"], { typed: `${PW}\r${PW}x\r` });
      assert.equal(mismatch.code, 2);
      assert.match(mismatch.stderr, /differ/);
      const typed = await run([...base, "create", "carol", "--role", "admin"], { typed: `${PW}\r${PW}\r` });
      assert.equal(typed.code, 0, typed.stderr);
      assert.ok(!typed.stderr.includes(PW) && !typed.stdout.includes(PW), "a typed password is not echoed");

      const svc = await startTestService({ storeUrl: store });
      const signIn = (username: string, password: string) => fetch(`${svc.url}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }) });
      const ok = await signIn("alice", PW);
      assert.equal(ok.status, 201);
      const cookie = ok.headers.get("set-cookie")!.split(";")[0]!;
      assert.equal((await fetch(`${svc.url}/api/v1/whoami`, { headers: { cookie } })).status, 200);
      assert.equal((await signIn("carol", PW)).status, 201, "the account typed at the terminal signs in");

      const listed = JSON.parse((await run([...base, "list", "--format", "json"])).stdout) as { username: string; role: string; disabled: boolean }[];
      assert.deepEqual(listed.map((a) => [a.username, a.role, a.disabled]), [["alice", "analyst", false], ["carol", "admin", false]]);
      const off = await run([...base, "disable", "alice"]);
      assert.equal(off.code, 0, off.stderr);
      assert.match(off.stdout, /disabled; 1 session ended/);
      assert.equal((await fetch(`${svc.url}/api/v1/whoami`, { headers: { cookie } })).status, 401, "its session ended");
      assert.equal((await signIn("alice", PW)).status, 401, "a disabled account cannot sign in");
      assert.match((await run([...base, "list"])).stdout, /alice\s+analyst\s+.*disabled/);
      assert.equal((await run([...base, "password", "alice"], `${PW2}\n`)).code, 0);
      assert.equal((await signIn("alice", PW)).status, 401, "the old password is gone");
      assert.equal((await signIn("alice", PW2)).status, 201, "a new password enables it again");
      assert.equal((await run([...base, "delete", "carol"])).code, 0);
      assert.equal((await signIn("carol", PW)).status, 401);
      assert.equal((await run([...base, "delete", "carol"])).code, 2);

      const s = await openStore(store);
      try {
        const log = await s.access.audit({ target_kind: "account", limit: 100 });
        assert.deepEqual(log.map((e) => e.action).reverse(), ["accounts.create", "accounts.create", "accounts.disable", "accounts.password", "accounts.delete"]);
        assert.ok(log.every((e) => e.actor === "cli:ops"));
        const text = JSON.stringify(log);
        assert.ok(!text.includes(PW) && !text.includes(PW2) && !text.includes("scrypt$"), "no password or hash in the audit log");
        assert.match((await s.access.account("alice"))!.password_hash, /^scrypt\$/);
      } finally {
        await s.close();
      }
    });
  });
}

suite("SQLite", async () => `sqlite:${join(tmpDir().dir, "lw.db")}`, async () => undefined);
suite("PostgreSQL", throwawayDatabase, postgresAvailable);
