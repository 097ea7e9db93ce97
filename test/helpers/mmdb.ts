/**
 * Writes a tiny MaxMind DB (.mmdb, format 2.0) for tests: an IPv4 search tree with 24-bit records and a data section
 * of `{country: {iso_code}}` maps, as GeoLite2-Country has them. Written from the published format description, so a
 * test exercises the real reader (maxmind/mmdb-lib) on a file we control.
 */
import { writeFileSync } from "node:fs";

type Value = string | number | bigint | Value[] | { [k: string]: Value };

function control(type: number, size: number): number[] {
  const head: number[] = [];
  let sz = size;
  const extra: number[] = [];
  if (size >= 65821) throw new Error("too big");
  if (size >= 285) {
    sz = 30;
    const v = size - 285;
    extra.push(v >> 8, v & 0xff);
  } else if (size >= 29) {
    sz = 29;
    extra.push(size - 29);
  }
  if (type <= 7) head.push((type << 5) | sz);
  else head.push(sz, type - 7);
  return [...head, ...extra];
}

function uintBytes(n: bigint): number[] {
  const out: number[] = [];
  while (n > 0n) {
    out.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return out;
}

export function encode(v: Value): number[] {
  if (typeof v === "string") {
    const b = [...Buffer.from(v, "utf8")];
    return [...control(2, b.length), ...b];
  }
  if (typeof v === "number" || typeof v === "bigint") {
    const b = uintBytes(BigInt(v));
    const type = typeof v === "bigint" ? 9 : v > 0xffff ? 6 : 5;
    return [...control(type, b.length), ...b];
  }
  if (Array.isArray(v)) return [...control(11, v.length), ...v.flatMap(encode)];
  const entries = Object.entries(v);
  return [...control(7, entries.length), ...entries.flatMap(([k, x]) => [...encode(k), ...encode(x)])];
}

interface Node {
  l: Node | number | null;
  r: Node | number | null;
}

/** `networks`: CIDR → ISO country code. */
export function writeCountryMmdb(path: string, networks: Record<string, string>): void {
  const data: number[] = [];
  const offsets = new Map<string, number>();
  const root: Node = { l: null, r: null };
  for (const [cidr, cc] of Object.entries(networks)) {
    let off = offsets.get(cc);
    if (off === undefined) {
      off = data.length;
      offsets.set(cc, off);
      data.push(...encode({ country: { iso_code: cc, names: { en: cc } } }));
    }
    const [ip, len] = cidr.split("/");
    const bits = Number(len);
    const n = ip!.split(".").reduce((a, x) => a * 256 + Number(x), 0);
    let node = root;
    for (let i = 0; i < bits; i++) {
      const bit = Math.floor(n / 2 ** (31 - i)) % 2;
      const side = bit ? "r" : "l";
      if (i === bits - 1) node[side] = off;
      else {
        let next = node[side];
        if (typeof next !== "object" || next === null) {
          next = { l: typeof next === "number" ? next : null, r: typeof next === "number" ? next : null };
          node[side] = next;
        }
        node = next;
      }
    }
  }
  const nodes: Node[] = [];
  const queue = [root];
  while (queue.length) {
    const x = queue.shift()!;
    nodes.push(x);
    for (const c of [x.l, x.r]) if (c && typeof c === "object") queue.push(c);
  }
  const index = new Map(nodes.map((x, i) => [x, i]));
  const count = nodes.length;
  const rec = (c: Node | number | null) => (c === null ? count : typeof c === "number" ? count + 16 + c : index.get(c)!);
  const tree: number[] = [];
  for (const x of nodes) for (const c of [x.l, x.r]) {
    const v = rec(c);
    tree.push((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
  }
  const meta = encode({
    node_count: count,
    record_size: 24,
    ip_version: 4,
    database_type: "Longwatch-Test-Country",
    languages: ["en"],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1764547200n,
    description: { en: "Test fixture: made-up country assignments" },
  });
  const marker = [0xab, 0xcd, 0xef, ...Buffer.from("MaxMind.com")];
  writeFileSync(path, Buffer.from([...tree, ...Array<number>(16).fill(0), ...data, ...marker, ...meta]));
}
