import type { Migration } from "../migrate.ts";
import { alertMigrations } from "./alerts.ts";
import { certifyMigrations } from "./certify.ts";
import { findingMigrations } from "./findings.ts";
import { fleetMigrations } from "./fleet.ts";
import { flowMigrations } from "./flows.ts";
import { liveMigrations } from "./live.ts";
import { responseMigrations } from "./responses.ts";
import { accessMigrations } from "./access.ts";
import { vulnMigrations } from "./vulns.ts";
import { scaleMigrations } from "./scale.ts";
import { whatifMigrations } from "./whatif.ts";

/** Every area's migrations; an area adds its list here (and the same area and versions in sqlite/migrations/). */
export const allMigrations: Migration[] = [...fleetMigrations, ...findingMigrations, ...certifyMigrations, ...vulnMigrations, ...alertMigrations, ...flowMigrations, ...responseMigrations, ...scaleMigrations, ...accessMigrations, ...liveMigrations, ...whatifMigrations];
