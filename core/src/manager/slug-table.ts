/**
 * Channel slug -> row (0..n-1, the order the slugs were given in), plus a few
 * Int32 words kept per slug (its "payload"), for lookups whose cost must not
 * grow with the number of channels.
 *
 * Why this layout: with thousands of channels a lookup costs the cache lines
 * it touches. A Map keyed by slug reads its bucket, its entry and the stored
 * key string: dependent reads of objects scattered over the heap. Here one
 * slot of one Int32Array holds all a lookup needs: a header (22 hash bits,
 * flags, the slug's length), the row, the payload, and the slug itself at one
 * byte per character. A lookup hashes the query (packing its characters into
 * a scratch array as it goes), then compares the slot's words with the
 * scratch: one slot read, usually one cache line. Slugs that do not fit a
 * slot (longer than the room, or with a character above U+00FF) are compared
 * with a copy of the string instead ("outline" slugs).
 *
 * With 10,000 channels, slugs of up to 12 characters and three payload
 * words: 16,384 slots of 8 words, 512 KiB.
 */
export class SlugTable {
  readonly size: number;
  /** Slots of `slotWords` words: [header, row, payload..., slug words...]; header 0 is an empty slot. */
  private readonly words: Int32Array;
  private readonly slotWords: number;
  private readonly mask: number;
  /** Characters a slot holds inline (4 per word). */
  private readonly roomChars: number;
  /** Offset of the slug's words in a slot. */
  private readonly slugAt: number;
  /** Row -> offset of its slot in `words`. */
  private readonly slotOfRow: Int32Array;
  /** Row -> its slug, for outline comparisons. */
  private readonly slugs: readonly string[];
  /** The query's packed characters, written while hashing. */
  private readonly scratch: Int32Array;

  /**
   * @param slugs one per row; a repeated slug keeps its first row.
   * @param payloadWords Int32 words kept per slug, all 0 at first.
   * @param copyOf (for `copy()`) the table to copy; the other arguments are then ignored.
   */
  constructor(slugs: readonly string[], payloadWords: number, copyOf?: SlugTable) {
    if (copyOf !== undefined) {
      // A copy shares everything but the words (the only mutable part).
      this.size = copyOf.size;
      this.words = copyOf.words.slice();
      this.slotWords = copyOf.slotWords;
      this.mask = copyOf.mask;
      this.roomChars = copyOf.roomChars;
      this.slugAt = copyOf.slugAt;
      this.slotOfRow = copyOf.slotOfRow;
      this.slugs = copyOf.slugs;
      this.scratch = new Int32Array(copyOf.scratch.length);
      return;
    }
    if (slugs.length >= MAX_ROWS) throw new RangeError(`At most ${MAX_ROWS - 1} channels`);
    if (!Number.isInteger(payloadWords) || payloadWords < 0) throw new RangeError(`Invalid payload size ${payloadWords}`);
    this.size = slugs.length;
    this.slugs = [...slugs];
    const roomWords = Math.ceil(Math.min(MAX_ROOM_CHARS, longestInline(slugs)) / 4);
    this.roomChars = roomWords * 4;
    this.slugAt = 2 + payloadWords;
    this.slotWords = slotSize(this.slugAt + roomWords);
    let capacity = 16;
    while (capacity < slugs.length * 1.5) capacity *= 2;
    this.mask = capacity - 1;
    this.words = new Int32Array(capacity * this.slotWords);
    this.scratch = new Int32Array(Math.max(1, roomWords));
    this.slotOfRow = new Int32Array(slugs.length);
    slugs.forEach((slug, row) => this.insert(slug, row));
  }

  /** A copy whose payload can change without changing this table's. */
  copy(): SlugTable {
    return new SlugTable([], 0, this);
  }

  /** The slug's row, or -1 when it is not in the table (or not a string). */
  row(slug: string): number {
    const slot = this.find(slug);
    return slot < 0 ? -1 : (this.words[slot + 1] as number);
  }

  /**
   * The offset of the slug's slot (for `rowAt` and `payloadAt`), or -1 when
   * it is not in the table. Kept small: it is inlined into callers.
   */
  find(slug: string): number {
    if (typeof slug !== 'string') return -1;
    const header = this.headerOf(slug);
    const words = this.words;
    for (let slot = (header >>> HASH_SHIFT) & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * this.slotWords;
      const held = words[at] as number;
      if (held === header) {
        if ((header & OUTLINE) !== 0 ? this.slugs[words[at + 1] as number] === slug : this.sameInline(at, header & LENGTH)) return at;
      } else if (held === 0) {
        return -1;
      }
    }
  }

  rowAt(slot: number): number {
    return this.words[slot + 1] as number;
  }

  payloadAt(slot: number, word: number): number {
    return this.words[slot + 2 + word] as number;
  }

  setPayload(row: number, word: number, value: number): void {
    this.words[(this.slotOfRow[row] as number) + 2 + word] = value;
  }

  /** Sets every payload word of the row to 0. */
  clearPayload(row: number): void {
    const at = this.slotOfRow[row] as number;
    this.words.fill(0, at + 2, at + this.slugAt);
  }

