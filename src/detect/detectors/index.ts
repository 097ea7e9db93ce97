/** Every detector. Adding one is one file plus one line here; the engine never names them. */
import type { Detector } from "../detector.ts";
import { authFailureBurst } from "./auth-failure-burst.ts";
import { beaconing } from "./beaconing.ts";
import { connectStorm } from "./connect-storm.ts";
import { ddosParticipation } from "./ddos-participation.ts";
import { deviceSilent } from "./device-silent.ts";
import { disconnectStorm } from "./disconnect-storm.ts";
import { fleetCampaign } from "./fleet-campaign.ts";
import { horizontalScan } from "./horizontal-scan.ts";
import { impossibleTravel } from "./impossible-travel.ts";
import { newDestination } from "./new-destination.ts";
import { simSwap } from "./sim-swap.ts";
import { smsOnDataSim } from "./sms-on-data-sim.ts";
import { unexpectedNetwork } from "./unexpected-network.ts";
import { verticalScan } from "./vertical-scan.ts";
import { volumeAnomaly } from "./volume-anomaly.ts";
import { undeclaredFlow } from "./undeclared-flow.ts";
import { dataResidency } from "./data-residency.ts";
import { locationToThirdParty } from "./location-to-third-party.ts";
import { mudViolation } from "./mud-violation.ts";
import { watchlistHit } from "./watchlist-hit.ts";

export const allDetectors: readonly Detector[] = [
  volumeAnomaly,
  newDestination,
  horizontalScan,
  verticalScan,
  beaconing,
  ddosParticipation,
  simSwap,
  unexpectedNetwork,
  impossibleTravel,
  smsOnDataSim,
  authFailureBurst,
  connectStorm,
  disconnectStorm,
  deviceSilent,
  fleetCampaign,
  undeclaredFlow,
  dataResidency,
  locationToThirdParty,
  mudViolation,
  watchlistHit,
];

export function findDetector(id: string): Detector | undefined {
  return allDetectors.find((d) => d.id === id);
}
