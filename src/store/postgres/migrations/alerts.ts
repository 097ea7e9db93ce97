import type { Migration } from "../migrate.ts";

export const alertMigrations: Migration[] = [
  {
    area: "alerts",
    version: 1,
    up: `
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        detector TEXT NOT NULL, device_id TEXT NOT NULL, model_id TEXT, key TEXT NOT NULL,
        severity TEXT NOT NULL, confidence DOUBLE PRECISION NOT NULL,
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, count INTEGER NOT NULL,
        summary TEXT NOT NULL, action TEXT NOT NULL, evidence TEXT NOT NULL,
        state TEXT NOT NULL, verification TEXT NOT NULL, note TEXT,
        feedback_pending BOOLEAN NOT NULL DEFAULT false,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX alerts_last_seen ON alerts (last_seen DESC, id);
      CREATE INDEX alerts_device ON alerts (device_id);
      CREATE INDEX alerts_detector ON alerts (detector);
      CREATE INDEX alerts_state ON alerts (state, last_seen DESC);
      CREATE INDEX alerts_feedback ON alerts (updated_at, id) WHERE feedback_pending;
      CREATE TABLE alert_suppressions (
        id BIGSERIAL PRIMARY KEY, detector TEXT NOT NULL, device_id TEXT, key TEXT,
        reason TEXT NOT NULL, expires TEXT, created_at TEXT NOT NULL
      );
    `,
  },
  {
    area: "alerts",
    version: 2,
    up: `
      ALTER TABLE alerts ADD COLUMN assignee TEXT;
      CREATE TABLE alert_events (
        id BIGSERIAL PRIMARY KEY, alert_id TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        from_value TEXT, to_value TEXT, comment TEXT
      );
      CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
    `,
  },
  {
    area: "alerts",
    version: 3,
    // Alert lists: each filter with the time order after it (ties by id), byte order like the lists sort.
    up: `
      DROP INDEX alerts_last_seen;
      DROP INDEX alerts_device;
      DROP INDEX alerts_detector;
      DROP INDEX alerts_state;
      CREATE INDEX alerts_last_seen ON alerts (last_seen COLLATE "C", id COLLATE "C");
      CREATE INDEX alerts_first_seen ON alerts (first_seen COLLATE "C", id COLLATE "C");
      CREATE INDEX alerts_device ON alerts (device_id, last_seen COLLATE "C", id COLLATE "C");
      CREATE INDEX alerts_detector ON alerts (detector, last_seen COLLATE "C", id COLLATE "C");
      CREATE INDEX alerts_state ON alerts (state, last_seen COLLATE "C", id COLLATE "C");
      CREATE INDEX alerts_severity ON alerts ((CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END), id COLLATE "C");
      CREATE INDEX alert_events_at ON alert_events (at COLLATE "C", id);
    `,
  },
  {
    area: "overview",
    version: 1,
    // What the overview counts over the alerts, each one pass over a small index instead of the table: alerts raised
    // per day, all and high or critical (first_seen with severity), and open alerts by severity (only the alerts not
    // resolved are in that index). Its own area, so it takes no alerts version another change may need.
    up: `
      CREATE INDEX alerts_first_seen_severity ON alerts (first_seen COLLATE "C", severity);
      CREATE INDEX alerts_open_severity ON alerts (severity) WHERE state <> 'resolved';
    `,
  },
  {
    area: "overview",
    version: 2,
    // The devices the store holds that detection has seen (an alert or a flow observation): coverage's "no traffic"
    // counts these rows instead of probing the fleet for every device in the alerts and flows (0.7 s at 100,000
    // alerts on PostgreSQL). Kept by the alert and flow writes and rebuilt at every import (list-sql.ts).
    up: `
      CREATE TABLE traffic_devices (device_id TEXT PRIMARY KEY);
      INSERT INTO traffic_devices (device_id) SELECT s.device_id FROM (SELECT device_id FROM flow_observations UNION SELECT device_id FROM alerts) s WHERE EXISTS (SELECT 1 FROM devices d WHERE d.device_id = s.device_id);
    `,
  },
];
