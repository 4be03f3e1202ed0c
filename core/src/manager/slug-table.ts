/**
 * Channel slug -> row (0..n-1, the order the slugs were given in), for
 * lookups whose cost must not grow with the number of channels. A Map keyed
 * by slug touches its bucket, then its entry, then the stored key string:
 * three dependent reads of objects scattered over the heap, each a cache
 * miss once there are thousands of channels. Here a lookup reads a slot of a
 * small typed array, then compares the slug with a copy made when the table
 * was built, the copies lying next to each other in row order. With 10,000
 * channels: 16,384 slots (64 KiB), 80 KiB of pointers, about 320 KiB of
 * slug copies.
 */
export class SlugTable {
  /** Open addressing, linear probing: (row + 1) | (the hash's top 8 bits); 0 is empty. */
  private readonly entries: Int32Array;
  private readonly mask: number;
  /** Row -> its slug's copy. */
  private readonly slugs: readonly string[];

  constructor(slugs: readonly string[]) {
    if (slugs.length >= MAX_ROWS) throw new RangeError(`At most ${MAX_ROWS - 1} channels`);
    let capacity = 16;
    while (capacity < slugs.length * 1.5) capacity *= 2;
    this.mask = capacity - 1;
    this.entries = new Int32Array(capacity);
    // Copies cut from one string: flat, allocated back to back, instead of
    // the config's slugs, which lie among each channel's other objects.
    const text = slugs.join('');
    let offset = 0;
    this.slugs = slugs.map((slug) => text.slice(offset, (offset += slug.length)));
    this.slugs.forEach((slug, row) => {
      const hash = hashSlug(slug);
      let slot = hash & this.mask;
      while (this.entries[slot] !== 0) slot = (slot + 1) & this.mask;
      this.entries[slot] = (row + 1) | (hash & TAG_MASK);
    });
  }

  get size(): number {
    return this.slugs.length;
  }

  /** The slug's row, or -1 when it is not in the table (or not a string). */
  row(slug: string): number {
    if (typeof slug !== 'string') return -1;
    const hash = hashSlug(slug);
    const tag = hash & TAG_MASK;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.entries[slot] as number;
      if (entry === 0) return -1;
      const row = (entry & ROW_MASK) - 1;
      // `===` compares flat strings with memcmp: far cheaper than a charCodeAt loop.
      if ((entry & TAG_MASK) === tag && this.slugs[row] === slug) return row;
    }
  }
}

const ROW_BITS = 24;
const MAX_ROWS = 2 ** ROW_BITS;
const ROW_MASK = MAX_ROWS - 1;
const TAG_MASK = ~ROW_MASK;

/**
 * FNV-1a style over the length and every character, two UTF-16 units per
 * step (half the chain of multiplications), then murmur3's final mix so the
 * high bits reach the slot index. Each step is a bijection of the state, so
 * slugs of one length collide only by a true 32-bit collision (slot and tag
 * sharing is resolved by the comparison).
 */
export function hashSlug(slug: string): number {
  const n = slug.length;
  let hash = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  let i = 0;
  for (; i + 1 < n; i += 2) hash = Math.imul(hash ^ (slug.charCodeAt(i) | (slug.charCodeAt(i + 1) << 16)), 0x01000193);
  if (i < n) hash = Math.imul(hash ^ slug.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  return hash ^ (hash >>> 13);
}
