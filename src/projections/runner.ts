import { upcast } from '../domain/registry';
import type { EventStore, StoredEvent, Subscription } from '../eventstore/port';
import { alreadyApplied, applyChange } from '../readstore/coalesce';
import type { Doc, PositionedChange, ReadStore, StagingStore } from '../readstore/port';
import type { DocView, Projection, ProjectionEvent, ReadModelAccess } from './projection';
import {
  asMeta,
  buildingKey,
  checkpointName as checkpointOf,
  lagAfter,
  liveAccess,
  metaKey,
  physical,
  type ProjectionStatus,
  type ProjectionsView,
} from './generations';
import { Workspace } from './workspace';

export type { ProjectionStatus } from './generations';

export interface RunnerOptions {
  /** Most events per live batch. */
  batchSize?: number;
  /** Longest wait, once a batch has its first event, for more to fill it (ms). */
  batchDeadlineMs?: number;
  /** Events read and projected at a time while catching up in bulk (see `catchUp`). */
  rebuildBatchSize?: number;
  /** Behind the log by at least this many events, the live loop first catches up in bulk. */
  catchUpThreshold?: number;
  /** Documents a bulk catch-up holds in memory before writing them (more: fewer rewrites). */
  catchUpDocs?: number;
  /** Wait before re-reading after a failed batch (ms). */
  retryDelayMs?: number;
  /** How long an old generation stays readable after the switch, for queries in flight (ms). */
  dropGraceMs?: number;
  clock?: () => Date;
  onError?: (error: unknown) => void;
  /** Told each time checkpoints advance (a projector thread wakes the API's follower with it). */
  onAdvance?: () => void;
  /**
   * Where a fresh generation is built before it is loaded into the read store (see
   * `buildStaged`): for stores where rewriting a document costs a scan (FerretDB) or a round
   * trip (MongoDB). Without it, fresh generations are written in place.
   */
  staging?: () => Promise<StagingStore>;
  /**
   * Several projector processes on one read store: each projection runs only where its lease
   * (in the read store) is held, so exactly one process writes it; the others stand by and take
   * it over once it expires. Without it, this runner projects everything.
   */
  lease?: LeaseOptions;
}

/** Documents copied from a staging store per insert. */
const LOAD_PAGE = 1000;

export interface LeaseOptions {
  /** This process, unique among the projectors (e.g. host and pid). */
  owner: string;
  /** How long a lease lasts unless renewed: how soon a standby takes over a dead holder (ms). */
  ttlMs: number;
  /** How often leases are renewed and free ones sought (ms; default a third of `ttlMs`). */
  renewMs?: number;
  /** Told when this process gains or loses a projection. */
  onChange?: (change: { projection: string; held: boolean }) => void;
}

/** One projection writing one generation of its collections. */
interface Member {
  projection: Projection;
  generation: number;
  checkpoint: string;
  /** Logical collection name -> physical name in this generation. */
  names: ReadonlyMap<string, string>;
  /** Secondary indexes exist (a fresh generation gets them once it has caught up). */
  indexed: boolean;
  /** Replaced by a rebuilt generation: nothing may write it any more. */
  retired: boolean;
}

const beforeDeadline = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

const leaseName = (projection: string) => `projector:${projection}`;
const checkpointName = (m: Pick<Member, 'projection' | 'generation'>) =>
  checkpointOf(m.projection.name, m.generation);
const physicalOf = (m: Member, logical: string) =>
  m.names.get(logical) ?? physical(logical, m.generation);
const lowestCheckpoint = (members: readonly Member[]) =>
  members.reduce(
    (min, m) => (m.checkpoint < min ? m.checkpoint : min),
    members[0]?.checkpoint ?? '',
  );

export const toProjectionEvent = (event: StoredEvent): ProjectionEvent => ({
  type: event.type,
  data: upcast(event).data,
  streamId: event.streamId,
  revision: event.revision,
  position: event.position,
  occurredAt: event.occurredAt,
  recordedAt: event.recordedAt,
  actorId: event.metadata.actor.id,
  actorRoles: event.metadata.actor.roles,
  correlationId: event.metadata.correlationId,
});

/**
 * Feeds every projection from one read of the global log: batches by size and deadline, one
 * bulk write plus checkpoints per batch, a checkpoint that advances over events no projection
 * handles, rebuilds into a fresh generation while the old one serves, and read-your-writes.
 */
