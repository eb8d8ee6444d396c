import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo } from '../../src/demo/generator';
import { createDemoHandler, runDemo } from '../../src/demo/run';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { PROJECTIONS } from '../../src/projections/catalog';
import { ProjectionFollower } from '../../src/projections/follower';
import type { ReadStore } from '../../src/readstore/port';
import {
  buildDist,
  killSpawned,
  sleep,
  spawnCli,
  waitUntil,
  type NodeProcess,
} from '../support/process';
import { recordRan, recordSkip } from '../support/skips';
import {
  cleanRebuild,
  mongoReadModels,
  readModelsOf,
  sqliteReadModels,
  type ReadModelBackend,
} from './read-models';

/**
 * Two `leadledger project` processes on the same stores: one holds every projection's lease,
 * the other stands by; `kill -9` the holder and the standby takes over within the lease time,
 * and the read models end equal to a clean rebuild. On the embedded SQLite read store always,
 * and on MongoDB (FerretDB in CI) when MONGODB_URI is set.
 */
const LEASE_MS = 3000;

const backends: Array<[string, () => ReadModelBackend]> = [['SQLite', sqliteReadModels]];
const mongoUri = process.env.MONGODB_URI;
if (mongoUri) {
  backends.push(['MongoDB', () => mongoReadModels(mongoUri, 'leadledger_failover')]);
} else {
  recordSkip('Projector failover on MongoDB', 'MONGODB_URI is unset');
}

/** The pid in each projection's lease owner (`host:pid:tag`), undefined where none is held. */
const leaseHolders = async (store: ReadStore, now = Date.now()) =>
  Promise.all(
    PROJECTIONS.map(async (p) => {
      const lease = await store.readLease(`projector:${p.name}`);
      return lease && lease.expiresAt > now ? Number(lease.owner.split(':')[1]) : undefined;
    }),
  );

beforeAll(() => buildDist(), 240_000);
afterAll(() => killSpawned());

describe.each(backends)('projector failover on %s', (name, makeBackend) => {
  /** FerretDB writes far slower than SQLite: a smaller history there. */
  const leads = (n: number) => (name === 'SQLite' ? n : Math.ceil(n / 4));
  let dir: string;
  let backend: ReadModelBackend;
  let events: SqliteEventStore;
  let store: ReadStore;

  const projector = (): NodeProcess =>
    spawnCli(['project', '--status-every', '0'], {
      env: {
        DATA_DIR: dir,
        PROJECTOR_LEASE_MS: String(LEASE_MS),
        LOG_LEVEL: 'warn',
        ...backend.env,
      },
    });
  const append = async (leads: number, seed: string) => {
    const demo = createDemoHandler(events);
    await runDemo(demo.handler, generateDemo({ leads, seed, start: '2025-01-01' }), demo);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-failover-'));
    backend = makeBackend();
    if (backend.name === 'MongoDB') recordRan('Projector failover on MongoDB/FerretDB');
    events = new SqliteEventStore(join(dir, 'events.db'));
    await append(leads(30), 'failover-1');
    store = await backend.open(dir);
  }, 60_000);
  afterAll(async () => {
    await killSpawned();
    await store.close();
    await events.close();
    await backend.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the standby takes over within the lease time; the read models equal a clean rebuild', async () => {
    const a = projector();
    await waitUntil(
      'the first projector to hold every lease',
      async () => (await leaseHolders(store)).every((pid) => pid === a.pid),
      180_000,
    );
    const b = projector();
    // The standby starts, finds every lease held, and stays out.
    await sleep(LEASE_MS / 2);
    expect(b.running()).toBe(true);
    expect((await leaseHolders(store)).every((pid) => pid === a.pid)).toBe(true);

    await append(leads(10), 'failover-2');
    await a.crash();
    // The dead holder's leases run out this long after its last renewal: the standby may not
    // take over sooner, and should not take much longer (its renewal round, then one write each).
    const expiries = await Promise.all(
      PROJECTIONS.map(async (p) => (await store.readLease(`projector:${p.name}`))?.expiresAt ?? 0),
    );
    const expired = Math.max(...expiries);
    await waitUntil(
      'the standby to hold every lease',
      async () => (await leaseHolders(store)).every((pid) => pid === b.pid),
      4 * LEASE_MS,
    );
    const afterExpiryMs = Date.now() - expired;
    // Within two renewal periods of the last expiry, plus room for a loaded store's answers.
    expect(afterExpiryMs).toBeLessThan(2 * (LEASE_MS / 3) + 3000);
    await append(leads(10), 'failover-3');

    const follower = new ProjectionFollower(events, store, PROJECTIONS);
    await follower.start();
    const head = await events.headPosition();
    expect(await follower.waitFor(head, 180_000)).toBe(true);

    const reference = await backend.scratch(dir);
    const expected = await cleanRebuild(events, reference.store, 180_000);
    await reference.drop();
    expect(await readModelsOf(store)).toEqual(expected);
    await follower.stop();

    // A clean stop: exit 0, the leases given back.
    expect((await b.terminate()).code).toBe(0);
    expect((await leaseHolders(store)).every((pid) => pid === undefined)).toBe(true);
  }, 600_000);
});
