/**
 * Least-recently-used entries with a weight each (documents, bytes): at most `capacity` entries
 * and `maxWeight` in all, the least recently used dropped first (the last one is kept however
 * heavy, unless `evictAll`). What the two answer caches (result-cache.ts, response-cache.ts)
 * share.
 */
export class WeightedLru<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>();
  private held = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxWeight: number,
    /** Drop even the last entry when it alone is over `maxWeight`. */
    private readonly evictAll = false,
  ) {}

  /** The value, now the most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, weight: number): void {
    this.delete(key);
    this.entries.set(key, { value, weight });
    this.held += weight;
    this.trim();
  }

  /** A new weight for `key`, if it still holds `value` (a value measured once computed). */
  reweigh(key: string, value: V, weight: number): void {
    const entry = this.entries.get(key);
    if (entry?.value !== value) return;
    this.held += weight - entry.weight;
    entry.weight = weight;
    this.trim();
  }

  /** Drops `key`, if given, only while it still holds `value`. */
  delete(key: string, value?: V): void {
    const entry = this.entries.get(key);
    if (!entry || (value !== undefined && entry.value !== value)) return;
    this.entries.delete(key);
    this.held -= entry.weight;
  }

  private trim(): void {
    const floor = this.evictAll ? 0 : 1;
    while (
      this.entries.size > this.capacity ||
      (this.held > this.maxWeight && this.entries.size > floor)
    ) {
      this.delete(this.entries.keys().next().value!);
    }
  }
}
