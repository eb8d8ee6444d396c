import { upcast } from '../domain/registry';
import type { EventStore, StoredEvent, Subscription } from '../eventstore/port';
import { applyUpdate, coalesce } from '../readstore/coalesce';
import type { Doc, PositionedChange, ReadStore, Value } from '../readstore/port';
import type { Projection, ProjectionEvent, ReadModelAccess } from './projection';

export interface RunnerOptions {
  /** Most events per live batch. */
  batchSize?: number;
  /** Longest wait, once a batch has its first event, for more to fill it (ms). */
  batchDeadlineMs?: number;
  /** Events per batch while rebuilding a generation from the start of the log. */
  rebuildBatchSize?: number;
  /** Wait before re-reading after a failed batch (ms). */
  retryDelayMs?: number;
  /** How long an old generation stays readable after the switch, for queries in flight (ms). */
  dropGraceMs?: number;
  clock?: () => Date;
  onError?: (error: unknown) => void;
}

export interface ProjectionStatus {
  name: string;
  generation: number;
  /** Last event position applied ('' before the first). */
  position: string;
  lagEvents: number;
  lagSeconds: number;
  rebuilding: boolean;
}

interface GenerationMeta {
  generation: number;
  version: number;
}

/** One projection writing one generation of its collections. */
interface Member {
  projection: Projection;
  generation: number;
  checkpoint: string;
}

/** Lag beyond this many events is reported as this many (counting is a scan on some stores). */
const LAG_COUNT_LIMIT = 100_000;

const beforeDeadline = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

const metaKey = (name: string) => `projection:${name}`;
const buildingKey = (name: string) => `projection:${name}:building`;
const checkpointName = (m: Pick<Member, 'projection' | 'generation'>) =>
  `${m.projection.name}@g${m.generation}`;
const physical = (logical: string, generation: number) => `${logical}_g${generation}`;

const asMeta = (value: Value | undefined): GenerationMeta | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? { generation: Number(value.generation), version: Number(value.version) }
    : undefined;

export const toProjectionEvent = (event: StoredEvent): ProjectionEvent => ({
  type: event.type,
  data: upcast(event).data,
  streamId: event.streamId,
  revision: event.revision,
  position: event.position,
  occurredAt: event.occurredAt,
  recordedAt: event.recordedAt,
  actorId: event.metadata.actor.id,
});

/**
 * Feeds every projection from one read of the global log: batches by size and deadline, one
 * bulk write plus checkpoints per batch, a checkpoint that advances over events no projection
 * handles, rebuilds into a fresh generation while the old one serves, and read-your-writes.
 */
export class ProjectionRunner {
  private readonly batchSize: number;
  private readonly batchDeadlineMs: number;
  private readonly rebuildBatchSize: number;
  private readonly dropGraceMs: number;
  private readonly retryDelayMs: number;
  private readonly clock: () => Date;
  private readonly onError: (error: unknown) => void;
  /** Generation each projection's queries read. */
  private readonly live = new Map<string, number>();
  private members: Member[] = [];
  private readonly rebuilding = new Set<string>();
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private membersChanged = false;
  /** The live loop's batch being written, if any: a dropped generation must outlast it. */
  private inFlight: Promise<void> = Promise.resolve();
  private readonly onStop = new Set<() => void>();
  private waiters: Array<{ position: string; resolve: (ok: boolean) => void }> = [];

  constructor(
    private readonly events: EventStore,
    private readonly store: ReadStore,
    private readonly projections: readonly Projection[],
    options: RunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.batchDeadlineMs = options.batchDeadlineMs ?? 5;
    this.rebuildBatchSize = options.rebuildBatchSize ?? 5000;
    this.dropGraceMs = options.dropGraceMs ?? 2000;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.clock = options.clock ?? (() => new Date());
    this.onError = options.onError ?? ((error) => console.error('projection runner:', error));
    const names = new Set<string>();
    for (const p of projections) {
      if (names.has(p.name)) throw new Error(`two projections named ${p.name}`);
      names.add(p.name);
    }
    this.access = {
      store,
      collection: (logical) => {
        const owner = projections.find((p) => p.collections.some((c) => c.name === logical));
        if (!owner) throw new Error(`no projection owns the collection ${logical}`);
        const generation = this.live.get(owner.name);
        if (generation === undefined) throw new Error(`projection ${owner.name} is not started`);
        return physical(logical, generation);
      },
    };
  }

  /** What query functions read through: logical collection names resolve to live generations. */
  readonly access: ReadModelAccess;

