import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ContractContext } from "./context.ts";
import { importDevices } from "./fleet.ts";

const CHILD = join(import.meta.dirname, "child.ts");

function child(args: string[]) {
  const p = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = once(p, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null, out, err }));
  return { p, exited, stdout: () => out };
}

async function waitFor(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function transactionContract(c: ContractContext): void {
  describe(`transactions (${c.target.name})`, () => {
    it("commits what the function did, or rolls all of it back and rethrows", async () => {
      const store = await c.fresh();
      const id = await store.transaction(async (tx) => {
        assert.equal(tx.inTransaction, true);
        await tx.fleet.upsertModels([{ model_id: "m1" }]);
        return (await tx.findings.addSuppression({ rule: "r", reason: "kept" }, "2026-11-25")).id;
      });
      assert.equal(typeof id, "number");
      const boom = new Error("boom");
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.fleet.upsertModels([{ model_id: "m2" }]);
          await tx.alerts.upsert([{ id: "A", detector: "beaconing", device_id: "d", key: "k", severity: "low", confidence: 1, first_seen: "t", last_seen: "t", count: 1, summary: "", action: "", evidence: {}, state: "open", verification: "unknown" }], "t");
          assert.deepEqual((await tx.fleet.models()).map((m) => m.model_id), ["m1", "m2"], "a transaction sees its own writes");
          throw boom;
        }),
        (e) => e === boom,
      );
      assert.deepEqual((await store.fleet.models()).map((m) => m.model_id), ["m1"]);
      assert.equal(await store.alerts.get("A"), undefined);
      assert.equal(store.inTransaction, false);
    });

    it("a nested transaction rolls back alone", async () => {
      const store = await c.fresh();
      await store.transaction(async (tx) => {
        await tx.fleet.upsertModels([{ model_id: "outer" }]);
        await assert.rejects(
          tx.transaction(async (inner) => {
            await inner.fleet.upsertModels([{ model_id: "inner" }]);
            throw new Error("inner fails");
          }),
          /inner fails/,
        );
        await tx.transaction(async (inner) => inner.fleet.upsertModels([{ model_id: "inner-ok" }]));
      });
      assert.deepEqual((await store.fleet.models()).map((m) => m.model_id), ["inner-ok", "outer"]);
    });

    it("refuses the outer store inside a transaction, and a transaction once it has ended", async () => {
      const store = await c.fresh();
      let kept: Parameters<Parameters<typeof store.transaction>[0]>[0] | undefined;
      await assert.rejects(
        store.transaction(async (tx) => {
          kept = tx;
          await store.fleet.models();
        }),
        { code: "internal", message: /use the transaction/ },
      );
      await assert.rejects(() => kept!.fleet.models(), { code: "internal", message: /already ended/ });
      assert.deepEqual(await store.fleet.models(), [], "the store still works");
    });

    it("transactions started together in one process each apply fully", async () => {
      const store = await c.fresh();
      await Promise.all(
        Array.from({ length: 6 }, (_, k) =>
          store.transaction(async (tx) => {
            for (let i = 0; i < 5; i++) await tx.findings.addSuppression({ rule: `r${k}`, reason: `n${i}` }, "2026-11-25");
            const mine = (await tx.findings.suppressions()).filter((s) => s.rule === `r${k}`);
            assert.equal(mine.length, 5);
          }),
        ),
      );
      const all = await store.findings.suppressions();
      assert.equal(all.length, 30);
      assert.equal(new Set(all.map((s) => s.id)).size, 30);
    });

    it("two processes writing at once both get everything stored", { timeout: 180_000 }, async () => {
      const url = await c.target.freshUrl();
      const store = await c.open(url);
      const [a, b] = [child(["alerts", url, "a", "40"]), child(["alerts", url, "b", "40"])];
      const [ra, rb] = await Promise.all([a.exited, b.exited]);
      assert.equal(ra.code, 0, ra.err);
      assert.equal(rb.code, 0, rb.err);
      assert.equal((await store.alerts.list({ limit: 1000 })).length, 80);
      const s = await store.findings.suppressions();
      assert.equal(s.length, 80);
      assert.equal(new Set(s.map((x) => x.id)).size, 80);
    });

    it("a process killed (SIGKILL) in the middle of an import leaves the store as it was", { timeout: 180_000 }, async () => {
      const url = await c.target.freshUrl();
      const store = await c.open(url);
      await importDevices(store, [{ device_id: "before-1" }, { device_id: "before-2" }]);
      await store.fleet.upsertModels([{ model_id: "kept" }]);
      const before = await store.fleet.counts();
      const h = child(["import-hang", url]);
      await waitFor(() => h.stdout().includes("ready"), "the import to be half-way");
      h.p.kill("SIGKILL");
      const r = await h.exited;
      assert.equal(r.signal, "SIGKILL", r.err);
      assert.deepEqual(await store.fleet.counts(), before);
      assert.deepEqual((await store.fleet.models()).map((m) => m.model_id), ["kept"]);
      const again = await importDevices(store, [{ device_id: "before-1" }, { device_id: "after" }]);
      assert.equal(again.summary.missingCount, 1, "the store takes the next import normally");
    });

    it("a snapshot reads the store as it began, holds up no writer and writes nothing", async () => {
      const store = await c.fresh();
      assert.equal(store.canSnapshot, true);
      await store.fleet.upsertModels([{ model_id: "before" }]);
      const seen = await store.snapshot(async (view) => {
        assert.deepEqual((await view.fleet.models()).map((m) => m.model_id), ["before"]);
        // A write on the store commits while the snapshot is open (on SQLite: the writer does not wait for a reader).
        await store.transaction((tx) => tx.fleet.upsertModels([{ model_id: "during" }]));
        assert.deepEqual((await store.fleet.models()).map((m) => m.model_id).sort(), ["before", "during"]);
        await assert.rejects(view.fleet.upsertModels([{ model_id: "through-the-view" }]));
        await assert.rejects(view.transaction(async () => undefined), /read-only/);
        return (await view.fleet.models()).map((m) => m.model_id);
      });
      assert.deepEqual(seen, ["before"], "the snapshot does not see commits after it began");
      assert.deepEqual((await store.fleet.models()).map((m) => m.model_id).sort(), ["before", "during"]);
    });

    it("says what it is and which schema it has", async () => {
      const store = await c.fresh();
      assert.equal(store.engine, c.target.name);
      assert.ok(store.location.length > 0);
      const v = await store.schemaVersions();
      for (const area of ["alerts", "certify", "findings", "fleet", "vulns"]) assert.ok((v[area] ?? 0) >= 1, `${area} is migrated`);
    });
  });
}
