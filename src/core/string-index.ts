/**
 * Tables keyed by millions of strings (device ids, IMEIs, ICCIDs …) without a JS string or Map entry per key. At a
 * million keys a Map costs several times the memory and time, most of it in the garbage collector, which has to keep
 * copying the retained strings; here the characters are copied into one typed array and the strings die young.
 */

/** Strings appended to one UTF-16 arena and read back by number (0, 1, 2 … in the order added). */
export class StringArena {
  private chars = new Uint16Array(1 << 12);
  private used = 0;
  /** starts[n] … starts[n + 1] are string n's characters. */
  private starts = new Int32Array(1 << 10);
  count = 0;

  push(s: string): number {
    if (this.used + s.length > this.chars.length) this.chars = grown(this.chars, this.used + s.length);
    if (this.count + 2 > this.starts.length) this.starts = grown(this.starts, this.count + 2);
    for (let i = 0; i < s.length; i++) this.chars[this.used + i] = s.charCodeAt(i);
    this.used += s.length;
    this.starts[++this.count] = this.used;
    return this.count - 1;
  }

  get(n: number): string {
    const s = this.starts[n]!;
    const e = this.starts[n + 1]!;
    let out = "";
    // In slices: String.fromCharCode takes its arguments on the stack.
    for (let i = s; i < e; i += 4096) out += String.fromCharCode(...this.chars.subarray(i, Math.min(e, i + 4096)));
    return out;
  }

  equals(n: number, key: string): boolean {
    const s = this.starts[n]!;
    if (this.starts[n + 1]! - s !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (this.chars[s + i] !== key.charCodeAt(i)) return false;
    return true;
  }
}

/**
 * Numbers strings densely (0, 1, 2 … in the order first seen): an open-addressing table (a 32-bit hash and the number
 * per slot) over a StringArena. A lookup compares the key itself, so a hash collision never confuses two keys.
 */
export class StringIndex {
  private hashes = new Uint32Array(1 << 10);
  /** Number + 1 per slot; 0 = empty. */
  private slots = new Int32Array(1 << 10);
  private readonly keys = new StringArena();

  get size(): number {
    return this.keys.count;
  }

  /** The key's number, giving it the next one if it is new (then the result equals the size before the call). */
  add(key: string): number {
    const h = hashString(key);
    const mask = this.slots.length - 1;
    let i = h & mask;
    for (let n = this.slots[i]!; n !== 0; i = (i + 1) & mask, n = this.slots[i]!) {
      if (this.hashes[i] === h && this.keys.equals(n - 1, key)) return n - 1;
    }
    const n = this.keys.push(key);
    this.hashes[i] = h;
    this.slots[i] = n + 1;
    if (this.keys.count * 2 > this.slots.length) this.rehash();
    return n;
  }

  keyAt(n: number): string {
    return this.keys.get(n);
  }

  private rehash(): void {
    const hashes = new Uint32Array(this.slots.length * 2);
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let j = 0; j < this.slots.length; j++) {
      const n = this.slots[j]!;
      if (n === 0) continue;
      let i = this.hashes[j]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      hashes[i] = this.hashes[j]!;
      slots[i] = n;
    }
    this.hashes = hashes;
    this.slots = slots;
  }
}

function grown<A extends Uint16Array | Int32Array>(a: A, need: number): A {
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
  return h >>> 0;
}
