export interface CachedState {
  revision: number;
  /** Global position of the event at `revision`. */
  position: string;
  state: unknown;
}

/**
 * Folded states of recently used streams, least recently used evicted first. Safe because
 * streams only grow and states are immutable: a load reads just the events after `revision`.
 */
export class StateCache {
  private readonly entries = new Map<string, CachedState>();

  constructor(private readonly capacity: number) {}

  get(streamId: string): CachedState | undefined {
    const entry = this.entries.get(streamId);
    if (entry) {
      this.entries.delete(streamId);
      this.entries.set(streamId, entry);
    }
    return entry;
  }

  set(streamId: string, entry: CachedState): void {
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  delete(streamId: string): void {
    this.entries.delete(streamId);
  }
}
