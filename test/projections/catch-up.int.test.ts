import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo } from '../../src/demo/generator';
import { createDemoHandler, runDemo } from '../../src/demo/run';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { PROJECTIONS } from '../../src/projections/catalog';
import { ProjectionRunner, type RunnerOptions } from '../../src/projections/runner';
import { SqliteReadStore } from '../../src/readstore/sqlite';

/**
 * The bulk catch-up (documents in memory, written whole) against the batch-by-batch live path,
 * over every read model and a demo history: the same documents, `_pos` included.
 */
describe('bulk catch-up of every projection', () => {
  let dir: string;
  let events: SqliteEventStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-catchup-'));
    events = new SqliteEventStore(join(dir, 'events.db'));
    const demo = createDemoHandler(events);
    await runDemo(
      demo.handler,
      generateDemo({ leads: 150, seed: 'catch-up', start: '2025-01-01' }),
      demo,
    );
  }, 60_000);
  afterAll(async () => {
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every collection's documents (JSON, in `_id` order) after projecting the whole log. */
  const project = async (name: string, options: RunnerOptions): Promise<Record<string, string>> => {
    const store = new SqliteReadStore(join(dir, `${name}.db`));
    const runner = new ProjectionRunner(events, store, PROJECTIONS, {
      ...options,
      onError: (error) => {
        throw error;
      },
    });
    await runner.start();
    expect(await runner.waitFor(await events.headPosition(), 30_000)).toBe(true);
    const out: Record<string, string> = {};
    for (const projection of PROJECTIONS) {
      for (const { name: logical } of projection.collections) {
        const docs = await store.find(runner.access.collection(logical), { limit: 1_000_000 });
        out[logical] = JSON.stringify(docs);
      }
    }
    await runner.stop();
    await store.close();
    return out;
  };

  it('gives what batch-by-batch projection gives, and the same again when repeated', async () => {
    const live = await project('live', {
      batchSize: 100,
      catchUpThreshold: Number.MAX_SAFE_INTEGER,
    });
    const bulk = await project('bulk', {
      catchUpThreshold: 1,
      rebuildBatchSize: 97,
      catchUpDocs: 500,
    });
    const again = await project('again', {
      catchUpThreshold: 1,
      rebuildBatchSize: 97,
      catchUpDocs: 500,
    });
    expect(Object.values(live).some((json) => json.length > 1000)).toBe(true);
    for (const name of Object.keys(live)) {
      expect([name, JSON.parse(bulk[name]!)]).toEqual([name, JSON.parse(live[name]!)]);
      // Byte for byte: the same log rebuilt twice.
      expect([name, again[name]]).toEqual([name, bulk[name]]);
    }
  }, 120_000);
});
