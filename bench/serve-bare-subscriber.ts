/**
 * The baseline of bench:serve's MQTT figure, in its own process as the service is: a bare mqtt.js subscriber (MQTT 5,
 * QoS 1, the same receive maximum the service advertises) that only parses each message's JSON. Prints `ready` once
 * subscribed, `n <messages>` every 100 (the bench paces its publisher by it) and `done <ms> cpu <s>` (first message to
 * the last; CPU seconds used since `ready`) after `count` messages — its own count, as it may exit before the bench reads /proc. Args: broker topic-filter count
 * [session mode]: with a session id, a persistent session under that client id — mode `subscribe` subscribes, prints
 * `done 0 cpu 0` and leaves (the broker queues what comes for it), mode `drain` comes back and takes what was queued.
 *
 * It never reconnects: with a clean session a reconnect would drop the subscription's undelivered messages and the
 * count would silently never be reached. A connection error, a DISCONNECT from the broker or a close before `count`
 * prints `fail <why>` and exits 2, so the bench stops at once with the reason.
 */
import mqtt from "mqtt";

const [broker, filter, countText, session, mode] = process.argv.slice(2);
const count = Number(countText);
let n = 0;
let sum = 0;
let first = 0;
let finished = false;
let cpu0 = process.cpuUsage();
const fail = (why: string) => {
  if (finished) return;
  finished = true;
  process.stdout.write(`fail ${why} after ${n} of ${count} messages\n`);
  process.exit(2);
};
const persistent = session ? { clientId: session, clean: false, properties: { receiveMaximum: 1000, sessionExpiryInterval: 3600 } } : { clean: true, properties: { receiveMaximum: 1000 } };
// Listeners first, then the connection: a resumed session's queued messages can come in the packet after CONNACK.
const sub = mqtt.connect(broker!, { protocolVersion: 5, reconnectPeriod: 0, ...persistent });
sub.on("error", (e) => fail(`connection error: ${e.message}`));
sub.on("disconnect", (p) => fail(`the broker disconnected it (reason ${p.reasonCode ?? "?"})`));
sub.on("close", () => fail("the connection closed"));
sub.on("message", (_t, p) => {
  if (n === 0) first = performance.now();
  for (const line of p.toString("utf8").split("\n")) if (line) sum += (JSON.parse(line) as { value?: number }).value ?? 1;
  if (++n % 100 === 0) process.stdout.write(`n ${n}\n`);
  if (n === count) {
    finished = true;
    const cpu = process.cpuUsage(cpu0);
    // `sum` is printed so the parsing cannot be optimised away.
    process.stdout.write(`done ${(performance.now() - first).toFixed(1)} cpu ${((cpu.user + cpu.system) / 1e6).toFixed(3)} ${sum}\n`);
    void sub.endAsync().then(() => process.exit(0));
  }
});
await new Promise<void>((ok) => sub.once("connect", () => ok()));
if (mode === "subscribe") {
  await sub.subscribeAsync(filter!, { qos: 1 });
  finished = true;
  await sub.endAsync();
  process.stdout.write("done 0 cpu 0 0\n");
  process.exit(0);
}
// A drain resumes its session: the subscription is the broker's already, and the queued messages start at once.
if (mode !== "drain") await sub.subscribeAsync(filter!, { qos: 1 });
cpu0 = process.cpuUsage();
process.stdout.write("ready\n");
