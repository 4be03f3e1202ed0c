/**
 * A Map that keeps at most `limit` entries, dropping the oldest first (by
 * first insertion; setting a key again keeps its age). The dummy gateway's
 * state must not grow without bound in a long-running host.
 *
 * The insertion order is kept in a ring of keys rather than read back from
 * the Map (`keys().next()`): V8 leaves deleted entries in place until it
 * rehashes, so iterating from the front of a Map that is trimmed at one end
 * skips ever more holes, and each eviction got slower as the host ran.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  private ring: Array<K | undefined> = [];
  /** Index in `ring` of the oldest key. */
  private head = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A bounded map holds at least one entry, got ${limit}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    // One hash lookup (not has() then set()): a new key is one that grew the map. Evicting
    // after the insert drops the same key as before it: the oldest, at the ring's head.
    const size = this.map.size;
    this.map.set(key, value);
    if (this.map.size === size) return;
    this.ring.push(key);
    if (size >= this.limit) this.evictOldest();
  }

  clear(): void {
    this.map.clear();
    this.ring = [];
    this.head = 0;
  }

  private evictOldest(): void {
    const oldest = this.ring[this.head] as K;
    this.ring[this.head] = undefined;
    this.head += 1;
    this.map.delete(oldest);
    // Cut the consumed front once `limit` keys were dropped: the ring stays within twice the limit, and each key is copied at most once per cut.
    if (this.head >= this.limit) {
      this.ring = this.ring.slice(this.head);
      this.head = 0;
    }
  }
}
