/**
 * A fleet with several findings per device (open services, SIM settings, shared and default passwords: about 3.3 per
 * device), so a scan writes many batches: devices.csv and credentials.csv in `dir`. Shared by
 * test/audit/scan-chunked.test.ts and bench/scan-lock.ts.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export function writeFleet(dir: string, n: number): { inventory: string; credentials: string } {
  const devices = ["device_id,model_id,firmware_version,iccid,sim_imei_lock,sim_public_ip,open_services"];
  const creds = ["device_id,model_id,service,username,password"];
  for (let i = 0; i < n; i++) {
    devices.push(`d-${i},${i % 2 ? "meter" : "gw"},1.${i % 3},,${i % 4 === 0},${i % 3 === 0},${i % 2 === 0 ? "telnet:23" : "adb:5555;ssh:22"}`);
    if (i % 3 === 0) creds.push(`d-${i},,ssh,root,${i % 6 === 0 ? "admin" : `shared-${i % 60}`}`);
  }
  writeFileSync(join(dir, "devices.csv"), devices.join("\n") + "\n");
  writeFileSync(join(dir, "credentials.csv"), creds.join("\n") + "\n");
  return { inventory: join(dir, "devices.csv"), credentials: join(dir, "credentials.csv") };
}
