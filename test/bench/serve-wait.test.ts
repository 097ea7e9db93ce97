import assert from "node:assert/strict";
import { test } from "node:test";
import { BenchStalled, waitFor } from "../../bench/serve-wait.ts";

test("waitFor ends with what it waited for once nothing moves (a lost message never arrives)", async () => {
  let taken = 0;
  const grow = setInterval(() => taken < 300 && (taken += 100), 5);
  const t0 = performance.now();
  try {
    await assert.rejects(
      waitFor("500 messages", { done: () => taken >= 500, progress: () => taken, status: () => `taken ${taken}`, stallMs: 150, pollMs: 5 }),
      (e: unknown) => e instanceof BenchStalled && /waiting for 500 messages: nothing moved for 0 s; taken 300$/.test((e as Error).message),
    );
  } finally {
    clearInterval(grow);
  }
  // It waited while things moved, and then only about stallMs more.
  assert.ok(performance.now() - t0 < 2000);
});

test("waitFor stops at once with a failure's reason, and resolves when done", async () => {
  let exited: string | undefined;
  setTimeout(() => (exited = "it exited (SIGKILL)"), 20);
  await assert.rejects(waitFor("the subscriber", { done: () => false, progress: () => 0, status: () => "taken 0", failed: () => exited, stallMs: 60_000, pollMs: 5 }), /waiting for the subscriber: it exited \(SIGKILL\); taken 0/);
  let polled = 0;
  await waitFor("three polls", { poll: async () => void polled++, done: () => polled >= 3, progress: () => polled, status: () => "", stallMs: 60_000, pollMs: 1 });
  assert.equal(polled, 3);
});
