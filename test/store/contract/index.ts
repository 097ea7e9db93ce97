/** Every area's contract tests, for one adapter. */
import { accessContract } from "./access.ts";
import { alertsContract } from "./alerts.ts";
import { assessmentsContract } from "./assessments.ts";
import { type ContractTarget, contractContext } from "./context.ts";
import { findingsContract } from "./findings.ts";
import { fleetContract } from "./fleet.ts";
import { flowsContract } from "./flows.ts";
import { graphContract } from "./graph.ts";
import { liveContract } from "./live.ts";
import { listsContract } from "./lists.ts";
import { responsesContract } from "./responses.ts";
import { scaleContract } from "./scale.ts";
import { transactionContract } from "./transactions.ts";
import { vulnsContract } from "./vulns.ts";

export function storeContract(target: ContractTarget): void {
  const c = contractContext(target);
  transactionContract(c);
  fleetContract(c);
  findingsContract(c);
  vulnsContract(c);
  alertsContract(c);
  assessmentsContract(c);
  flowsContract(c);
  responsesContract(c);
  scaleContract(c);
  graphContract(c);
  accessContract(c);
  liveContract(c);
  listsContract(c);
}
