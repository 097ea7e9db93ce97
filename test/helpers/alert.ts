/** A well-formed alert for transport tests; fields can be overridden. */
import type { Alert } from "../../src/core/record.ts";

export function sampleAlert(over: Partial<Alert> = {}): Alert {
  return {
    id: "al-0001",
    detector: "volume-anomaly",
    device_id: "meter-42",
    model_id: "acme-m1",
    key: "bytes_out",
    severity: "high",
    confidence: 0.91,
    first_seen: "2026-03-01T10:00:00Z",
    last_seen: "2026-03-01T10:05:00Z",
    count: 1,
    summary: "meter-42 sent 48.2 MB in an hour; its usual is 1.1 MB (44× more).",
    action: "Check what the device is sending and to whom; quarantine it if the destination is unknown.",
    evidence: { observed: 48_200_000, baseline: 1_100_000, record: { at: "flows.csv:17" } },
    state: "open",
    verification: "unknown",
    ...over,
  };
}
