import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../src/demo/random';
import {
  buildDist,
  killSpawned,
  signToken,
  sleep,
  startServerProcess,
  waitUntil,
  type ServerProcess,
} from '../support/process';
import { recordRan, recordSkip } from '../support/skips';
import { checkLedger, integrityOf, openAppEvents } from './ledger';
import { FAULT_SECRET, MarketingLoad } from './load';
import {
  checkpointsOf,
  cleanRebuild,
  documentCount,
  mongoReadModels,
  readModelDifferences,
  readModelsOf,
  sqliteReadModels,
  type ReadModelBackend,
} from './read-models';

/**
 * kill -9 of the server (`npm start`) while 8 clients send mutations with idempotency keys:
 * after a restart on the same DATA_DIR every acknowledged mutation is in the event log where its
 * answer said, nothing is written twice (retries of the unanswered ones included), every hash
 * chain verifies, and the read models the restarted server kept equal a clean rebuild.
 * FAULT_SEED=<seed> replays a run's kill point.
 */
const seed = process.env.FAULT_SEED ?? randomUUID().slice(0, 8);

const backends: Array<[string, () => ReadModelBackend]> = [['SQLite', sqliteReadModels]];
const mongoUri = process.env.MONGODB_URI;
if (mongoUri) {
  backends.push(['MongoDB', () => mongoReadModels(mongoUri, 'leadledger_fault_kill')]);
} else {
  recordSkip('Server kill -9 on MongoDB read models', 'MONGODB_URI is unset');
}

beforeAll(() => buildDist(), 240_000);
afterAll(() => killSpawned());

describe.each(backends)('kill -9 of the server under load, read models on %s', (name, make) => {
  let dir: string;
  let backend: ReadModelBackend;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-fault-kill-'));
    backend = make();
    if (backend.name === 'MongoDB') recordRan('Server kill -9 on MongoDB/FerretDB read models');
  });
  afterAll(async () => {
    await killSpawned();
    await backend.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write exactly once; the read models equal a clean rebuild', async () => {
    const env = {
      DATA_DIR: dir,
      JWT_SECRET: FAULT_SECRET,
      // The restarted server must not wait the default 10 s for its dead predecessor's leases.
      PROJECTOR_LEASE_MS: '1000',
      LOG_LEVEL: 'warn',
      ...backend.env,
    };
    const random = new Random(seed, name);
    // FerretDB writes far slower than SQLite: a smaller load there.
    const killAfter = backend.name === 'SQLite' ? random.int(80, 240) : random.int(30, 80);
    const extraMs = random.int(0, 40);
    let server: ServerProcess = await startServerProcess({ env });
    const load = await MarketingLoad.create(() => server, {
      clients: 8,
      seed,
      tag: 'kill',
      stopWhenUnanswered: true,
      requestTimeoutMs: 15_000,
    });
    const started = Date.now();
    load.start();
    await waitUntil(
      `${killAfter} acknowledged mutations`,
      () => load.acknowledged.length >= killAfter,
      120_000,
      5,
    );
    await sleep(extraMs);
    const exit = await server.crash();
    const loadMs = Date.now() - started;
    await load.stop();
    expect(exit.signal).toBe('SIGKILL');
    const acknowledgedBeforeKill = load.acknowledged.length;
    const unanswered = load.unanswered.length;
    // Nothing was refused: every mutation was valid; the kill only cut answers off.
    expect(load.refused.map((r) => `${r.mutation.key}: ${r.code}`)).toEqual([]);

    server = await startServerProcess({ env });
    const retried = await load.retryUnanswered();
    expect(retried.failed).toEqual([]);
    // A sample of acknowledged mutations sent again: deduplicated, same answer.
    const sample = load.acknowledged
      .slice(0, acknowledgedBeforeKill)
      .filter(() => random.chance(20 / acknowledgedBeforeKill));
    expect(await load.replay(sample)).toEqual([]);

    const admin = await signToken(FAULT_SECRET, 'fault-admin', ['ADMIN']);
    await waitUntil(
      'the restarted server to project every event',
      async () => {
        const answer = await server.gql<{ projectionStatus: Array<{ lagEvents: number }> }>(
          '{ projectionStatus { lagEvents } }',
          {},
          { token: admin },
        );
        return answer.data?.projectionStatus.every((s) => s.lagEvents === 0) ?? false;
      },
      120_000,
      200,
    );
    expect(await server.terminate()).toEqual({ code: 0, signal: null });

    // The stores as the restarted server left them, opened by nothing else.
    expect(integrityOf(join(dir, 'events.db'))).toBe('ok');
    if (backend.name === 'SQLite') expect(integrityOf(join(dir, 'readmodels.db'))).toBe('ok');
    const events = await openAppEvents(dir, backend.env);
    const store = await backend.open(dir);
    const scratch = await backend.scratch(dir);
    try {
      const ledger = await checkLedger(events, load.acknowledged);
      expect(ledger.problems).toEqual([]);
      const head = await events.headPosition();
      expect(await checkpointsOf(store)).toEqual({ low: head, high: head });
      const actual = await readModelsOf(store);
      const expected = await cleanRebuild(events, scratch.store);
      expect(readModelDifferences(actual, expected)).toEqual([]);
      console.log(
        `kill -9 under load (${name} read models), seed ${seed}: SIGKILL after ` +
          `${killAfter} acknowledged + ${extraMs} ms (${loadMs} ms of load, ` +
          `${acknowledgedBeforeKill} acknowledged, ${unanswered} unanswered); after restart ` +
          `${retried.deduplicated} unanswered retries were deduplicated (written before the kill), ` +
          `${retried.written} written now, ${sample.length} acknowledged replays deduplicated; ` +
          `log: ${ledger.events} events in ${ledger.streams} streams, chains verified; ` +
          `read models: ${documentCount(actual)} documents equal to a clean rebuild`,
      );
    } finally {
      await scratch.drop();
      await store.close();
      await events.close();
    }
  }, 300_000);
});