  /**
   * Opens every projection's live generation, starts rebuilding those whose version changed
   * (the old generation keeps serving meanwhile), and starts the live loop.
   */
  async start(): Promise<void> {
    for (const projection of this.projections) {
      const meta = asMeta(await this.store.readMeta(metaKey(projection.name)));
      if (!meta) {
        const member = await this.openGeneration(projection, 1);
        await this.store.writeMeta(metaKey(projection.name), {
          generation: 1,
          version: projection.version,
        });
        this.live.set(projection.name, 1);
        this.members.push(member);
        continue;
      }
      this.live.set(projection.name, meta.generation);
      this.members.push(await this.openGeneration(projection, meta.generation));
      if (meta.version !== projection.version) void this.startRebuild(projection, meta.generation);
    }
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of [...this.onStop]) wake();
    await this.subscription?.close();
    await this.running;
    this.running = undefined;
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters = [];
  }

  /** Rebuilds a projection into a new generation and switches to it; resolves after the switch. */
  rebuild(name: string): Promise<void> {
    const projection = this.projections.find((p) => p.name === name);
    if (!projection) return Promise.reject(new Error(`unknown projection ${name}`));
    return this.startRebuild(projection, this.live.get(name) ?? 0);
  }

  /**
   * Resolves true once every live projection has applied the event at `position`, false when
   * `timeoutMs` passes first (read-your-writes with a bound).
   */
  waitFor(position: string, timeoutMs: number): Promise<boolean> {
    if (this.reached(position)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        position,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async status(): Promise<ProjectionStatus[]> {
    const now = this.clock().getTime();
    return Promise.all(
      this.projections.map(async (projection) => {
        const generation = this.live.get(projection.name) ?? 0;
        const member = this.members.find(
          (m) => m.projection === projection && m.generation === generation,
        );
        const position = member?.checkpoint ?? '';
        const lagEvents = await this.events.countAfter(position, LAG_COUNT_LIMIT);
        let lagSeconds = 0;
        if (lagEvents > 0) {
          for await (const next of this.events.readAll({ from: position, batchSize: 1 })) {
            lagSeconds = Math.max(0, (now - Date.parse(next.recordedAt)) / 1000);
            break;
          }
        }
        return {
          name: projection.name,
          generation,
          position,
          lagEvents,
          lagSeconds,
          rebuilding: this.rebuilding.has(projection.name),
        };
      }),
    );
  }

  /** Waits `ms`, or less if the runner is stopped meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.onStop.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.onStop.add(done);
    });
  }

  private reached(position: string): boolean {
    return this.liveMembers().every((m) => m.checkpoint >= position);
  }

  private liveMembers(): Member[] {
    return this.members.filter((m) => this.live.get(m.projection.name) === m.generation);
  }

  private async openGeneration(projection: Projection, generation: number): Promise<Member> {
    for (const spec of projection.collections) {
      await this.store.ensureCollection({ ...spec, name: physical(spec.name, generation) });
    }
    const member = { projection, generation, checkpoint: '' };
    member.checkpoint = (await this.store.getCheckpoint(checkpointName(member))) ?? '';
    return member;
  }

  // ---- the live loop ---------------------------------------------------------------------

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const from = this.members.reduce(
        (min, m) => (m.checkpoint < min ? m.checkpoint : min),
        this.members[0]?.checkpoint ?? '',
      );
      this.membersChanged = false;
      const subscription = this.events.subscribe({ from, batchSize: this.batchSize });
      this.subscription = subscription;
      try {
        await this.consume(subscription);
      } catch (error) {
        this.onError(error);
        await this.pause(this.retryDelayMs);
      } finally {
        await subscription.close();
      }
    }
  }

  /** Reads the subscription in batches until stopped or the member set changes. */
  private async consume(subscription: Subscription): Promise<void> {
    const iterator = subscription[Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<StoredEvent>> | undefined;
    while (!this.stopped && !this.membersChanged) {
      const batch: StoredEvent[] = [];
      pending ??= iterator.next();
      const first = await pending;
      pending = undefined;
      if (first.done) return;
      batch.push(first.value);
      const deadline = Date.now() + this.batchDeadlineMs;
      while (batch.length < this.batchSize) {
        // Under a steady stream the next event always beats a fresh timer: check the clock too.
        if (Date.now() >= deadline) break;
        pending = iterator.next();
        const next = await beforeDeadline(pending, deadline - Date.now());
        if (next === 'timeout') break;
        pending = undefined;
        if (next.done) break;
        batch.push(next.value);
      }
      this.inFlight = this.applyBatch(this.members, batch);
      await this.inFlight;
    }
  }

  /** Projects a batch for the given members and writes changes and checkpoints at once. */
  private async applyBatch(members: Member[], batch: StoredEvent[]): Promise<void> {
    const last = batch[batch.length - 1]!.position;
    const events = batch.map(toProjectionEvent);
    const changes: PositionedChange[] = [];
    for (const member of members) {
      const mine = events.filter(
        (e) => e.position > member.checkpoint && member.projection.handles.has(e.type),
      );
      if (mine.length > 0) changes.push(...(await this.project(member, mine)));
    }
    const advanced = members.filter((m) => m.checkpoint < last);
    await this.store.applyBatch(
      changes,
      advanced.map((m) => ({ name: checkpointName(m), position: last })),
    );
    for (const m of advanced) m.checkpoint = last;
    this.settleWaiters();
  }

  /** Runs a member's projection over its events, with the documents it reads kept current. */
  private async project(member: Member, events: ProjectionEvent[]): Promise<PositionedChange[]> {
    const { projection, generation } = member;
    const view = await this.loadView(projection, generation, events);
    const changes: PositionedChange[] = [];
    for (const event of events) {
      for (const change of projection.project(event, {
        get: (c, id) => view.get(`${c}\u0000${id}`),
      })) {
        const key = `${change.collection}\u0000${change.id}`;
        const positioned = {
          ...change,
          collection: physical(change.collection, generation),
          position: event.position,
        };
        changes.push(positioned);
        if (view.has(key)) {
          // The same guard as the store's: a document already past this event keeps its state.
          const current = view.get(key);
          const [update] = coalesce([positioned], () => current?._pos);
          if (update) view.set(key, applyUpdate(current, update));
        }
      }
    }
    return changes;
  }

  private async loadView(projection: Projection, generation: number, events: ProjectionEvent[]) {
    const view = new Map<string, Doc | undefined>();
    if (!projection.needs) return view;
    const wanted = new Map<string, Set<string>>();
    for (const event of events) {
      for (const ref of projection.needs(event)) {
        let ids = wanted.get(ref.collection);
        if (!ids) wanted.set(ref.collection, (ids = new Set()));
        ids.add(ref.id);
      }
    }
    for (const [collection, idSet] of wanted) {
      const ids = [...idSet];
      const docs = await this.store.getMany(physical(collection, generation), ids);
      ids.forEach((id, i) => view.set(`${collection}\u0000${id}`, docs[i]));
    }
    return view;
  }

  private settleWaiters() {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (this.reached(waiter.position)) waiter.resolve(true);
      else still.push(waiter);
    }
    this.waiters = still;
  }

  // ---- rebuilds ----------------------------------------------------------------------------

  private readonly rebuilds = new Map<string, Promise<void>>();

  private startRebuild(projection: Projection, liveGeneration: number): Promise<void> {
    const running = this.rebuilds.get(projection.name);
    if (running) return running;
    const rebuild = this.runRebuild(projection, liveGeneration).finally(() => {
      this.rebuilds.delete(projection.name);
      this.rebuilding.delete(projection.name);
    });
    rebuild.catch(this.onError);
    this.rebuilds.set(projection.name, rebuild);
    this.rebuilding.add(projection.name);
    return rebuild;
  }

  /**
   * Replays the log into generation n+1 (resuming an interrupted build of the same version),
   * then hands it to the live loop and switches queries to it once it has caught up.
   */
  private async runRebuild(projection: Projection, liveGeneration: number): Promise<void> {
    const building = asMeta(await this.store.readMeta(buildingKey(projection.name)));
    let generation = liveGeneration + 1;
    if (building && building.generation > liveGeneration) {
      generation = building.generation;
      if (building.version !== projection.version) {
        await this.dropGeneration(projection, generation);
        generation += 1;
      }
    }
    await this.store.writeMeta(buildingKey(projection.name), {
      generation,
      version: projection.version,
    });
    const member = await this.openGeneration(projection, generation);

    // Catch up outside the live loop, in large batches, while the old generation serves.
    let batch: StoredEvent[] = [];
    for await (const event of this.events.readAll({
      from: member.checkpoint,
      batchSize: this.rebuildBatchSize,
    })) {
      if (this.stopped) return;
      batch.push(event);
      if (batch.length === this.rebuildBatchSize) {
        await this.applyBatch([member], batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.applyBatch([member], batch);
    if (this.stopped) return;

    // Join the live loop, which resumes from this member's checkpoint; switch once level.
    await new Promise<void>((resolve) => {
      this.members.push(member);
      this.membersChanged = true;
      void this.subscription?.close();
      const check = () => {
        const old = this.members.find(
          (m) => m.projection === projection && m.generation === liveGeneration,
        );
        if (this.stopped || !old || member.checkpoint >= old.checkpoint) resolve();
        else setTimeout(check, 10);
      };
      check();
    });
    if (this.stopped) return;
    await this.store.writeMeta(metaKey(projection.name), {
      generation,
      version: projection.version,
    });
    this.live.set(projection.name, generation);
    this.members = this.members.filter(
      (m) => !(m.projection === projection && m.generation === liveGeneration),
    );
    await this.store.writeMeta(buildingKey(projection.name), null);
    // A batch already under way may still write the old generation; then queries in flight.
    await this.inFlight.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, this.dropGraceMs));
    await this.dropGeneration(projection, liveGeneration);
  }

  private async dropGeneration(projection: Projection, generation: number) {
    for (const spec of projection.collections) {
      await this.store.dropCollection(physical(spec.name, generation));
    }
  }
}
