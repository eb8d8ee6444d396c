import type { DocRef, Projection, ProjectionEvent } from '../../src/projections/projection';
import { applyUpdate, coalesce, type DocUpdate } from '../../src/readstore/coalesce';
import type { Doc, PositionedChange, ReadStore, Value } from '../../src/readstore/port';

/** Positions as the tests number events: zero-padded, so text order is event order. */
export const positionOf = (index: number): string => String(index + 1).padStart(16, '0');

const key = (collection: string, id: string) => `${collection}\u0000${id}`;

/** Rejects what MongoDB would: one update naming a path and its parent, or a path twice. */
export const assertNoPathConflicts = (u: DocUpdate): void => {
  const paths = [
    ...Object.keys(u.set),
    ...Object.keys(u.setOnInsert),
    ...Object.keys(u.inc),
    ...Object.keys(u.max),
    ...Object.keys(u.min),
    ...Object.keys(u.push),
  ].sort();
  for (let i = 1; i < paths.length; i++) {
    const [a, b] = [paths[i - 1]!, paths[i]!];
    if (a === b || b.startsWith(`${a}.`)) {
      throw new Error(`${u.collection}/${u.id}: one update writes '${a}' and '${b}'`);
    }
  }
};

/** JSON with sorted keys: documents compare equal whatever order their fields were set in. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

export interface ProjectedBatch {
  changes: PositionedChange[];
  /** Every document the batch touched, as applying its events one by one leaves it. */
  after: Map<string, Doc | undefined>;
}

/**
 * Runs a batch of events through a projection the way the runner does: each event sees, through
 * its `needs` only, the documents as the previous events of the batch left them.
 */
export const projectBatch = (
  projection: Projection,
  events: readonly ProjectionEvent[],
  committed: (collection: string, id: string) => Doc | undefined,
): ProjectedBatch => {
  const own = new Set(projection.collections.map((c) => c.name));
  const after = new Map<string, Doc | undefined>();
  const current = (c: string, id: string) =>
    after.has(key(c, id)) ? after.get(key(c, id)) : committed(c, id);
  const changes: PositionedChange[] = [];
  for (const event of events) {
    if (!projection.handles.has(event.type)) continue;
    const needed = new Set((projection.needs?.(event) ?? []).map((r) => key(r.collection, r.id)));
    const view = {
      get: (c: string, id: string) => {
        if (!needed.has(key(c, id))) throw new Error(`${event.type} read ${c}/${id} not in needs`);
        const doc = current(c, id);
        return doc && structuredClone(doc);
      },
    };
    const produced = projection
      .project(event, view)
      .map((change) => ({ ...change, position: event.position }));
    for (const change of produced) {
      if (!own.has(change.collection)) throw new Error(`wrote foreign ${change.collection}`);
    }
    for (const u of coalesce(produced, (c, id) => current(c, id)?._pos)) {
      assertNoPathConflicts(u);
      after.set(key(u.collection, u.id), applyUpdate(current(u.collection, u.id), u));
    }
    changes.push(...produced);
  }
  return { changes, after };
};

/** The refs a batch's events need, for loading them before the batch runs. */
export const needsOf = (projection: Projection, events: readonly ProjectionEvent[]): DocRef[] =>
  events.flatMap((e) => (projection.handles.has(e.type) ? (projection.needs?.(e) ?? []) : []));

const batches = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * Documents folded in memory through the read stores' own update rules: each batch is
 * coalesced per document and applied once, and must equal applying its events one by one.
 */
export class MemoryReadModel {
  private readonly docs = new Map<string, Map<string, Doc>>();

  constructor(private readonly projection: Projection) {}

  apply(events: readonly ProjectionEvent[], batchSize = 1): this {
    for (const batch of batches(events, batchSize)) {
      const { changes, after } = projectBatch(this.projection, batch, (c, id) => this.get(c, id));
      for (const u of coalesce(changes, (c, id) => this.get(c, id)?._pos)) {
        assertNoPathConflicts(u);
        const doc = applyUpdate(this.get(u.collection, u.id), u);
        const stepwise = after.get(key(u.collection, u.id));
        if (canonical(doc) !== canonical(stepwise)) {
          throw new Error(
            `${u.collection}/${u.id}: the coalesced batch differs from event-by-event\n` +
              `${canonical(doc)}\n${canonical(stepwise)}`,
          );
        }
        const collection = this.collection(u.collection);
        if (doc) collection.set(u.id, doc);
        else collection.delete(u.id);
      }
    }
    return this;
  }

  get(collection: string, id: string): Doc | undefined {
    return this.docs.get(collection)?.get(id);
  }

  /** A collection's documents by id, `_pos` left out (it depends on batching). */
  all(collection: string): Record<string, Doc> {
    const entries = [...this.collection(collection)].sort(([a], [b]) => (a < b ? -1 : 1));
    return Object.fromEntries(
      entries.map(([id, { _pos, ...doc }]) => [id, doc as Doc & Record<string, Value>]),
    );
  }

  private collection(name: string): Map<string, Doc> {
    let collection = this.docs.get(name);
    if (!collection) {
      collection = new Map();
      this.docs.set(name, collection);
    }
    return collection;
  }
}

/**
 * Projects events into a real read store as the runner would: per batch, load what the events
 * need, project in memory, then one `applyBatch`.
 */
export const applyToStore = async (
  store: ReadStore,
  projection: Projection,
  events: readonly ProjectionEvent[],
  batchSize = 5,
): Promise<void> => {
  for (const spec of projection.collections) await store.ensureCollection(spec);
  for (const batch of batches(events, batchSize)) {
    const loaded = new Map<string, Doc | undefined>();
    for (const ref of needsOf(projection, batch)) {
      if (!loaded.has(key(ref.collection, ref.id))) {
        loaded.set(key(ref.collection, ref.id), await store.get(ref.collection, ref.id));
      }
    }
    const { changes } = projectBatch(projection, batch, (c, id) => loaded.get(key(c, id)));
    await store.applyBatch(changes, []);
  }
};
