import type { EventStore } from '../eventstore/port';
import type { ReadStore } from '../readstore/port';
import {
  asMeta,
  buildingKey,
  checkpointName,
  lagAfter,
  liveAccess,
  metaKey,
  type ProjectionStatus,
  type ProjectionsView,
} from './generations';
import type { Projection, ReadModelAccess } from './projection';

export interface FollowerOptions {
  /** How often live generations are re-read, to follow a projector's switch after a rebuild. */
  refreshMs?: number;
  /** How often checkpoints are read while someone waits for a position. */
  pollMs?: number;
  clock?: () => Date;
  onError?: (error: unknown) => void;
}

/**
 * The projections as an API-only replica sees them: written by projector processes elsewhere,
 * read here. Live generations and checkpoints come from the read store, so read-your-writes
 * (`waitFor`) and `status` work without running a projection in this process.
 */
export class ProjectionFollower implements ProjectionsView {
  readonly access: ReadModelAccess;
  private readonly live = new Map<string, number>();
  private readonly refreshMs: number;
  private readonly pollMs: number;
  private readonly clock: () => Date;
  private readonly onError: (error: unknown) => void;
  private refreshTimer: NodeJS.Timeout | undefined;
  private waiters: Array<{ position: string; deadline: number; resolve: (ok: boolean) => void }> =
    [];
  private polling: Promise<void> | undefined;
  private stopped = false;
  /** Ends the pause between two polls early (see `poke`). */
  private wake: (() => void) | undefined;

  constructor(
    private readonly events: EventStore,
    private readonly store: ReadStore,
    private readonly projections: readonly Projection[],
    options: FollowerOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 1000;
    this.pollMs = options.pollMs ?? 20;
    this.clock = options.clock ?? (() => new Date());
    this.onError = options.onError ?? ((error) => console.error('projection follower:', error));
    this.access = liveAccess(store, projections, (name) => this.live.get(name));
  }

  async start(): Promise<void> {
    await this.refresh();
    this.refreshTimer = setInterval(() => {
      this.refresh().catch(this.onError);
    }, this.refreshMs);
    this.refreshTimer.unref();
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    this.wake?.();
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters = [];
    return this.polling ?? Promise.resolve();
  }

  waitFor(position: string, timeoutMs: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.waiters.push({ position, deadline: Date.now() + timeoutMs, resolve });
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    });
  }

  async status(): Promise<ProjectionStatus[]> {
    await this.refresh();
    const now = this.clock().getTime();
    return Promise.all(
      this.projections.map(async (projection) => {
        const generation = this.live.get(projection.name) ?? 0;
        const position = await this.checkpoint(projection.name);
        const building = await this.store.readMeta(buildingKey(projection.name));
        return {
          name: projection.name,
          generation,
          position,
          ...(await lagAfter(this.events, position, now)),
          rebuilding: asMeta(building) !== undefined,
        };
      }),
    );
  }

  /**
   * The projector says its checkpoints moved (a projector thread in this process): waiters are
   * checked now instead of at the next poll.
   */
  poke(): void {
    this.wake?.();
  }

  /** One reader for every waiter: the lowest checkpoint, until each is reached or out of time. */
  private async poll(): Promise<void> {
    while (this.waiters.length > 0 && !this.stopped) {
      let lowest: string | undefined;
      try {
        const positions = await Promise.all(this.projections.map((p) => this.checkpoint(p.name)));
        lowest = positions.reduce((min, p) => (p < min ? p : min), positions[0] ?? '');
      } catch (error) {
        this.onError(error);
      }
      const now = Date.now();
      this.waiters = this.waiters.filter((waiter) => {
        if (lowest !== undefined && lowest >= waiter.position) waiter.resolve(true);
        else if (now >= waiter.deadline) waiter.resolve(false);
        else return true;
        return false;
      });
      if (this.waiters.length > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => this.wake?.(), this.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            this.wake = undefined;
            resolve();
          };
        });
      }
    }
  }

  private async checkpoint(name: string): Promise<string> {
    const generation = this.live.get(name);
    if (generation === undefined) return '';
    return (await this.store.getCheckpoint(checkpointName(name, generation))) ?? '';
  }

  private async refresh(): Promise<void> {
    for (const projection of this.projections) {
      const meta = asMeta(await this.store.readMeta(metaKey(projection.name)));
      if (meta) this.live.set(projection.name, meta.generation);
    }
  }
}