export class ProjectionRunner implements ProjectionsView {
  private readonly batchSize: number;
  private readonly batchDeadlineMs: number;
  private readonly rebuildBatchSize: number;
  private readonly catchUpThreshold: number;
  private readonly catchUpDocs: number;
  private readonly dropGraceMs: number;
  private readonly retryDelayMs: number;
  private readonly clock: () => Date;
  private readonly onError: (error: unknown) => void;
  private readonly onAdvance: (() => void) | undefined;
  private readonly staging: (() => Promise<StagingStore>) | undefined;
  /** Generation each projection's queries read. */
  private readonly live = new Map<string, number>();
  private members: Member[] = [];
  private readonly rebuilding = new Set<string>();
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private membersChanged = false;
  /** Writes under way (live batches, catch-up flushes): a dropped generation must outlast them. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly onStop = new Set<() => void>();
  private waiters: Array<{ position: string; resolve: (ok: boolean) => void }> = [];
  private readonly lease: LeaseOptions | undefined;
  /** Projections whose lease this process holds, with when the lease ends (ms). */
  private readonly held = new Map<string, number>();
  private leasing: Promise<void> | undefined;
  /** Projections being joined after their lease was taken, in order. */
  private joining: Promise<void> = Promise.resolve();

  constructor(
    private readonly events: EventStore,
    private readonly store: ReadStore,
    private readonly projections: readonly Projection[],
    options: RunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.batchDeadlineMs = options.batchDeadlineMs ?? 5;
    // Small chunks: the events and documents of one die young, cheap to collect.
    this.rebuildBatchSize = options.rebuildBatchSize ?? 1000;
    this.catchUpThreshold = options.catchUpThreshold ?? 10_000;
    // Documents held, those written ahead not counted (~10k events of the demo mix, 13
    // projections). Rebuilding its 1M events, peak RSS measured 383-396 MiB at 24k, 401 at 22k
    // and ~425 at 30k (garbage collection lets the heap grow to a few times the live set).
    this.catchUpDocs = options.catchUpDocs ?? 20_000;
    this.dropGraceMs = options.dropGraceMs ?? 2000;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.clock = options.clock ?? (() => new Date());
    this.onError = options.onError ?? ((error) => console.error('projection runner:', error));
    this.onAdvance = options.onAdvance;
    this.staging = options.staging;
    const names = new Set<string>();
    for (const p of projections) {
      if (names.has(p.name)) throw new Error(`two projections named ${p.name}`);
      names.add(p.name);
    }
    this.lease = options.lease;
    this.access = liveAccess(store, projections, (name) => this.live.get(name));
  }

  /** What query functions read through: logical collection names resolve to live generations. */
  readonly access: ReadModelAccess;

  /**
   * Opens every projection's live generation, starts rebuilding those whose version changed
   * (the old generation keeps serving meanwhile), and starts the live loop.
   */
  async start(): Promise<void> {
    if (this.lease) {
      await this.tendLeases();
      await this.joining;
    } else for (const projection of this.projections) await this.join(projection);
    this.running = this.loop();
    if (this.lease) this.leasing = this.leaseLoop(this.lease);
  }

