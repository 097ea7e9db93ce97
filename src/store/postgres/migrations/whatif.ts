import type { Migration } from "../migrate.ts";

export const whatifMigrations: Migration[] = [
  {
    area: "whatif",
    version: 1,
    // The stored `whatif --all` ranking, so the dashboard and API read it instead of building the fleet graph on a
    // request. Kept per kind: ranking only some kinds replaces those and leaves the others (with their own time).
    // Each kind keeps its largest nodes (whatif/stored.ts says how many); pos is the rank within the kind, from 0.
    up: `
      CREATE TABLE whatif_ranking_kinds (
        kind TEXT PRIMARY KEY, computed_at TEXT NOT NULL, fleet_devices BIGINT NOT NULL, counted BIGINT NOT NULL, source TEXT NOT NULL
      );
      CREATE TABLE whatif_ranking_nodes (
        kind TEXT NOT NULL, pos INTEGER NOT NULL, target TEXT NOT NULL, label TEXT NOT NULL, devices BIGINT NOT NULL,
        PRIMARY KEY (kind, pos)
      );
    `,
  },
  {
    area: "whatif",
    version: 2,
    // What `whatif --all` and a CA's compromise read, as indexes (graph.ts says how each is used): the credentials in
    // secret order with their device and id, so both GROUP BYs of the credential ranking stream from an index-only
    // scan (it replaces credentials_secret, the same columns without the id, which every equality lookup of a secret
    // used and this one serves as well); and the devices by their certificate's issuer name, so a CA named by subject
    // counts its certificates from the index instead of a pass over every device.
    up: `
      CREATE INDEX credentials_secret_id ON credentials (service, username, secret_kind, secret, device_id) INCLUDE (id);
      DROP INDEX credentials_secret;
      CREATE INDEX devices_issuer_name ON devices (issuer, cert_fingerprint COLLATE "C") WHERE issuer IS NOT NULL;
    `,
  },
];
