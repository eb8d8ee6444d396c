import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo } from '../../src/demo/generator';
import { createDemoHandler, runDemo } from '../../src/demo/run';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { PROJECTIONS } from '../../src/projections/catalog';
import { ProjectionRunner, type RunnerOptions } from '../../src/projections/runner';
import type { Doc, ReadStore } from '../../src/readstore/port';
import { SqliteReadStore } from '../../src/readstore/sqlite';
import { sqliteStaging } from '../../src/readstore/staging';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';

/** Every read model's documents, by logical collection, after the runner caught up. */
type Snapshot = Record<string, Doc[]>;

const snapshot = async (runner: ProjectionRunner, store: ReadStore): Promise<Snapshot> => {
  const out: Snapshot = {};
  for (const projection of PROJECTIONS) {
    for (const { name } of projection.collections) {
      out[name] = await store.find(runner.access.collection(name), { limit: 1_000_000 });
    }
  }
  return out;
};

/**
 * Staged builds (MongoDB's way of building a fresh generation): the log projected into an
 * embedded staging store, then each document loaded into the read store by one insert. The
 * result must be what the live batch-by-batch path gives, on every adapter, including after a
 * load cut short and a rebuild into a new generation; no staging file stays behind.
 */
describe.each(readStoreFactories())('staged builds on %s', (_name, factory) => {
  let dir: string;
  let events: SqliteEventStore;
  let reference: Snapshot;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-staged-'));
    events = new SqliteEventStore(join(dir, 'events.db'));
    const demo = createDemoHandler(events);
    await runDemo(
      demo.handler,
      generateDemo({ leads: 80, seed: 'staged', start: '2025-01-01' }),
      demo,
    );
    // The reference: batch by batch, in place, on SQLite.
    const store = new SqliteReadStore(join(dir, 'reference.db'));
    const runner = new ProjectionRunner(events, store, PROJECTIONS, {
      batchSize: 100,
      catchUpThreshold: Number.MAX_SAFE_INTEGER,
    });
    await runner.start();
    expect(await runner.waitFor(await events.headPosition(), 60_000)).toBe(true);
    reference = await snapshot(runner, store);
    await runner.stop();
    await store.close();
  }, 120_000);
  afterAll(async () => {
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let fixture: ReadStoreFixture;
  let stagingDir: string;
  const errors: unknown[] = [];
  beforeEach(async () => {
    errors.length = 0;
    fixture = await factory();
    stagingDir = mkdtempSync(join(tmpdir(), 'leadledger-staging-'));
  });
  afterEach(async () => {
    await fixture.cleanup();
    rmSync(stagingDir, { recursive: true, force: true });
  });

  const staged = (store: ReadStore, options: RunnerOptions = {}) =>
    new ProjectionRunner(events, store, PROJECTIONS, {
      catchUpThreshold: 1,
      rebuildBatchSize: 97,
      catchUpDocs: 400,
      staging: sqliteStaging(stagingDir),
      onError: (error) => errors.push(error),
      ...options,
    });

  const startCaughtUp = async (runner: ProjectionRunner) => {
    await runner.start();
    expect(await runner.waitFor(await events.headPosition(), 60_000)).toBe(true);
  };
  /** Stopped with no error reported and no staging file left. */
  const stopClean = async (runner: ProjectionRunner) => {
    await runner.stop();
    expect(errors).toEqual([]);
    expect(readdirSync(stagingDir)).toEqual([]);
  };

  const expectReference = (actual: Snapshot) => {
    expect(Object.values(reference).some((docs) => docs.length > 50)).toBe(true);
    for (const name of Object.keys(reference)) {
      expect([name, actual[name]]).toEqual([name, reference[name]]);
    }
  };

  it('gives the documents the live path gives, and leaves no staging file', async () => {
    const runner = staged(fixture.store);
    await startCaughtUp(runner);
    expectReference(await snapshot(runner, fixture.store));
    await stopClean(runner);
  }, 120_000);

  it('builds again from the start after a load cut short, with no document twice', async () => {
    // The read store fails the third load: some collections loaded, no checkpoint written.
    let loads = 0;
    const failing: ReadStore = Object.create(fixture.store) as ReadStore;
    failing.insertDocuments = (collection, docs) => {
      loads += 1;
      if (loads === 3) return Promise.reject(new Error('connection lost mid-load'));
      return fixture.store.insertDocuments(collection, docs);
    };
    const first = staged(failing, { retryDelayMs: 60_000 });
    await first.start();
    for (let i = 0; i < 200 && errors.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await first.stop();
    expect(String(errors[0])).toContain('connection lost mid-load');
    expect(loads).toBeGreaterThanOrEqual(3);

    errors.length = 0;
    const second = staged(fixture.store);
    await startCaughtUp(second);
    expectReference(await snapshot(second, fixture.store));
    await stopClean(second);
  }, 120_000);

  it('rebuilds a projection into a new generation through the staging store', async () => {
    const runner = staged(fixture.store, { dropGraceMs: 0 });
    await startCaughtUp(runner);
    await runner.rebuild('leads');
    const leads = PROJECTIONS.find((p) => p.name === 'leads')!;
    expect(runner.access.collection(leads.collections[0]!.name)).toMatch(/_g2$/);
    expectReference(await snapshot(runner, fixture.store));
    await stopClean(runner);
  }, 120_000);
});
