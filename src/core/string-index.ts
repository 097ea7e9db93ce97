/**
 * Tables keyed by millions of strings (device ids, IMEIs, ICCIDs …) without a JS string or Map entry per key. At a
 * million keys a Map costs several times the memory and time, most of it in the garbage collector, which has to keep
 * copying the retained strings; here the characters are copied into one typed array and the strings die young.
 */

/**
 * Strings appended to one byte arena and read back by number (0, 1, 2 … in the order added). Identifiers are almost
 * always Latin-1, one byte a character; a string with a wider character is kept aside as it is.
 */
export class StringArena {
  private chars = new Uint8Array(1 << 12);
  private used = 0;
  /** starts[n] … starts[n + 1] are string n's characters (none for a wide string). */
  private starts = new Int32Array(1 << 10);
  private wide: Map<number, string> | undefined;
  count = 0;

  push(s: string): number {
    if (this.used + s.length > this.chars.length) this.chars = grown(this.chars, this.used + s.length);
    if (this.count + 2 > this.starts.length) this.starts = grown(this.starts, this.count + 2);
    const n = this.count;
    let narrow = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) {
        narrow = false;
        break;
      }
      this.chars[this.used + i] = c;
    }
    if (narrow) this.used += s.length;
    else (this.wide ??= new Map()).set(n, s);
    this.starts[++this.count] = this.used;
    return n;
  }

  get(n: number): string {
    const w = this.wide?.get(n);
    if (w !== undefined) return w;
    const s = this.starts[n]!;
    const e = this.starts[n + 1]!;
    let out = "";
    // In slices: String.fromCharCode takes its arguments on the stack.
    for (let i = s; i < e; i += 4096) out += String.fromCharCode(...this.chars.subarray(i, Math.min(e, i + 4096)));
    return out;
  }

  equals(n: number, key: string): boolean {
    if (this.wide !== undefined) {
      const w = this.wide.get(n);
      if (w !== undefined) return w === key;
    }
    const s = this.starts[n]!;
    if (this.starts[n + 1]! - s !== key.length) return false;
    // A key with a wide character never equals narrow bytes: its code unit exceeds every byte.
    for (let i = 0; i < key.length; i++) if (this.chars[s + i] !== key.charCodeAt(i)) return false;
    return true;
  }
}

/**
 * Numbers strings densely (0, 1, 2 … in the order first seen): an open-addressing table (a 32-bit hash and the number
 * per slot, at most half full) over a StringArena. A lookup compares the key itself, so a hash collision never confuses two keys.
 */
export class StringIndex {
  /** Two ints per slot, side by side so a probe touches one cache line: the key's hash and its number + 1 (0 = empty). */
  private table = new Int32Array(2 << 10);
  private readonly keys = new StringArena();

  get size(): number {
    return this.keys.count;
  }

  /** The key's number, giving it the next one if it is new (then the result equals the size before the call). */
  add(key: string): number {
    const h = hashString(key);
    const t = this.table;
    const mask = (t.length >> 1) - 1;
    let i = h & mask;
    for (let n = t[2 * i + 1]!; n !== 0; i = (i + 1) & mask, n = t[2 * i + 1]!) {
      if (t[2 * i] === h && this.keys.equals(n - 1, key)) return n - 1;
    }
    const n = this.keys.push(key);
    t[2 * i] = h;
    t[2 * i + 1] = n + 1;
    if (this.keys.count * 4 > t.length) this.rehash();
    return n;
  }

  keyAt(n: number): string {
    return this.keys.get(n);
  }

  private rehash(): void {
    const old = this.table;
    const t = new Int32Array(old.length * 2);
    const mask = (t.length >> 1) - 1;
    for (let j = 0; j < old.length; j += 2) {
      if (old[j + 1] === 0) continue;
      let i = old[j]! & mask;
      while (t[2 * i + 1] !== 0) i = (i + 1) & mask;
      t[2 * i] = old[j]!;
      t[2 * i + 1] = old[j + 1]!;
    }
    this.table = t;
  }
}

function grown<A extends Uint8Array | Int32Array>(a: A, need: number): A {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const b = new (a.constructor as new (n: number) => A)(size);
  b.set(a);
  return b;
}

/** FNV-1a over UTF-16 code units with a final mix, so that keys differing only in their last digits spread out. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}