  private insert(slug: string, row: number): void {
    const existing = this.find(slug);
    if (existing >= 0) {
      // A repeated slug: lookups find the first row, and this row shares its slot.
      this.slotOfRow[row] = existing;
      return;
    }
    const header = this.headerOf(slug);
    let slot = (header >>> HASH_SHIFT) & this.mask;
    while (this.words[slot * this.slotWords] !== 0) slot = (slot + 1) & this.mask;
    const at = slot * this.slotWords;
    this.words[at] = header;
    this.words[at + 1] = row;
    if ((header & OUTLINE) === 0) this.words.set(this.scratch.subarray(0, ((header & LENGTH) + 3) >>> 2), at + this.slugAt);
    this.slotOfRow[row] = at;
  }

  private headerOf(slug: string): number {
    return slotHeader(slug, this.roomChars, this.scratch);
  }

  /** Whether the inline slug in the slot at `at` equals the `length` characters in `scratch`. */
  private sameInline(at: number, length: number): boolean {
    const words = this.words;
    const scratch = this.scratch;
    const from = at + this.slugAt;
    for (let k = 0, count = (length + 3) >>> 2; k < count; k++) {
      if (words[from + k] !== scratch[k]) return false;
    }
    return true;
  }
}

/** A bound on the channels of one configuration (the table would take 1 GiB). */
const MAX_ROWS = 2 ** 24;
/** Longer slugs are compared as strings (a slot of more than 8 slug words would mostly be empty). */
const MAX_ROOM_CHARS = 32;
// Header bits: 0-7 the length (capped), 8 USED (a header is never 0), 9 OUTLINE, 10-31 the hash.
const LENGTH = 0xff;
const USED = 1 << 8;
const OUTLINE = 1 << 9;
const HASH_SHIFT = 10;
const SEED = 0x811c9dc5;
const PRIME = 0x01000193;

/**
 * The header of the slot holding `slug` in a table with `roomChars` inline
 * characters: 22 hash bits (which also pick the first slot to probe), USED,
 * OUTLINE when the slug is compared as a string, and its length (capped).
 * Leaves the slug's characters packed in `scratch` when it is inline.
 */
export function slotHeader(slug: string, roomChars: number, scratch: Int32Array): number {
  const n = slug.length;
  if (n > roomChars) return header(hashWide(slug), OUTLINE, n);
  let hash = Math.imul(SEED ^ n, PRIME);
  let all = 0;
  let i = 0;
  for (let word = 0; i + 3 < n; i += 4, word++) {
    const a = slug.charCodeAt(i);
    const b = slug.charCodeAt(i + 1);
    const c = slug.charCodeAt(i + 2);
    const d = slug.charCodeAt(i + 3);
    all |= a | b | c | d;
    const packed = a | (b << 8) | (c << 16) | (d << 24);
    scratch[word] = packed;
    hash = Math.imul(hash ^ packed, PRIME);
  }
  if (i < n) {
    let packed = 0;
    for (let shift = 0; i < n; i++, shift += 8) {
      const ch = slug.charCodeAt(i);
      all |= ch;
      packed |= ch << shift;
    }
    scratch[(n - 1) >>> 2] = packed;
    hash = Math.imul(hash ^ packed, PRIME);
  }
  // A character above U+00FF does not fit a byte: compare this slug as a string.
  if (all > 0xff) return header(hashWide(slug), OUTLINE, n);
  return header(finalMix(hash), 0, n);
}

function header(hash: number, flags: number, length: number): number {
  return (hash & ~((1 << HASH_SHIFT) - 1)) | USED | flags | Math.min(length, LENGTH);
}

/** Length of the longest slug that can be held inline (Latin-1 characters only). */
function longestInline(slugs: readonly string[]): number {
  let longest = 0;
  for (const slug of slugs) {
    if (slug.length > longest && slug.length <= MAX_ROOM_CHARS && isLatin1(slug)) longest = slug.length;
  }
  return longest;
}

function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Slot size in words: a power of two up to 16, so slots do not straddle more cache lines than they must. */
function slotSize(needed: number): number {
  if (needed > 16) return needed;
  let size = 4;
  while (size < needed) size *= 2;
  return size;
}

/**
 * FNV-1a style over the length and every UTF-16 unit, two per step, then the
 * final mix: the hash of a slug compared as a string.
 */
export function hashWide(slug: string): number {
  const n = slug.length;
  let hash = Math.imul(SEED ^ n, PRIME);
  let i = 0;
  for (; i + 1 < n; i += 2) hash = Math.imul(hash ^ (slug.charCodeAt(i) | (slug.charCodeAt(i + 1) << 16)), PRIME);
  if (i < n) hash = Math.imul(hash ^ slug.charCodeAt(i), PRIME);
  return finalMix(hash);
}

/**
 * murmur3's final mix, so every input bit reaches the high bits (the slot
 * index and the header's tag come from them). Each FNV step is a bijection
 * of the state, so slugs of one length collide only by a true 32-bit
 * collision.
 */
function finalMix(hash: number): number {
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}
