/**
 * `longwatch serve --follow conn.log` as an operator runs it, a real child process tailing a Zeek log that is written,
 * rotated by rename (a new file at the path), rotated by copytruncate, and read again after a kill -9: every line is
 * taken exactly once — none lost, none doubled — and a partial last line waits for its newline.
 */
import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { tmpDir } from "../helpers/tmp.ts";
import { metric, startServe, until } from "./support/serve-child.ts";

const HEADER = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tdevice_id\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\n";
const T0 = Date.now() - 3_600_000;

describe("longwatch serve --follow: a Zeek log tailed by the real service", () => {
  it("takes every line once across rename rotation, copytruncate and a kill -9; a partial last line waits for its newline", async (t) => {
    const tmp = tmpDir();
    const log = join(tmp.dir, "conn.log");
    let n = 0;
    // Each line is its own connection (orig_bytes = its number), in time order.
    const line = () => {
      n++;
      return `${((T0 + n * 1000) / 1000).toFixed(6)}\tdev-${n % 7}\t10.0.0.${n % 7}\t${40000 + (n % 1000)}\t52.1.1.1\t443\ttcp\t${n}\n`;
    };
    const lines = (k: number) => Array.from({ length: k }, line).join("");
    const config = tmp.write("longwatch.yaml", ["metrics_public: true", "detection:", "  idle_ms: 1000000000000000", "checkpoint:", "  interval_s: 0.5", "audit:", "  every_minutes: 0", "  on_inventory_change: false", ""].join("\n"));
    const dataDir = join(tmp.dir, "data");
    const store = `sqlite:${join(dataDir, "longwatch.db")}`;
    let svc = await startServe(dataDir, store, ["--config", config, "--follow", log]);
    after(() => svc.kill9());
    const taken = async () => metric(await svc.metrics(), "longwatch_detection_records_total") ?? 0;
    const settle = async (want: number, what: string) => {
      await until(async () => (await taken()) >= want, 30_000, `${what}: ${want} lines taken (${await taken()} so far)`);
      // Well past a few polls: nothing more arrives (a doubled line would show now).
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(await taken(), want, what);
      assert.equal(metric(await svc.metrics(), "longwatch_records_rejected_total") ?? 0, 0, `${what}: a line rejected`);
    };

    // Lines and a partial last one: the partial one is not taken until its newline is written.
    writeFileSync(log, HEADER + lines(100));
    const partial = line();
    appendFileSync(log, partial.slice(0, 20));
    await settle(100, "before the partial line's newline");
    appendFileSync(log, partial.slice(20) + lines(50));
    await settle(151, "after the newline");

    // Rotation by rename: lines written just before it (the last one without its newline) are read from the old file,
    // the new file at the path from its start.
    appendFileSync(log, lines(20).slice(0, -1));
    renameSync(log, `${log}.1`);
    writeFileSync(log, HEADER + lines(30));
    await settle(201, "after a rename rotation");

    // copytruncate (logrotate's): lines written just before the copy are read from it, then the emptied file again.
    appendFileSync(log, lines(25));
    renameSync(`${log}.1`, `${log}.2`);
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, HEADER + lines(15));
    await settle(241, "after a copytruncate");

    // kill -9, lines written while it is down, a restart: it resumes at the journaled position.
    appendFileSync(log, lines(10));
    await settle(251, "before the kill");
    await svc.kill9();
    appendFileSync(log, lines(12));
    svc = await startServe(dataDir, store, ["--config", config, "--follow", log]);
    await settle(263, "after the restart");
    const m = await svc.metrics();
    t.diagnostic(`zeek lines read since the restart ${metric(m, "longwatch_zeek_lines_total")}, lost ${metric(m, "longwatch_zeek_lost_total")}`);
    assert.equal(metric(m, "longwatch_zeek_lost_total"), 0);
    assert.equal(metric(m, "longwatch_records_rejected_total") ?? 0, 0);
    assert.equal(n, 263);
    assert.equal(await svc.stop(), 0, svc.err().slice(-2000));
  });
});
