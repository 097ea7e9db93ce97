/** Devices and device models, read-only (the inventory changes through imports and scans). */
import { z } from "zod";
import { LongwatchError } from "../../../core/errors.ts";
import { DeviceFieldsSchema, DeviceModelSchema } from "../../../core/fleet.ts";
import type { StoredDevice } from "../../../store/store.ts";
import { COUNT_CAP, listReply, memoryPage, pageQuery, pageSchema, yieldToLoop } from "../lists.ts";
import { route } from "../route.ts";

const DeviceOut = DeviceFieldsSchema.extend({ cert_fingerprint: z.string().optional().describe("SHA-256 of the device's certificate, when it has one.") }).meta({ id: "Device" });
const ModelOut = DeviceModelSchema.meta({ id: "DeviceModel" });
const DEVICE_COLUMNS = ["device_id", "name", "model_id", "firmware_version", "country", "groups", "ip", "mac", "imei", "iccid", "deployed_at", "retire_at", "cert_fingerprint"];
/** Devices looked at per list request until the store has keyset queries for devices (totals beyond are at_least). */
const SCAN_CAP = 200_000;

const DeviceQuery = z.object({
  model_id: z.string().optional(),
  firmware_version: z.string().optional(),
  group: z.string().optional().describe("Devices in this group."),
  country: z.string().optional().describe("ISO 3166-1 alpha-2."),
  ...pageQuery,
});

function matches(d: StoredDevice, q: z.infer<typeof DeviceQuery>): boolean {
  return (q.model_id === undefined || d.model_id === q.model_id) && (q.firmware_version === undefined || d.firmware_version === q.firmware_version) && (q.group === undefined || (d.groups ?? []).includes(q.group)) && (q.country === undefined || d.country === q.country.toUpperCase());
}

export const fleetRoutes = [
  route({
    id: "devices.list",
    method: "GET",
    path: "/api/v1/devices",
    role: "viewer",
    tag: "devices",
    summary: "Devices, filtered by model, firmware, group and country",
    query: DeviceQuery,
    response: pageSchema(DeviceOut, "Device"),
    alsoProduces: ["text/csv"],
    handler: async (ctx) => {
      const rows: StoredDevice[] = [];
      let seen = 0;
      let capped = false;
      for await (const page of ctx.store.fleet.devicePages(250)) {
        for (const fd of page) if (matches(fd.device, ctx.query)) rows.push(fd.device);
        seen += page.length;
        if (rows.length > COUNT_CAP || seen >= SCAN_CAP) {
          capped = true;
          break;
        }
        await yieldToLoop();
      }
      return listReply(ctx, memoryPage("devices", ctx.query.page_token, ctx.query.page_size, rows, capped), DEVICE_COLUMNS);
    },
  }),
  route({
    id: "devices.get",
    method: "GET",
    path: "/api/v1/devices/{id}",
    role: "viewer",
    tag: "devices",
    summary: "One device",
    params: z.object({ id: z.string().min(1) }),
    response: DeviceOut,
    handler: async (ctx) => {
      const d = await ctx.store.fleet.getDevice(ctx.params.id);
      if (!d) throw new LongwatchError("not_found", `no device ${ctx.params.id}`, { device_id: ctx.params.id });
      return d.device;
    },
  }),
  route({
    id: "models.list",
    method: "GET",
    path: "/api/v1/models",
    role: "viewer",
    tag: "models",
    summary: "Device models, by model_id",
    query: z.object({ manufacturer: z.string().optional(), ...pageQuery }),
    response: pageSchema(ModelOut, "DeviceModel"),
    alsoProduces: ["text/csv"],
    handler: async (ctx) => {
      const models = (await ctx.store.fleet.models()).filter((m) => ctx.query.manufacturer === undefined || m.manufacturer === ctx.query.manufacturer);
      return listReply(ctx, memoryPage("models", ctx.query.page_token, ctx.query.page_size, models, false), ["model_id", "manufacturer", "name", "hardware_version", "ota_capable", "support_end", "data_only"]);
    },
  }),
  route({
    id: "models.get",
    method: "GET",
    path: "/api/v1/models/{id}",
    role: "viewer",
    tag: "models",
    summary: "One device model",
    params: z.object({ id: z.string().min(1) }),
    response: ModelOut,
    handler: async (ctx) => {
      const m = (await ctx.store.fleet.models()).find((x) => x.model_id === ctx.params.id);
      if (!m) throw new LongwatchError("not_found", `no model ${ctx.params.id}`, { model_id: ctx.params.id });
      return m;
    },
  }),
];
