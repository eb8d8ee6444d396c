import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANY, type EventStore } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import type { Projection } from '../../src/projections/projection';
import { ProjectionRunner, type RunnerOptions } from '../../src/projections/runner';
import type {
  Checkpoint,
  Doc,
  DocChange,
  DocWrite,
  PositionedChange,
  ReadStore,
} from '../../src/readstore/port';
import { newEvent } from '../contract/eventstore.contract';
import { readStoreFactories } from '../support/readstores';

/** Counts events per type, and per stream how many it saw: the latter reads its own document. */
const counter = (version = 1): Projection => ({
  name: 'counter',
  version,
  collections: [
    { name: 'counts', indexes: [] },
    { name: 'streams', indexes: [{ fields: ['seen'] }] },
  ],
  handles: new Set(['A', 'B']),
  needs: (e) => [{ collection: 'streams', id: e.streamId }],
  project: (e, view): DocChange[] => {
    const seen = Number(view.get('streams', e.streamId)?.seen ?? 0);
    return [
      { collection: 'counts', id: e.type, op: { kind: 'inc', fields: { n: version } } },
      {
        collection: 'streams',
        id: e.streamId,
        op: { kind: 'set', fields: { seen: seen + 1, lastRevision: e.revision } },
      },
      {
        collection: 'streams',
        id: e.streamId,
        op: { kind: 'push', field: 'recent', values: [e.revision], cap: 3 },
      },
    ];
  },
});

const fast: RunnerOptions = { batchSize: 50, batchDeadlineMs: 5, dropGraceMs: 0 };
/** Catches up in bulk from the first event, in chunks and writes small enough to cross edges. */
const bulk: RunnerOptions = { ...fast, catchUpThreshold: 1, rebuildBatchSize: 4, catchUpDocs: 3 };

const dump = async (store: ReadStore, collection: string): Promise<Doc[]> =>
  store.find(collection, { limit: 100_000 });

const writeEvents = async (events: EventStore, n: number, types = ['A', 'B', 'C']) => {
  for (let i = 0; i < n; i += 1) {
    await events.append(`s${i % 7}`, [newEvent(types[i % types.length]!, { i })], {
      expectedRevision: ANY,
    });
  }
};

/**
 * Fails applyBatch once, after really writing the changes of the first `after` documents and
 * no checkpoint: what a store that writes document by document leaves when it dies mid-batch.
 */
const faultyReadStore = (
  inner: ReadStore,
  shouldFail: (call: number) => number | undefined,
): ReadStore => {
  let calls = 0;
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== 'applyBatch') return Reflect.get(target, property, receiver) as unknown;
      return async (changes: PositionedChange[], checkpoints: Checkpoint[]) => {
        calls += 1;
        const after = shouldFail(calls);
        if (after === undefined) return target.applyBatch(changes, checkpoints);
        const docs = [...new Set(changes.map((c) => `${c.collection}/${c.id}`))].slice(0, after);
        const written = new Set(docs);
        await target.applyBatch(
          changes.filter((c) => written.has(`${c.collection}/${c.id}`)),
          [],
        );
        throw new Error(`injected fault after ${after} documents`);
      };
    },
  });
};

/**
 * Fails writeDocuments once, after really writing the first `after` documents and no
 * checkpoint: what a store that writes document by document leaves when it dies midway.
 */
const faultyBulkStore = (
  inner: ReadStore,
  shouldFail: (call: number) => number | undefined,
): ReadStore => {
  let calls = 0;
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== 'writeDocuments') return Reflect.get(target, property, receiver) as unknown;
      return async (writes: DocWrite[], checkpoints: Checkpoint[]) => {
        calls += 1;
        const after = shouldFail(calls);
        if (after === undefined) return target.writeDocuments(writes, checkpoints);
        await target.writeDocuments(writes.slice(0, after), []);
        throw new Error(`injected fault after ${after} documents`);
      };
    },
  });
};