  /** Makes a projection a member: its live generation (the first, for a new one), rebuilt in
   * the background when its version changed. */
  private async join(projection: Projection): Promise<void> {
    const meta = asMeta(await this.store.readMeta(metaKey(projection.name)));
    if (!meta) {
      const member = await this.openGeneration(projection, 1);
      await this.store.writeMeta(metaKey(projection.name), {
        generation: 1,
        version: projection.version,
      });
      this.live.set(projection.name, 1);
      this.members.push(member);
      return;
    }
    this.live.set(projection.name, meta.generation);
    this.members.push(await this.openGeneration(projection, meta.generation));
    if (meta.version !== projection.version) void this.startRebuild(projection, meta.generation);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of [...this.onStop]) wake();
    await this.subscription?.close();
    await this.running;
    await this.leasing;
    await this.joining;
    this.running = undefined;
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters = [];
    // Stopped cleanly, checkpoint written: a standby need not wait for the leases to expire.
    if (this.lease) {
      for (const name of this.held.keys()) {
        await this.store.releaseLease(leaseName(name), this.lease.owner).catch(this.onError);
      }
      this.held.clear();
    }
  }

  /** Projections whose lease this process holds (all of them without leases). */
  heldProjections(): string[] {
    return this.lease ? [...this.held.keys()] : this.projections.map((p) => p.name);
  }

  private async leaseLoop(lease: LeaseOptions): Promise<void> {
    const every = lease.renewMs ?? Math.max(10, Math.floor(lease.ttlMs / 3));
    while (!this.stopped) {
      await this.pause(every);
      if (this.stopped) return;
      await this.tendLeases();
    }
  }

  /**
   * Renews the leases held, takes free ones (joining their projections) and gives up the ones
   * lost; a projection held by another process has its live generation followed from the meta.
   */
  private async tendLeases(): Promise<void> {
    const lease = this.lease!;
    // Every lease renewed or taken first, all at once: a slow join or a slow store must not
    // delay another one's renewal. Wall time, not the business clock: leases are about processes.
    const now = Date.now();
    const answers = await Promise.all(
      this.projections.map((p) =>
        this.store
          .acquireLease(leaseName(p.name), lease.owner, now, lease.ttlMs)
          .catch((error: unknown) => {
            this.onError(error);
            return undefined;
          }),
      ),
    );
    const gained: Projection[] = [];
    for (const [i, projection] of this.projections.entries()) {
      const { name } = projection;
      // Unknown (the store failed): held while it surely has not expired, lost after.
      const granted = answers[i] ?? (this.held.get(name) ?? 0) > now;
      if (answers[i] === undefined && granted) continue;
      const holding = this.held.has(name);
      if (granted) {
        this.held.set(name, now + lease.ttlMs);
        if (!holding) gained.push(projection);
      } else if (holding) {
        this.held.delete(name);
        this.members = this.members.filter((m) => m.projection !== projection);
        this.replan();
        lease.onChange?.({ projection: name, held: false });
      }
    }
    // The previous holder may have died mid-batch: its half-written batch is finished first,
    // or the projections reading their own documents would see half of it.
    const recovered =
      gained.length > 0 ? this.joining.then(() => this.store.recover()) : Promise.resolve(0);
    recovered.catch(() => undefined); // reported by each join that waits for it
    // Joined one after another, apart from the renewals (opening a generation can be slow).
    for (const projection of gained) {
      this.joining = this.joining.then(async () => {
        if (this.stopped || !this.held.has(projection.name)) return;
        try {
          await recovered;
          await this.join(projection);
        } catch (error) {
          this.held.delete(projection.name);
          await this.store
            .releaseLease(leaseName(projection.name), lease.owner)
            .catch(() => undefined);
          this.onError(error);
          return;
        }
        this.replan();
        lease.onChange?.({ projection: projection.name, held: true });
      });
    }
    await Promise.all(
      this.projections
        .filter(({ name }) => !this.held.has(name))
        .map(async ({ name }) => {
          const meta = asMeta(await this.store.readMeta(metaKey(name)).catch(() => undefined));
          if (meta) this.live.set(name, meta.generation);
        }),
    );
  }

  /** The member set changed: the live loop re-plans from the lowest checkpoint. */
  private replan(): void {
    this.membersChanged = true;
    void this.subscription?.close();
    for (const wake of [...this.onStop]) wake();
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
        // A projection another projector holds: its checkpoint as that one last wrote it.
        const position =
          member?.checkpoint ??
          (this.lease && !this.held.has(projection.name)
            ? ((await this.store.getCheckpoint(checkpointOf(projection.name, generation))) ?? '')
            : '');
        return {
          name: projection.name,
          generation,
          position,
          ...(await lagAfter(this.events, position, now)),
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

  /** The generation's collections (their indexes come with `createIndexes`) and checkpoint. */
  private async openGeneration(projection: Projection, generation: number): Promise<Member> {
    const names = new Map<string, string>();
    for (const spec of projection.collections) {
      names.set(spec.name, physical(spec.name, generation));
      await this.store.ensureCollection({ name: names.get(spec.name)!, indexes: [] });
    }
    const member = {
      projection,
      generation,
      checkpoint: '',
      names,
      indexed: false,
      retired: false,
    };
    member.checkpoint = (await this.store.getCheckpoint(checkpointName(member))) ?? '';
    return member;
  }

  /**
   * Secondary indexes, created once a generation has caught up: built over the loaded documents
   * at once rather than maintained through every write of a bulk load. Idempotent.
   */
  private async createIndexes(members: readonly Member[]): Promise<void> {
    for (const member of members) {
      if (member.indexed) continue;
      for (const spec of member.projection.collections) {
        await this.store.ensureCollection({ ...spec, name: physicalOf(member, spec.name) });
      }
      member.indexed = true;
    }
  }

  /** Registers a write, so that dropping a generation waits for it. */
  private track(write: Promise<void>): Promise<void> {
    this.inFlight.add(write);
    const done = () => this.inFlight.delete(write);
    write.then(done, done);
    return write;
  }

  // ---- the live loop ---------------------------------------------------------------------

  private async loop(): Promise<void> {
    /** A batch failed midway (the store went away): finished before anything is re-read. */
    let unfinished = false;
    while (!this.stopped) {
      this.membersChanged = false;
      let subscription: Subscription | undefined;
      if (unfinished) {
        try {
          await this.store.recover();
          unfinished = false;
        } catch (error) {
          this.onError(error);
          await this.pause(this.retryDelayMs);
          continue;
        }
      }
      if (this.members.length === 0) {
        // A standby (every lease held elsewhere): nothing to read until it gains one.
        await this.pause(this.retryDelayMs);
        continue;
      }
      // The members this pass reads the log for, from the lowest of their checkpoints. One that
      // joins meanwhile waits for the next pass: the events between its checkpoint and the ones
      // read here would otherwise be skipped for it, its checkpoint moving past them.
      const members = [...this.members];
      try {
        // Far behind (a new read store, a long stop): catch up in bulk, then plan again.
        const from = lowestCheckpoint(members);
        const behind = await this.events.countAfter(from, this.catchUpThreshold);
        if (behind >= this.catchUpThreshold) {
          await this.catchUpInBulk(members, () => this.membersChanged, true);
          // Indexed now, in this iteration: a stop right after the catch-up must not leave the
          // generation without its indexes (the next start would build them under queries).
          await this.createIndexes(members);
          continue;
        }
        await this.createIndexes(members);
        subscription = this.events.subscribe({ from, batchSize: this.batchSize });
        this.subscription = subscription;
        await this.consume(subscription, members);
      } catch (error) {
        this.onError(error);
        await this.pause(this.retryDelayMs);
        unfinished = true;
      } finally {
        await subscription?.close();
      }
    }
  }

  /**
   * Reads the subscription in batches until stopped or the member set changes; each batch goes to
   * the planned members still members (a lost lease is given up at once).
   */
  private async consume(subscription: Subscription, planned: readonly Member[]): Promise<void> {
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
      const members = planned.filter((m) => this.members.includes(m));
      await this.track(this.applyBatch(members, batch));
    }
  }

  /** The member's events of a batch: those it handles and has not applied yet. */
  private eventsOf(member: Member, events: readonly ProjectionEvent[]): ProjectionEvent[] {
    return events.filter(
      (e) => e.position > member.checkpoint && member.projection.handles.has(e.type),
    );
  }

  /**
   * Runs a member's projection over its events, reading documents through `get` (physical
   * collection names); each change goes to `take`, before the next event is projected.
   */
  private projectEach(
    member: Member,
    events: readonly ProjectionEvent[],
    get: (collection: string, id: string) => Doc | undefined,
    take: (change: PositionedChange) => void,
  ): void {
    const view: DocView = { get: (c, id) => get(physicalOf(member, c), id) };
    for (const event of events) {
      for (const change of member.projection.project(event, view)) {
        take({
          collection: physicalOf(member, change.collection),
          id: change.id,
          op: change.op,
          position: event.position,
        });
      }
    }
  }

  /** Projects a batch for the given members and writes changes and checkpoints at once. */
  private async applyBatch(members: Member[], batch: StoredEvent[]): Promise<void> {
    const last = batch[batch.length - 1]!.position;
    const events = batch.map(toProjectionEvent);
    const changes: PositionedChange[] = [];
    for (const member of members) {
      const mine = this.eventsOf(member, events);
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
    const view = await this.loadView(member, events);
    const changes: PositionedChange[] = [];
    this.projectEach(
      member,
      events,
      (c, id) => view.get(`${c}\u0000${id}`)?.doc,
      (change) => {
        changes.push(change);
        const entry = view.get(`${change.collection}\u0000${change.id}`);
        // The same guard as the store's: a document already past this event keeps its state.
        if (entry && !alreadyApplied(entry.stored, change.position)) {
          entry.doc = applyChange(entry.doc, change);
        }
      },
    );
    return changes;
  }

  /**
   * The documents the events need, by physical collection and id, with the `_pos` they were
   * stored with; fresh copies, ours to change.
   */
  private async loadView(member: Member, events: ProjectionEvent[]) {
    const view = new Map<string, { doc: Doc | undefined; stored: string | undefined }>();
    if (!member.projection.needs) return view;
    const wanted = new Map<string, Set<string>>();
    for (const event of events) {
      for (const ref of member.projection.needs(event)) {
        const collection = physicalOf(member, ref.collection);
        let ids = wanted.get(collection);
        if (!ids) wanted.set(collection, (ids = new Set()));
        ids.add(ref.id);
      }
    }
    for (const [collection, idSet] of wanted) {
      const ids = [...idSet];
      const docs = await this.store.getMany(collection, ids);
      ids.forEach((id, i) => {
        view.set(`${collection}\u0000${id}`, { doc: docs[i], stored: docs[i]?._pos });
      });
    }
    return view;
  }

  // ---- bulk catch-up -----------------------------------------------------------------------

  /**
   * Catches members up to the head of the log in bulk: their documents stay in memory (a
   * `Workspace`), each event changes them in place, and once it holds `catchUpDocs` documents
   * they are written whole, with the members' checkpoints, in one `writeDocuments`, which runs
   * while the next documents are projected (one write at a time; a checkpoint moves once its
   * write has ended). Ends at the head; when stopped, after writing what it projected (a graceful
   * stop keeps the work done); when `pause()` holds, after the next write. Never leaves a write
   * running. `inLoop`: the live loop's, whose writes are in flight.
   */
  private async catchUp(
    members: readonly Member[],
    pause: () => boolean,
    inLoop: boolean,
    store: ReadStore = this.store,
  ): Promise<void> {
    // Fresh generations are empty: what is not in memory is only in the store if written since.
    const fresh = members.filter((m) => m.checkpoint === '').flatMap((m) => [...m.names.values()]);
    const workspace = new Workspace(store, fresh);
    let chunk: StoredEvent[] = [];
    let last = '';
    /** The write under way, checkpoints and waiters included once it ends. */
    let writing: Promise<void> | undefined;
    const flush = async () => {
      await writing;
      // A generation replaced meanwhile by a rebuild is not written any more.
      for (const m of members) if (m.retired) workspace.forget(m.names.values());
      const advanced = members.filter((m) => !m.retired && m.checkpoint < last);
      const position = last;
      const write = workspace
        .write(advanced.map((m) => ({ name: checkpointName(m), position })))
        .then(() => {
          for (const m of advanced) if (m.checkpoint < position) m.checkpoint = position;
          this.settleWaiters();
        });
      writing = inLoop ? this.track(write) : write;
      // Awaited at the next flush or at the end; a failure is reported there.
      writing.catch(() => undefined);
    };
    const project = async () => {
      workspace.settle();
      await this.projectInBulk(workspace, members, chunk);
      last = chunk[chunk.length - 1]!.position;
      chunk = [];
      // Collections the projections write ahead (see `Projection.writeAhead`) are written after
      // each chunk, ahead of their checkpoint, instead of taking up room until the next write.
      // Safe: a replay reads those documents first and skips what they hold (the `_pos` guard),
      // and no projection computes anything from them (`needs` never names them).
      if (workspace.busy) return;
      const spilled = new Set(
        members
          .filter((m) => !m.retired)
          .flatMap((m) => (m.projection.writeAhead ?? []).map((c) => physicalOf(m, c))),
      );
      if (spilled.size > 0) await workspace.write([], spilled);
    };
    try {
      for await (const event of this.events.readAll({
        from: lowestCheckpoint(members),
        batchSize: this.rebuildBatchSize,
      })) {
        // Stopping: what was projected is written with its checkpoints (a graceful stop keeps the
        // work done); the events read but not projected are read again at the next start.
        if (this.stopped) break;
        chunk.push(event);
        if (chunk.length < this.rebuildBatchSize) continue;
        await project();
        if (workspace.size < this.catchUpDocs) continue;
        await flush();
        // Between chunks: the documents of a write already ended can go.
        workspace.settle();
        if (pause()) return;
      }
      if (chunk.length > 0 && !this.stopped) await project();
      // Also when nothing changed: the checkpoints move over events the members do not handle.
      if (last !== '') await flush();
    } finally {
      // Ended, failed or paused: no write of this catch-up outlives it (a next one must start
      // from checkpoints that no longer move).
      await writing;
    }
  }

  /** `catchUp`, or with a staging store `buildStaged` for the fresh generations among them. */
  private catchUpInBulk(
    members: readonly Member[],
    pause: () => boolean,
    inLoop: boolean,
  ): Promise<void> {
    const fresh = this.staging ? members.filter((m) => m.checkpoint === '') : [];
    return fresh.length > 0 ? this.buildStaged(fresh, pause) : this.catchUp(members, pause, inLoop);
  }

  /**
   * Builds fresh generations in a staging store (embedded SQLite, where a document rewritten by
   * the bulk catch-up costs little), then loads each of their documents into the read store
   * with one insert, indexes after, and sets their checkpoints last. A load cut short (a crash)
   * left documents but no checkpoint: the generation is emptied and built again. On MongoDB each
   * document is then written once instead of at every flush that held it, and on FerretDB,
   * whose guarded replaces scan the collection, a rebuild finishes at all.
   */
  private async buildStaged(members: readonly Member[], pause: () => boolean): Promise<void> {
    const staging = await this.staging!();
    try {
      for (const member of members) {
        for (const name of member.names.values()) {
          await this.store.dropCollection(name);
          await this.store.ensureCollection({ name, indexes: [] });
          await staging.store.ensureCollection({ name, indexes: [] });
        }
      }
      // Copies: their checkpoints are the staging store's until loaded.
      const staged = members.map((m) => ({ ...m, checkpoint: '' }));
      await this.catchUp(staged, pause, false, staging.store);
      for (const [i, member] of members.entries()) {
        const position = staged[i]!.checkpoint;
        if (member.retired || position === '' || this.stopped) continue;
        for (const name of member.names.values()) await this.load(staging.store, name);
        await this.store.writeDocuments([], [{ name: checkpointName(member), position }]);
        member.checkpoint = position;
      }
      this.settleWaiters();
    } finally {
      await staging.dispose();
    }
  }

  /** Copies a collection's documents from `from` into the read store, a page per insert. */
  private async load(from: ReadStore, collection: string): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const docs = await from.find(collection, {
        limit: LOAD_PAGE,
        ...(after === undefined ? {} : { after: [after] }),
      });
      if (docs.length > 0) await this.store.insertDocuments(collection, docs);
      if (docs.length < LOAD_PAGE) return;
      after = docs[docs.length - 1]!._id;
    }
  }

  /** Projects a chunk of the log into the workspace, for every member that has not seen it. */
  private async projectInBulk(
    workspace: Workspace,
    members: readonly Member[],
    batch: StoredEvent[],
  ): Promise<void> {
    const events = batch.map(toProjectionEvent);
    for (const member of members) {
      if (member.retired) continue;
      const mine = this.eventsOf(member, events);
      if (mine.length === 0) continue;
      const { projection } = member;
      if (projection.needs) {
        await workspace.load(
          mine.flatMap((e) =>
            (projection.needs?.(e) ?? []).map((ref) => {
              // Written ahead of the checkpoint: a replay would read them ahead of itself.
              if (projection.writeAhead?.includes(ref.collection)) {
                throw new Error(
                  `${projection.name} needs ${ref.collection}, which it writes ahead`,
                );
              }
              return { collection: physicalOf(member, ref.collection), id: ref.id };
            }),
          ),
        );
      }
      // A document the workspace does not know is in no `needs` of this chunk, so no event of
      // it reads the document: its changes wait for one read of all such documents at the end.
      const waiting: PositionedChange[] = [];
      this.projectEach(
        member,
        mine,
        (c, id) => workspace.get(c, id),
        (change) => {
          if (!workspace.apply(change)) waiting.push(change);
        },
      );
      if (waiting.length > 0) {
        await workspace.load(waiting);
        for (const change of waiting) workspace.apply(change);
      }
    }
  }

  private settleWaiters() {
    this.onAdvance?.();
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

    // Catch up outside the live loop, in bulk, while the old generation serves.
    await this.catchUpInBulk([member], () => false, false);
    if (this.stopped) return;
    await this.createIndexes([member]);
    if (this.stopped) return;

    // The lease went to another projector meanwhile: it resumes this generation itself.
    if (this.lease && !this.held.has(projection.name)) return;
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
    this.members = this.members.filter((m) => {
      const old = m.projection === projection && m.generation === liveGeneration;
      if (old) m.retired = true;
      return !old;
    });
    await this.store.writeMeta(buildingKey(projection.name), null);
    // Writes already under way may still touch the old generation; then queries in flight.
    await Promise.allSettled([...this.inFlight]);
    await new Promise((resolve) => setTimeout(resolve, this.dropGraceMs));
    await this.dropGeneration(projection, liveGeneration);
  }

  private async dropGeneration(projection: Projection, generation: number) {
    for (const spec of projection.collections) {
      await this.store.dropCollection(physical(spec.name, generation));
    }
  }
}
