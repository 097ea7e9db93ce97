import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FlowInput, FlowObservation } from "../../../src/store/flows.ts";
import type { ContractContext } from "./context.ts";

function obs(over: Partial<FlowObservation>): FlowObservation {
  return {
    device_id: "d1",
    model_id: "m1",
    day: "2026-11-24",
    destination: "mqtt.acme.example",
    address: "198.51.100.1",
    port: 8883,
    protocol: "tcp",
    direction: "from-device",
    name_source: "record",
    local: false,
    party: "first",
    categories: ["location"],
    declared: true,
    flows: 2,
    bytes_out: 100,
    bytes_in: 50,
    first_seen: "2026-11-24T01:00:00Z",
    last_seen: "2026-11-24T02:00:00Z",
    ...over,
  };
}

export function flowsContract(c: ContractContext): void {
  describe(`flows (${c.target.name})`, () => {
    it("adds up observations of the same device, day and destination, and summarises a model per day", async () => {
      const store = await c.fresh();
      await store.flows.record([obs({}), obs({ device_id: "d2", country: "DE", owner: "Ãcme ✓" }), obs({ day: "2026-11-25", destination: "tracker.example", party: "tracker", declared: false })]);
      await store.flows.record([obs({ flows: 3, bytes_out: 1, first_seen: "2026-11-24T00:30:00Z" })]);
      const days = await store.flows.modelDays("m1", "2026-11-24", "2026-11-26");
      assert.deepEqual(days.map((d) => [d.day, d.destination, d.devices, d.flows, d.bytes_out]), [
        ["2026-11-24", "mqtt.acme.example", 2, 7, 201],
        ["2026-11-25", "tracker.example", 1, 2, 100],
      ]);
      assert.equal(days[1]!.declared, false);
      assert.equal(await store.flows.modelDevices("m1", "2026-11-24", "2026-11-25"), 2);
      assert.deepEqual(await store.flows.modelDays("m1", "2026-11-26", "2026-11-27"), []);
    });

    it("answers which devices talked to an endpoint: by name, by address, by domain suffix, in pages", async () => {
      const store = await c.fresh();
      const rows = Array.from({ length: 25 }, (_, i) => obs({ device_id: `dev-${String(i).padStart(2, "0")}`, destination: i % 2 ? "a.cdn.example" : "b.cdn.example", address: `203.0.113.${i}` }));
      await store.flows.record([...rows, obs({ device_id: "other", destination: "cdn.example.evil", address: "192.0.2.1" })]);
      const all = async (e: string, pageSize = 10) => {
        const out: string[] = [];
        for await (const page of store.flows.devicesTalkingTo(e, { pageSize })) {
          assert.ok(page.length <= pageSize);
          out.push(...page.map((p) => p.device_id));
        }
        return out;
      };
      assert.equal((await all(".cdn.example")).length, 25);
      assert.deepEqual(await all("a.cdn.example"), rows.filter((_, i) => i % 2).map((r) => r.device_id));
      assert.deepEqual(await all("203.0.113.4"), ["dev-04"]);
      assert.deepEqual(await all("cdn.example.evil"), ["other"]);
      assert.deepEqual(await all("nothing.example"), []);
      const first = (await store.flows.devicesTalkingTo("203.0.113.4")[Symbol.asyncIterator]().next()).value![0]!;
      assert.equal(first.model_id, "m1");
      assert.equal(first.flows, 2);
      assert.equal((await store.flows.destinationDevices("2026-11-01", "2026-12-01")).get("a.cdn.example"), 12);
    });

    it("keeps privacy reports and replaces a watchlist source as a whole", async () => {
      const store = await c.fresh();
      await store.flows.saveReport({ model_id: "m1", created_at: "2026-11-01T00:00:00Z", doc: { n: 1 } });
      const id = await store.flows.saveReport({ model_id: "m1", created_at: "2026-11-02T00:00:00Z", doc: { n: 2, text: "Überwachung ✓" } });
      assert.deepEqual(await store.flows.latestReport("m1"), { id, model_id: "m1", created_at: "2026-11-02T00:00:00Z", doc: { n: 2, text: "Überwachung ✓" } });
      assert.equal(await store.flows.latestReport("m2"), undefined);
      const e = (value: string) => ({ indicator: `indicator--${value}`, name: value, value, kind: "domain" as const, source: "cert-x" });
      assert.equal(await store.flows.replaceWatchlist("cert-x", [e("a.example"), e("b.example")], "2026-11-01"), 2);
      assert.equal(await store.flows.replaceWatchlist("isac", [{ ...e("c.example"), source: "isac", indicator_types: ["malicious-activity"] }], "2026-11-01"), 1);
      assert.equal(await store.flows.replaceWatchlist("cert-x", [e("b.example")], "2026-11-02"), 1);
      assert.deepEqual((await store.flows.watchlist()).map((w) => [w.source, w.value]), [["cert-x", "b.example"], ["isac", "c.example"]]);
    });

    it("remembers counted inputs by head hash or path; a later count never lowers the lines; replaced heads go", async () => {
      const store = await c.fresh();
      const row = (h: string, over: Partial<FlowInput> = {}): FlowInput => ({ head_sha256: h, head_len: 4096, path: "/logs/conn.log", lines: 100, updated_at: "2026-11-24T00:00:00Z", ...over });
      await store.flows.saveInputs([row("aa"), row("bb", { path: "/logs/other.log", head_len: 10, lines: 3 })]);
      assert.deepEqual((await store.flows.inputs(["aa"], [])).map((r) => [r.head_sha256, r.lines, r.head_len]), [["aa", 100, 4096]]);
      assert.deepEqual((await store.flows.inputs([], ["/logs/other.log"])).map((r) => r.head_sha256), ["bb"]);
      assert.deepEqual((await store.flows.inputs(["aa", "zz"], ["/logs/other.log", "/nowhere"])).map((r) => r.head_sha256), ["aa", "bb"]);
      await store.flows.saveInputs([row("aa", { lines: 40, path: "/copy/conn.log" })]);
      const [a] = await store.flows.inputs(["aa"], []);
      assert.equal(a!.lines, 100, "a run that counted fewer lines does not forget the earlier count");
      assert.equal(a!.path, "/copy/conn.log");
      await store.flows.saveInputs([row("cc", { path: "/logs/other.log", head_len: 20, lines: 7 })], ["bb"]);
      assert.deepEqual((await store.flows.inputs([], ["/logs/other.log"])).map((r) => [r.head_sha256, r.lines]), [["cc", 7]]);
      assert.equal(typeof (await store.flows.inputs(["cc"], []))[0]!.lines, "number");
    });

    it("rolls back with the transaction it was written in", async () => {
      const store = await c.fresh();
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.flows.record([obs({})]);
          throw new Error("boom");
        }),
      );
      assert.deepEqual(await store.flows.modelDays("m1", "2026-01-01", "2027-01-01"), []);
    });
  });
}
