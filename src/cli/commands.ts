/** Every CLI command; a new command is one file plus one line here. */
import { certifyCommand } from "./certify.ts";
import type { CommandModule } from "./command.ts";
import { importCommand } from "./import.ts";
import { rulesCommand } from "./rules.ts";
import { scanCommand } from "./scan.ts";
import { demoCommand } from "./demo.ts";
import { findingsCommand } from "./findings.ts";
import { forecastCommand } from "./forecast.ts";
import { suppressCommand } from "./suppress.ts";
import { vulnsCommand } from "./vulns.ts";
import { alertsCommand } from "./alerts.ts";
import { detectCommand } from "./detect.ts";
import { detectorsCommand } from "./detectors.ts";
import { simulateCommand } from "./simulate.ts";
import { storeCommand } from "./store-cmd.ts";
import { intelCommand } from "./intel.ts";
import { mudExportCommand } from "./mud.ts";
import { privacyCommand } from "./privacy.ts";
import { respondCommand } from "./respond.ts";
import { publishCommand } from "./publish.ts";
import { whatifCommand } from "./whatif.ts";
import { serveCommand } from "./serve.ts";
import { tokenCommand } from "./token.ts";
import { accountCommand } from "./account.ts";
import { workerCommand } from "./worker.ts";

export const commands: CommandModule[] = [demoCommand, scanCommand, forecastCommand, findingsCommand, suppressCommand, importCommand, vulnsCommand, rulesCommand, certifyCommand, detectCommand, alertsCommand, detectorsCommand, simulateCommand, privacyCommand, intelCommand, mudExportCommand, respondCommand, whatifCommand, storeCommand, publishCommand, serveCommand, tokenCommand, accountCommand, workerCommand];
