/** The fleet: devices filtered by model, firmware, group, country and provider; one page per device. */
import { exportUrl } from "../api/client.ts";
import type { Device } from "../api/types.ts";
import { FilterBar } from "../components/filters.tsx";
import { Pager } from "../components/pager.tsx";
import { Empty, ErrorBox, Link, PageHeader, Spinner } from "../components/ui.tsx";
import { useList } from "../list.ts";

export function Devices() {
  const list = useList<Device>("/devices", ["model_id", "firmware_version", "group", "country", "provider", "missing"]);
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Devices"
        subtitle="Every device in the inventory."
        actions={<a class="btn btn-small" href={exportUrl("/devices", list.filters, "csv")}>Export CSV</a>}
      />
      <FilterBar
        query={list.filters}
        onChange={list.setFilters}
        fields={[
          { key: "model_id", label: "Model" },
          { key: "firmware_version", label: "Firmware" },
          { key: "group", label: "Group" },
          { key: "country", label: "Country", placeholder: "ISO code" },
          { key: "provider", label: "Provider" },
          { key: "missing", label: "Missing", options: ["firmware_inventory", "certificate", "credentials", "traffic"] },
        ]}
      />
      {list.error ? (
        <ErrorBox error={list.error} retry={list.reload} />
      ) : list.loading && !list.data ? (
        <Spinner />
      ) : items.length === 0 ? (
        <Empty>No devices match. Import an inventory with longwatch import fleet.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Device</th>
                <th>Model</th>
                <th>Firmware</th>
                <th>Group</th>
                <th>Country</th>
                <th>Provider</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.device_id}>
                  <td><Link href={`/devices/${encodeURIComponent(d.device_id)}`}>{d.device_id}</Link></td>
                  <td>{d.model_id ?? "—"}</td>
                  <td>{d.firmware_version ?? "—"}</td>
                  <td>{d.groups?.join(", ") || "—"}</td>
                  <td>{d.country ?? "—"}</td>
                  <td>{d.sim_provider ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && <Pager shown={items.length} total={list.data.total} nextToken={list.data.next_page_token} currentToken={list.pageToken} history={list.history} onPage={list.goToPage} />}
    </>
  );
}
