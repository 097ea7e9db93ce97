import { StringArena, StringIndex } from "../../core/string-index.ts";

/**
 * Collects devices under a key (a model, a model + firmware …) for rules whose finding is about a group: one finding
 * per group, listing every device in it. For keys that nearly every device has its own of, see DuplicateKeys.
 */
export class DeviceGroups<T = undefined> {
  private readonly groups = new Map<string, { devices: string[]; info: T }>();

  /** Adds a device; returns the group's info (the one given when the group was created), for rules that update it. */
  add(key: string, deviceId: string, info: T): T {
    const g = this.groups.get(key);
    if (g) {
      g.devices.push(deviceId);
      return g.info;
    }
    this.groups.set(key, { devices: [deviceId], info });
    return info;
  }

  /** The groups in key order, so reports come out the same on every run. */
  *entries(): IterableIterator<[string, { devices: string[]; info: T }]> {
    for (const key of [...this.groups.keys()].sort()) yield [key, this.groups.get(key)!];
  }
}

/**
 * Finds the keys (IMEIs, ICCIDs, client ids, key fingerprints …) that several devices share. Nearly every key belongs
 * to one device and a fleet has millions of them, so keys are numbered by a StringIndex, each key's first device and
 * its detail (whatever the finding needs to say about it) wait in a StringArena, and only a key seen twice becomes a
 * group.
 */
export class DuplicateKeys {
  private readonly index = new StringIndex();
  /** Entries 2n and 2n + 1: key n's first device and its detail. */
  private readonly first = new StringArena();
  private readonly groups = new Map<string, { devices: string[]; details: string[] }>();

  add(key: string, deviceId: string, detail = ""): void {
    const n = this.index.add(key);
    if (2 * n === this.first.count) {
      this.first.push(deviceId);
      this.first.push(detail);
      return;
    }
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { devices: [this.first.get(2 * n)], details: [this.first.get(2 * n + 1)] }));
    g.devices.push(deviceId);
    g.details.push(detail);
  }

  /** Keys with two or more devices, in key order (so reports come out the same on every run), with each device's detail. */
  *entries(): IterableIterator<[string, { devices: string[]; details: string[] }]> {
    for (const key of [...this.groups.keys()].sort()) yield [key, this.groups.get(key)!];
  }
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
