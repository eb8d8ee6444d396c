import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANY } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { checkpointName, physical } from '../../src/projections/generations';
import type { Projection } from '../../src/projections/projection';
import { ProjectionRunner } from '../../src/projections/runner';
import { newEvent } from '../contract/eventstore.contract';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';

/** Counts the ticks it has seen, in one document. */
const tally = (name: string): Projection => ({
  name,
  version: 1,
  collections: [{ name: `${name}_tally`, indexes: [] }],
  handles: new Set(['Tick']),
  project: () => [
    { collection: `${name}_tally`, id: 'ticks', op: { kind: 'inc', fields: { n: 1 } } },
  ],
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A projection joins the live loop (its lease came free) while a batch is being gathered from a
 * subscription planned without it, from past its checkpoint. That batch must not be applied to
 * it: the events between its checkpoint and the batch would be skipped for good, its checkpoint
 * moving past them. (Found by the projector kill test on FerretDB: one handoff missing from the
 * SLA read model, whose projector had joined later than the others.)
 */
describe.each(readStoreFactories())('a projection joining mid-batch on %s', (_name, factory) => {
  let dir: string;
  let events: SqliteEventStore;
  let fixture: ReadStoreFixture;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-join-race-'));
    events = new SqliteEventStore(join(dir, 'events.db'));
    fixture = await factory();
  });
  afterEach(async () => {
    await fixture.cleanup();
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ticks = async (n: number) => {
    for (let i = 0; i < n; i += 1) {
      await events.append('clock', [newEvent('Tick', { i })], { expectedRevision: ANY });
    }
  };

  it('projects the events it had not seen, none skipped', async () => {
    const { store } = fixture;
    const projections = [tally('early'), tally('late')];
    await ticks(10);
    const first = new ProjectionRunner(events, store, projections, { batchDeadlineMs: 5 });
    await first.start();
    expect(await first.waitFor(await events.headPosition(), 30_000)).toBe(true);
    await first.stop();

    // Another projector holds `late` for 2.5 s more and does nothing with it: `late` stays at
    // tick 10 while `early` moves on.
    const started = Date.now();
    expect(await store.acquireLease('projector:late', 'other', started, 2500)).toBe(true);
    await ticks(10);
    const errors: unknown[] = [];
    const runner = new ProjectionRunner(events, store, projections, {
      // Wide batches: the lease comes free while one is being gathered.
      batchDeadlineMs: 1500,
      lease: { owner: 'me', ttlMs: 10_000, renewMs: 50 },
      onError: (error) => errors.push(error),
    });
    await runner.start();
    try {
      expect(runner.heldProjections()).toEqual(['early']);
      // Ticks 11-20 go to `early` in a batch gathered until ~1.5 s; tick 21 starts the next
      // one, gathered until ~3.5 s, and the lease of `late` comes free at 2.5 s, mid-batch.
      await sleep(Math.max(0, started + 2000 - Date.now()));
      await ticks(1);
      const head = await events.headPosition();
      const deadline = Date.now() + 30_000;
      while (!(await runner.waitFor(head, 100)) || runner.heldProjections().length < 2) {
        if (Date.now() > deadline)
          throw new Error(
            `the runner never took \`late\` and caught up: ${JSON.stringify({ held: runner.heldProjections(), status: await runner.status(), head, lease: await store.readLease('projector:late'), now: Date.now() })}`,
          );
      }
      for (const name of ['early', 'late']) {
        const doc = await store.get(physical(`${name}_tally`, 1), 'ticks');
        expect({ name, n: doc?.n }).toEqual({ name, n: 21 });
        expect(await store.getCheckpoint(checkpointName(name, 1))).toBe(head);
      }
      expect(errors).toEqual([]);
    } finally {
      await runner.stop();
    }
  }, 60_000);
});
