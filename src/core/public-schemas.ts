/**
 * Every public data format that has a JSON Schema in docs/schemas/, generated from these zod schemas by
 * `npm run gen:schemas`; a test fails when the committed files drift from the code.
 */
import { z } from "zod";
import { CredentialInputSchema, DeviceModelSchema, DeviceSchema } from "./fleet.ts";
import { FindingSchema } from "./finding.ts";
import { FlowsFileSchema } from "./flows.ts";
import { AlertSchema, BrokerRecordSchema, ConnectivityRecordSchema, FlowRecordSchema, MetricRecordSchema } from "./record.ts";

export const publicSchemas: Record<string, { title: string; schema: z.ZodType }> = {
  device: { title: "Longwatch device (one inventory row)", schema: DeviceSchema },
  "device-model": { title: "Longwatch device model", schema: DeviceModelSchema },
  credential: { title: "Longwatch credential (import row)", schema: CredentialInputSchema },
  finding: { title: "Longwatch finding", schema: FindingSchema },
  "connectivity-record": { title: "Longwatch connectivity event (detection record)", schema: ConnectivityRecordSchema },
  "flow-record": { title: "Longwatch network flow (detection record)", schema: FlowRecordSchema },
  "broker-record": { title: "Longwatch broker event (detection record)", schema: BrokerRecordSchema },
  "metric-record": { title: "Longwatch device metric (detection record)", schema: MetricRecordSchema },
  alert: { title: "Longwatch alert", schema: AlertSchema },
  flows: { title: "Longwatch declared flows (flows.yaml: model id → declaration)", schema: FlowsFileSchema },
};

export function jsonSchemaOf(name: string): string {
  const entry = publicSchemas[name]!;
  const json = z.toJSONSchema(entry.schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return `${JSON.stringify({ $id: `https://longwatch.dev/schemas/${name}.schema.json`, title: entry.title, ...json }, null, 2)}\n`;
}
