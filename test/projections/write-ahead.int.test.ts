import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANY } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import type { Projection } from '../../src/projections/projection';
import { ProjectionRunner, type RunnerOptions } from '../../src/projections/runner';
import type { Checkpoint, Doc, DocChange, DocWrite, ReadStore } from '../../src/readstore/port';
import { newEvent } from '../contract/eventstore.contract';
import { readStoreFactories } from '../support/readstores';

/**
 * A projection that writes a collection ahead of its checkpoint (`writeAhead`: one document per
 * event, never read back) beside one it reads (`needs`): whatever write a bulk catch-up stops at,
 * a restart converges to a clean rebuild.
 */
const journal = (): Projection => ({
  name: 'journal',
  version: 1,
  collections: [
    { name: 'entries', indexes: [] },
    { name: 'streams', indexes: [] },
  ],
  handles: new Set(['A', 'B']),
  writeAhead: ['entries'],
  needs: (e) => [{ collection: 'streams', id: e.streamId }],
  project: (e, view): DocChange[] => {
    const seen = Number(view.get('streams', e.streamId)?.seen ?? 0);
    return [
      {
        collection: 'entries',
        id: e.position,
        op: { kind: 'set', fields: { stream: e.streamId, nth: seen + 1, type: e.type } },
      },
      { collection: 'streams', id: e.streamId, op: { kind: 'set', fields: { seen: seen + 1 } } },
      {
        collection: 'streams',
        id: e.streamId,
        op: { kind: 'inc', fields: { [`by.${e.type}`]: 1 } },
      },
    ];
  },
});

/**
 * Fails the `failAt`th writeDocuments, before writing anything or after writing all of it (a
 * write is atomic, or finished by `recover`, in every store: the two ends are what a stop
 * leaves).
 */
const faultyBulkStore = (inner: ReadStore, failAt: number, written: boolean): ReadStore => {
  let calls = 0;
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== 'writeDocuments') return Reflect.get(target, property, receiver) as unknown;
      return async (writes: DocWrite[], checkpoints: Checkpoint[]) => {
        calls += 1;
        if (calls !== failAt) return target.writeDocuments(writes, checkpoints);
        if (written) await target.writeDocuments(writes, checkpoints);
        throw new Error(`injected fault in write ${failAt}, ${written ? 'after' : 'before'} it`);
      };
    },
  });
};

const bulk: RunnerOptions = {
  batchSize: 50,
  batchDeadlineMs: 5,
  dropGraceMs: 0,
  catchUpThreshold: 1,
  rebuildBatchSize: 4,
  catchUpDocs: 5,
};

const dump = async (store: ReadStore, collection: string): Promise<Doc[]> =>
  store.find(collection, { limit: 100_000 });

describe.each(readStoreFactories())('writing ahead in a bulk catch-up on %s', (_n, makeStore) => {
  let dir: string;
  let events: SqliteEventStore;
  let cleanups: Array<() => Promise<void>>;
  const runners: ProjectionRunner[] = [];

  const freshStore = async () => {
    const made = await makeStore();
    cleanups.push(made.cleanup);
    return made.store;
  };
  const start = async (store: ReadStore, options: RunnerOptions, projection = journal()) => {
    const runner = new ProjectionRunner(events, store, [projection], {
      ...options,
      onError: () => undefined,
    });
    runners.push(runner);
    await runner.start();
    return runner;
  };
  const contents = async (store: ReadStore, runner: ProjectionRunner) => ({
    entries: await dump(store, runner.access.collection('entries')),
    streams: await dump(store, runner.access.collection('streams')),
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-write-ahead-'));
    events = new SqliteEventStore(join(dir, 'events.db'), { pollIntervalMs: 10 });
    cleanups = [];
    for (let i = 0; i < 24; i += 1) {
      await events.append(`s${i % 5}`, [newEvent(i % 3 === 0 ? 'B' : 'A', { i })], {
        expectedRevision: ANY,
      });
    }
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    for (const cleanup of cleanups) await cleanup();
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('converges to a clean rebuild whatever write it stops in', async () => {
    const cleanStore = await freshStore();
    const clean = await start(cleanStore, { ...bulk, catchUpThreshold: 1_000_000 });
    expect(await clean.waitFor(await events.headPosition(), 10_000)).toBe(true);
    const expected = await contents(cleanStore, clean);
    expect(expected.entries).toHaveLength(24);
    // Writes ahead after every chunk of 4 events, and whole writes of 5 documents or more.
    for (const failAt of [1, 2, 3, 4, 5, 6, 8, 10]) {
      for (const written of [false, true]) {
        const target = await freshStore();
        const crashing = await start(faultyBulkStore(target, failAt, written), bulk);
        await new Promise((r) => setTimeout(r, 50));
        await crashing.stop();
        const restarted = await start(
          target,
          failAt % 2 === 0 ? bulk : { ...bulk, catchUpDocs: 2 },
        );
        expect(await restarted.waitFor(await events.headPosition(), 10_000)).toBe(true);
        const got = await contents(target, restarted);
        expect([failAt, written, got]).toEqual([failAt, written, expected]);
        await restarted.stop();
      }
    }
  }, 60_000);

  it.each([5, 2, 1, 100])('matches the live path with catchUpDocs %i', async (docs) => {
    const cleanStore = await freshStore();
    const clean = await start(cleanStore, { ...bulk, catchUpThreshold: 1_000_000 });
    expect(await clean.waitFor(await events.headPosition(), 10_000)).toBe(true);
    const store = await freshStore();
    const runner = await start(store, { ...bulk, catchUpDocs: docs });
    expect(await runner.waitFor(await events.headPosition(), 10_000)).toBe(true);
    expect(await contents(store, runner)).toEqual(await contents(cleanStore, clean));
  });

  it('refuses a projection whose needs name a collection it writes ahead', async () => {
    const store = await freshStore();
    const errors: unknown[] = [];
    const wrong: Projection = { ...journal(), writeAhead: ['streams'] };
    const runner = new ProjectionRunner(events, store, [wrong], {
      ...bulk,
      retryDelayMs: 10_000,
      onError: (error) => errors.push(error),
    });
    runners.push(runner);
    await runner.start();
    expect(await runner.waitFor(await events.headPosition(), 300)).toBe(false);
    expect(String(errors[0])).toMatch(/journal needs streams, which it writes ahead/);
  });
});
