const EMPTY = 0;
const MIN_CAPACITY = 1_024;
const MAX_LOAD = 0.8;

/**
 * The ids seen in a file, in 12 bytes each where a `Map` of the strings takes about 80:
 * a 64-bit hash of each id (two independent 32-bit hashes) and the line it was first seen
 * on, in three typed arrays of an open-addressed table.
 *
 * A hash match is only a likely duplicate (two different ids of a million-line file share
 * a 64-bit hash with odds of about 1 in 30 million): {@link firstLineOf} answers the line the
 * hash was first seen on, and the caller checks the two ids exactly.
 */
export class CustomIdSet {
  #low: Uint32Array;
  #high: Uint32Array;
  #lines: Uint32Array;
  #size = 0;
  readonly #hash: ((id: string) => readonly [low: number, high: number]) | undefined;

  /** `hash` stands in for the 64-bit hash (as two unsigned 32-bit halves): tests make ids collide with it. */
  constructor(options: { capacity?: number; hash?: (id: string) => readonly [low: number, high: number] } = {}) {
    this.#hash = options.hash;
    this.#low = new Uint32Array(Math.max(MIN_CAPACITY, options.capacity ?? MIN_CAPACITY));
    this.#high = new Uint32Array(this.#low.length);
    this.#lines = new Uint32Array(this.#low.length);
  }

  /** Ids recorded. */
  get size(): number {
    return this.#size;
  }

  /** Bytes the table holds. */
  get bytes(): number {
    return this.#low.byteLength * 3;
  }

  /** Makes room for `ids` ids in all, at once (one allocation instead of several as the table grows). */
  reserve(ids: number): void {
    const capacity = Math.ceil(ids / MAX_LOAD) + 1;
    if (capacity > this.#low.length) this.#resize(capacity);
  }

  /**
   * The line an id with the same hash was first seen on; undefined (and the id recorded as
   * first seen on `lineNumber`, a positive number) if none was.
   */
  firstLineOf(id: string, lineNumber: number): number | undefined {
    if ((this.#size + 1) / this.#low.length > MAX_LOAD) this.#resize(Math.ceil(this.#low.length * 1.5));
    // The two halves computed in place, not as a pair: no array per id on the default path.
    const custom = this.#hash?.(id);
    const low = custom ? custom[0] : fnv1a(id);
    const high = custom ? custom[1] : murmurish(id);
    const lows = this.#low;
    const capacity = lows.length;
    let slot = low % capacity;
    for (;;) {
      const line = this.#lines[slot]!;
      if (line === EMPTY) break;
      if (lows[slot] === low && this.#high[slot] === high) return line;
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
    lows[slot] = low;
    this.#high[slot] = high;
    this.#lines[slot] = lineNumber;
    this.#size += 1;
    return undefined;
  }

  #resize(capacity: number): void {
    const [lows, highs, lines] = [this.#low, this.#high, this.#lines];
    this.#low = new Uint32Array(capacity);
    this.#high = new Uint32Array(capacity);
    this.#lines = new Uint32Array(capacity);
    for (let old = 0; old < lows.length; old += 1) {
      const line = lines[old]!;
      if (line === EMPTY) continue;
      let slot = lows[old]! % capacity;
      while (this.#lines[slot] !== EMPTY) slot = slot + 1 === capacity ? 0 : slot + 1;
      this.#low[slot] = lows[old]!;
      this.#high[slot] = highs[old]!;
      this.#lines[slot] = line;
    }
  }
}

/** FNV-1a over the UTF-16 code units, 32 bits, finalised so that its low bits place well. */
function fnv1a(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return mix(hash);
}

/** A second 32-bit hash, independent of {@link fnv1a}: murmur3's mixing of each code unit. */
function murmurish(id: string): number {
  let hash = 0x9747b28c ^ id.length;
  for (let i = 0; i < id.length; i += 1) {
    let k = Math.imul(id.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    hash ^= k;
    hash = Math.imul((hash << 13) | (hash >>> 19), 5) + 0xe6546b64;
  }
  return mix(hash);
}

/** murmur3's finaliser: spreads a 32-bit hash over all its bits. */
function mix(value: number): number {
  let hash = value;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