describe.each(readStoreFactories())('ProjectionRunner on %s', (_name, makeReadStore) => {
  let dir: string;
  let events: SqliteEventStore;
  let store: ReadStore;
  let cleanups: Array<() => Promise<void>>;
  const runners: ProjectionRunner[] = [];

  const freshReadStore = async () => {
    const made = await makeReadStore();
    cleanups.push(made.cleanup);
    return made.store;
  };
  const startRunner = async (readStore: ReadStore, projection = counter(), options = fast) => {
    const runner = new ProjectionRunner(events, readStore, [projection], {
      ...options,
      onError: () => undefined,
    });
    runners.push(runner);
    await runner.start();
    return runner;
  };
  /** What a clean rebuild from the whole log gives. */
  const cleanResult = async (projection = counter()) => {
    const clean = await freshReadStore();
    const runner = await startRunner(clean, projection);
    expect(await runner.waitFor(await events.headPosition(), 10_000)).toBe(true);
    return {
      counts: await dump(clean, runner.access.collection('counts')),
      streams: await dump(clean, runner.access.collection('streams')),
    };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-runner-'));
    events = new SqliteEventStore(join(dir, 'events.db'), { pollIntervalMs: 10 });
    cleanups = [];
    store = await freshReadStore();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    for (const cleanup of cleanups) await cleanup();
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('projects the existing log, then live events, and answers read-your-writes', async () => {
    await writeEvents(events, 120);
    const runner = await startRunner(store);
    expect(await runner.waitFor(await events.headPosition(), 10_000)).toBe(true);
    const { position } = await events.append('s1', [newEvent('A', {})], { expectedRevision: ANY });
    expect(await runner.waitFor(position, 5_000)).toBe(true);
    const counts = await dump(store, runner.access.collection('counts'));
    expect(counts.map((d) => [d._id, d.n])).toEqual([
      ['A', 41],
      ['B', 40],
    ]);
    const s1 = await store.get(runner.access.collection('streams'), 's1');
    const revisions = (await events.readStream('s1'))
      .filter((e) => e.type !== 'C')
      .map((e) => e.revision);
    expect(s1).toMatchObject({ seen: revisions.length, recent: revisions.slice(-3) });
  });

  it('advances its checkpoint over events no projection handles', async () => {
    await writeEvents(events, 60, ['C', 'D']);
    const runner = await startRunner(store);
    const head = await events.headPosition();
    expect(await runner.waitFor(head, 5_000)).toBe(true);
    const [status] = await runner.status();
    expect(status).toMatchObject({ name: 'counter', position: head, lagEvents: 0, lagSeconds: 0 });
    expect(await dump(store, runner.access.collection('counts'))).toEqual([]);
  });

  it('reports lag in events and seconds while stopped, and a bounded wait as false', async () => {
    const runner = await startRunner(store);
    await runner.stop();
    await writeEvents(events, 10);
    await new Promise((r) => setTimeout(r, 20));
    const [status] = await runner.status();
    expect(status!.lagEvents).toBe(10);
    expect(status!.lagSeconds).toBeGreaterThan(0);
    expect(await runner.waitFor(await events.headPosition(), 50)).toBe(false);
  });

  it('resumes from its checkpoint after a restart without double counting', async () => {
    await writeEvents(events, 80);
    const first = await startRunner(store);
    expect(await first.waitFor(await events.headPosition(), 10_000)).toBe(true);
    await first.stop();
    await writeEvents(events, 40);
    const second = await startRunner(store);
    expect(await second.waitFor(await events.headPosition(), 10_000)).toBe(true);
    const clean = await cleanResult();
    expect(await dump(store, second.access.collection('counts'))).toEqual(clean.counts);
    expect(await dump(store, second.access.collection('streams'))).toEqual(clean.streams);
  });

  it('converges to a clean rebuild when stopped at any step of a batch', async () => {
    await writeEvents(events, 30);
    const clean = await cleanResult();
    // One batch of 30 events touches 9 documents: stop after each, before the checkpoint.
    for (let after = 0; after <= 9; after += 1) {
      const target = await freshReadStore();
      const faulty = faultyReadStore(target, (call) => (call === 1 ? after : undefined));
      const crashing = await startRunner(faulty, counter(), { ...fast, batchSize: 100 });
      await new Promise((r) => setTimeout(r, 50));
      await crashing.stop();
      const restarted = await startRunner(target, counter(), { ...fast, batchSize: 7 });
      expect(await restarted.waitFor(await events.headPosition(), 10_000)).toBe(true);
      expect(await dump(target, restarted.access.collection('counts'))).toEqual(clean.counts);
      expect(await dump(target, restarted.access.collection('streams'))).toEqual(clean.streams);
      await restarted.stop();
    }
  });

  it('rebuilds a projection whose version changed while the old generation serves', async () => {
    await writeEvents(events, 90);
    const v1 = await startRunner(store, counter(1));
    expect(await v1.waitFor(await events.headPosition(), 10_000)).toBe(true);
    await v1.stop();

    const v2 = await startRunner(store, counter(2));
    // Until the switch, queries read generation 1; afterwards generation 2 only.
    expect(v2.access.collection('counts')).toBe('counts_g1');
    await writeEvents(events, 20);
    await v2.rebuild('counter');
    expect(v2.access.collection('counts')).toBe('counts_g2');
    expect(await v2.waitFor(await events.headPosition(), 10_000)).toBe(true);
    const counts = await dump(store, 'counts_g2');
    expect(counts.map((d) => [d._id, d.n])).toEqual([
      ['A', 2 * 37],
      ['B', 2 * 37],
    ]);
    expect(await dump(store, 'counts_g1')).toEqual([]);
    const clean = await cleanResult(counter(2));
    expect(await dump(store, 'streams_g2')).toEqual(clean.streams);
  });

  it('catches up in bulk to the documents it projects batch by batch, then runs live', async () => {
    await writeEvents(events, 90);
    const clean = await cleanResult();
    const runner = await startRunner(store, counter(), bulk);
    expect(await runner.waitFor(await events.headPosition(), 10_000)).toBe(true);
    expect(await dump(store, runner.access.collection('counts'))).toEqual(clean.counts);
    expect(await dump(store, runner.access.collection('streams'))).toEqual(clean.streams);
    const { position } = await events.append('s1', [newEvent('A', {})], { expectedRevision: ANY });
    expect(await runner.waitFor(position, 5_000)).toBe(true);
    expect(await store.get(runner.access.collection('counts'), 'A')).toMatchObject({ n: 31 });
  });

  it('resumes a bulk catch-up over documents it wrote before, without double counting', async () => {
    await writeEvents(events, 60);
    const first = await startRunner(store, counter(), bulk);
    expect(await first.waitFor(await events.headPosition(), 10_000)).toBe(true);
    await first.stop();
    await writeEvents(events, 50);
    const second = await startRunner(store, counter(), bulk);
    expect(await second.waitFor(await events.headPosition(), 10_000)).toBe(true);
    const clean = await cleanResult();
    expect(await dump(store, second.access.collection('counts'))).toEqual(clean.counts);
    expect(await dump(store, second.access.collection('streams'))).toEqual(clean.streams);
  });

  it('converges to a clean rebuild when a bulk write stops at any document', async () => {
    await writeEvents(events, 30);
    const clean = await cleanResult();
    // One write of the 9 documents 30 events touch: stop after each, before the checkpoint;
    // restart in bulk and batch by batch in turn.
    for (let after = 0; after <= 9; after += 1) {
      const target = await freshReadStore();
      const faulty = faultyBulkStore(target, (call) => (call === 1 ? after : undefined));
      const crashing = await startRunner(faulty, counter(), { ...bulk, catchUpDocs: 100 });
      await new Promise((r) => setTimeout(r, 50));
      await crashing.stop();
      const options = after % 2 === 0 ? bulk : { ...fast, batchSize: 7 };
      const restarted = await startRunner(target, counter(), options);
      expect(await restarted.waitFor(await events.headPosition(), 10_000)).toBe(true);
      expect(await dump(target, restarted.access.collection('counts'))).toEqual(clean.counts);
      expect(await dump(target, restarted.access.collection('streams'))).toEqual(clean.streams);
      await restarted.stop();
    }
  });

  it('gives identical documents when the same log is rebuilt twice', async () => {
    await writeEvents(events, 75);
    const one = await cleanResult();
    const two = await cleanResult();
    expect(two).toEqual(one);
    expect(one.streams.length).toBe(7);
  });
});
