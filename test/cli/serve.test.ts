/** `longwatch token …` and `longwatch serve` as a user runs them: the real process, its output and exit codes. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cli } from "./run-cli.ts";
import { tmpDir } from "../helpers/tmp.ts";

const root = join(import.meta.dirname, "..", "..");

describe("longwatch token", () => {
  it("creates a token shown once, lists it without the secret, and revokes it", async () => {
    const t = tmpDir();
    const made = await cli(["--data", t.dir, "token", "create", "--name", "ci", "--role", "analyst", "--expires", "2w"]);
    assert.equal(made.code, 0, made.stderr);
    const token = made.stdout.trim();
    assert.match(token, /^lw_[A-Za-z0-9_-]{43}$/);
    assert.match(made.stderr, /shown only now/);
    const list = await cli(["--data", t.dir, "token", "list"]);
    assert.match(list.stdout, /ci\s+analyst\s+lw_/);
    assert.ok(!list.stdout.includes(token));
    const json = JSON.parse((await cli(["--data", t.dir, "token", "list", "--format", "json"])).stdout) as { name: string; expires_at: string }[];
    assert.equal(json[0]!.name, "ci");
    assert.ok(Date.parse(json[0]!.expires_at) - Date.now() > 13 * 86_400_000);
    assert.equal((await cli(["--data", t.dir, "token", "create", "--name", "ci", "--role", "viewer"])).code, 1, "one live token per name");
    assert.equal((await cli(["--data", t.dir, "token", "create", "--name", "x", "--role", "root"])).code, 2);
    assert.equal((await cli(["--data", t.dir, "token", "create", "--name", "x", "--role", "viewer", "--expires", "soon"])).code, 2);
    assert.equal((await cli(["--data", t.dir, "token", "revoke", "ci"])).code, 0);
    const again = await cli(["--data", t.dir, "token", "revoke", "ci"]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no live token named "ci"/);
  });
});

describe("longwatch serve", () => {
  it("--check validates the config and names the key that is wrong", async () => {
    const t = tmpDir();
    const good = t.write("good.yaml", "listen: 127.0.0.1:9999\nsession:\n  ttl_hours: 8\n");
    const ok = await cli(["--data", t.dir, "serve", "--config", good, "--check"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Configuration OK: listen 127\.0\.0\.1:9999/);
    const bad = t.write("bad.yaml", "listen: 127.0.0.1:9999\nsession:\n  ttl_hours: -1\n");
    const r = await cli(["--data", t.dir, "serve", "--config", bad, "--check"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml: session\.ttl_hours: /);
    const unknown = await cli(["--data", t.dir, "serve", "--config", t.write("u.yaml", "lisen: x\n"), "--check"]);
    assert.match(unknown.stderr, /u\.yaml: unknown key lisen/);
    const yaml = await cli(["--data", t.dir, "serve", "--config", t.write("y.yaml", "a: [1,\n"), "--check"]);
    assert.equal(yaml.code, 2);
    assert.match(yaml.stderr, /y\.yaml:\d+:/);
    const tls = await cli(["--data", t.dir, "serve", "--tls-cert", join(t.dir, "nope.pem"), "--tls-key", good, "--check"]);
    assert.equal(tls.code, 1);
    assert.match(tls.stderr, /--tls-cert .*nope\.pem: no such file/);
    assert.equal((await cli(["--data", t.dir, "serve", "--tls-cert", good, "--check"])).code, 2, "--tls-cert without --tls-key");
    assert.equal((await cli(["--data", t.dir, "serve", "--listen", "localhost", "--check"])).code, 2);
    // The respond section is the service's too: checked with its line, summarised, and shared with scan's sections.
    const site = t.write("site.yaml", "listen: 127.0.0.1:9999\nrules:\n  no-ota: { severity: low }\nrespond:\n  automatic: { enabled: true, budget: { devices: 5, per: 2h }, ttl: 30m }\n");
    const siteOk = await cli(["--data", t.dir, "serve", "--config", site, "--check"]);
    assert.equal(siteOk.code, 0, siteOk.stderr);
    assert.match(siteOk.stdout, /respond: automatic on \(at most 5 devices per 2h, reversed after 30m unless confirmed\), 0 playbook\(s\)/);
    const badRespond = await cli(["--data", t.dir, "serve", "--config", t.write("r.yaml", "listen: 127.0.0.1:9999\nrespond:\n  automatic:\n    ttl: soon\n"), "--check"]);
    assert.equal(badRespond.code, 2);
    assert.match(badRespond.stderr, /r\.yaml:4: respond\.automatic\.ttl: is not a duration/);
  });

  it("--check names an unknown key in any section of the file, with the known key it is nearest to", async () => {
    const t = tmpDir();
    const cases: [string, RegExp][] = [
      ["lisen: 127.0.0.1:9999\n", /k0\.yaml: unknown key lisen \(did you mean listen\?\)/],
      ["pipelin: a\n", /k1\.yaml: unknown key pipelin \(did you mean pipeline\?\)/],
      ["session:\n  ttl_hour: 3\n", /k2\.yaml: session: unknown key ttl_hour \(did you mean ttl_hours\?\)/],
      ["detection:\n  hold_m: 5\n", /k3\.yaml: detection: unknown key hold_m \(did you mean hold_ms\?\)/],
      // The misspelt key is the cause, not the real key it leaves missing.
      ["mqtt:\n  url: mqtt://127.0.0.1:1883\n  topic: [a]\n", /k4\.yaml: mqtt: unknown key topic \(did you mean topics\?\)/],
      ["sinks:\n  - { type: webhook, name: a, url: 'http://127.0.0.1:1', secrt_env: X }\n", /k5\.yaml: sinks\.0: unknown key secrt_env \(did you mean secret_env\?\)/],
      ["respond:\n  automatc: {}\n", /k6\.yaml:2: respond: unknown key automatc \(did you mean automatic\?\)/],
      ["follow:\n  - { pth: conn.log }\n", /k7\.yaml: follow\.0: unknown key pth \(did you mean path\?\)/],
    ];
    for (const [i, [text, want]] of cases.entries()) {
      const r = await cli(["--data", t.dir, "serve", "--config", t.write(`k${i}.yaml`, text), "--check"]);
      assert.equal(r.code, 2, text);
      assert.match(r.stderr, want);
    }
  });

  it("starts on a fresh SQLite store, prints a one-time admin token, serves it, and exits 0 on SIGTERM", async () => {
    const t = tmpDir();
    const start = async () => {
      const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/bin.ts"), "--data", t.dir, "serve", "--listen", "127.0.0.1:0"], { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while (!/serving on (\S+) /.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start: ${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /serving on (\S+) /.exec(out)![1]!;
      return { child, url, out: () => out, err: () => err, exited };
    };
    const first = await start();
    const token = /\n {2}(lw_[A-Za-z0-9_-]{43})\n/.exec(first.out())?.[1];
    assert.ok(token, first.out());
    assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${first.url}/readyz`)).status, 200);
    const me = await fetch(`${first.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(await me.json(), { kind: "token", name: "initial-admin", role: "admin", token_id: ((await (await fetch(`${first.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { id: string }[] }).items[0]!.id });
    first.child.kill("SIGTERM");
    assert.equal(await first.exited, 0);
    const lines = first.err().trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.ok(lines.some((l) => l.msg === "listening") && lines.some((l) => l.msg === "stopped"), "structured JSON log lines");
    assert.ok(!first.err().includes(token), "the token is never logged");
    const second = await start();
    assert.doesNotMatch(second.out(), /lw_/, "the admin token is printed only on the first start");
    second.child.kill("SIGINT");
    assert.equal(await second.exited, 0);
  });
});
