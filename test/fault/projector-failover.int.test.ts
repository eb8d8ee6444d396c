import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { generateDemo } from '../../src/demo/generator';
import { createDemoHandler, runDemo } from '../../src/demo/run';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { PROJECTIONS } from '../../src/projections/catalog';
import { ProjectionFollower } from '../../src/projections/follower';
import { ProjectionRunner } from '../../src/projections/runner';
import { MongoReadStore } from '../../src/readstore/mongo';
import type { ReadStore } from '../../src/readstore/port';
import { SqliteReadStore } from '../../src/readstore/sqlite';
import { dumpReadModels } from '../support/read-models';
import { recordRan, recordSkip } from '../support/skips';

/**
 * Two `leadledger project` processes on the same stores: one holds every projection's lease,
 * the other stands by; `kill -9` the holder and the standby takes over within the lease time,
 * and the read models end equal to a clean rebuild. On the embedded SQLite read store always,
 * and on MongoDB (FerretDB in CI) when MONGODB_URI is set.
 */
const LEASE_MS = 3000;
const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Backend {
  env: Record<string, string>;
  /** The read store the processes write, opened here to watch leases and read models. */
  open(): Promise<ReadStore>;
  /** A fresh, empty read store of the same kind for the reference rebuild. */
  reference(): Promise<{ store: ReadStore; drop(): Promise<void> }>;
  drop(): Promise<void>;
}

const backends: Array<[string, (dir: string) => Backend]> = [
  [
    'SQLite',
    (dir) => ({
      env: {},
      open: () => Promise.resolve(new SqliteReadStore(join(dir, 'readmodels.db'))),
      reference: () => {
        const store = new SqliteReadStore(join(dir, `reference-${randomUUID()}.db`));
        return Promise.resolve({ store, drop: () => store.close() });
      },
      drop: () => Promise.resolve(),
    }),
  ],
];
const mongoUri = process.env.MONGODB_URI;
if (mongoUri) {
  const database = () => `leadledger_failover_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const open = async (name: string) => {
    const client = await MongoClient.connect(mongoUri, { ignoreUndefined: true });
    return { client, store: new MongoReadStore(client, name) };
  };
  backends.push([
    'MongoDB',
    () => {
      const name = database();
      return {
        env: { MONGODB_URI: mongoUri, MONGODB_DB: name },
        open: async () => {
          recordRan('Projector failover on MongoDB/FerretDB');
          return (await open(name)).store;
        },
        reference: async () => {
          const other = database();
          const { client, store } = await open(other);
          return {
            store,
            drop: async () => {
              await client.db(other).dropDatabase();
              await store.close();
            },
          };
        },
        drop: async () => {
          const client = await MongoClient.connect(mongoUri);
          await client.db(name).dropDatabase();
          await client.close();
        },
      };
    },
  ]);
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

const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
};

beforeAll(() => {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect([build.status, build.stdout]).toEqual([0, '']);
}, 240_000);

describe.each(backends)('projector failover on %s', (name, makeBackend) => {
  /** FerretDB writes far slower than SQLite: a smaller history there. */
  const leads = (n: number) => (name === 'SQLite' ? n : Math.ceil(n / 4));
  let dir: string;
  let backend: Backend;
  let events: SqliteEventStore;
  let store: ReadStore;
  const children: ChildProcess[] = [];

  const projector = (): ChildProcess => {
    const child = spawn('node', [cli, 'project', '--status-every', '0'], {
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dir,
        PROJECTOR_LEASE_MS: String(LEASE_MS),
        LOG_LEVEL: 'warn',
        ...backend.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') console.error(`projector exited ${code}: ${log}`);
    });
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
  const append = async (leads: number, seed: string) => {
    const demo = createDemoHandler(events);
    await runDemo(demo.handler, generateDemo({ leads, seed, start: '2025-01-01' }), demo);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-failover-'));
    backend = makeBackend(dir);
    events = new SqliteEventStore(join(dir, 'events.db'));
    await append(leads(30), 'failover-1');
    store = await backend.open();
  }, 60_000);
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await store.close();
    await events.close();
    await backend.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the standby takes over within the lease time; the read models equal a clean rebuild', async () => {
    const a = projector();
    await until(
      'the first projector to hold every lease',
      async () => (await leaseHolders(store)).every((pid) => pid === a.pid),
      180_000,
    );
    const b = projector();
    // The standby starts, finds every lease held, and stays out.
    await sleep(LEASE_MS / 2);
    expect(b.exitCode).toBeNull();
    expect((await leaseHolders(store)).every((pid) => pid === a.pid)).toBe(true);

    await append(leads(10), 'failover-2');
    a.kill('SIGKILL');
    const killed = Date.now();
    await until(
      'the standby to hold every lease',
      async () => (await leaseHolders(store)).every((pid) => pid === b.pid),
      4 * LEASE_MS,
    );
    const tookOverMs = Date.now() - killed;
    // Not before the dead holder's leases ran out; within the lease time plus a renewal or two.
    expect(tookOverMs).toBeLessThan(LEASE_MS + 2 * (LEASE_MS / 3) + 1500);
    await append(leads(10), 'failover-3');

    const follower = new ProjectionFollower(events, store, PROJECTIONS);
    await follower.start();
    const head = await events.headPosition();
    expect(await follower.waitFor(head, 180_000)).toBe(true);

    const reference = await backend.reference();
    const runner = new ProjectionRunner(events, reference.store, PROJECTIONS);
    await runner.start();
    expect(await runner.waitFor(head, 180_000)).toBe(true);
    const expected = await dumpReadModels(reference.store, runner);
    await runner.stop();
    await reference.drop();
    expect(await dumpReadModels(store, follower)).toEqual(expected);
    await follower.stop();

    // A clean stop: exit 0, the leases given back.
    b.kill('SIGTERM');
    expect(await exited(b)).toBe(0);
    expect((await leaseHolders(store)).every((pid) => pid === undefined)).toBe(true);
  }, 600_000);
});
