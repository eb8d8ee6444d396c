import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo } from '../../src/demo/generator';
import { createDemoHandler, runDemo } from '../../src/demo/run';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { PROJECTIONS } from '../../src/projections/catalog';
import { ProjectionFollower } from '../../src/projections/follower';
import { ProjectionRunner, type LeaseOptions } from '../../src/projections/runner';
import type { ReadStore } from '../../src/readstore/port';
import { dumpReadModels } from '../support/read-models';
import { readStoreFactories, type ReadStoreFixture } from '../support/readstores';

const TTL_MS = 1500;
const RENEW_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A process that froze (or was killed) as its peers see it: from `freeze()` on, none of its
 * calls reach the store (they never complete), so it neither renews nor writes.
 */
const freezable = (store: ReadStore): { store: ReadStore; freeze: () => void } => {
  let frozen = false;
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        frozen
          ? new Promise(() => undefined)
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return { store: proxy, freeze: () => (frozen = true) };
};

describe.each(readStoreFactories())('projector leases on %s', (name, factory) => {
  /** FerretDB writes far slower than SQLite: a smaller history there. */
  const leads = (n: number) => (name === 'SQLite' ? n : Math.ceil(n / 4));
  let dir: string;
  let events: SqliteEventStore;
  let fixture: ReadStoreFixture;
  let clean: Record<string, unknown>;
  const runners: ProjectionRunner[] = [];

  const lease = (owner: string, changes?: string[]): LeaseOptions => ({
    owner,
    ttlMs: TTL_MS,
    renewMs: RENEW_MS,
    onChange: ({ projection, held }) => changes?.push(`${owner} ${held ? '+' : '-'}${projection}`),
  });
  const runner = (store: ReadStore, options: { lease?: LeaseOptions } = {}) => {
    const r = new ProjectionRunner(events, store, PROJECTIONS, {
      batchDeadlineMs: 5,
      onError: () => undefined,
      ...options,
    });
    runners.push(r);
    return r;
  };
  /** The whole log projected by one runner, no leases, into a fresh store of the same kind. */
  const cleanRebuild = async () => {
    const reference = await factory();
    try {
      const single = runner(reference.store);
      await single.start();
      expect(await single.waitFor(await events.headPosition(), 180_000)).toBe(true);
      await single.stop();
      return await dumpReadModels(reference.store, single);
    } finally {
      await reference.cleanup();
    }
  };
  const append = async (leads: number, seed: string) => {
    const demo = createDemoHandler(events);
    await runDemo(demo.handler, generateDemo({ leads, seed, start: '2025-01-01' }), demo);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-leases-'));
    events = new SqliteEventStore(join(dir, 'events.db'));
    await append(leads(40), 'leases-1');
    // The reference: the whole log projected by one runner, no leases, into its own store.
    clean = await cleanRebuild();
  }, 400_000);
  beforeEach(async () => {
    fixture = await factory();
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    await fixture.cleanup();
  });
  afterAll(async () => {
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each projection to exactly one of two projectors; together they equal one', async () => {
    const a = runner(fixture.store, { lease: lease('a') });
    const b = runner(fixture.store, { lease: lease('b') });
    await a.start();
    await b.start();
    expect(a.heldProjections().sort()).toEqual(PROJECTIONS.map((p) => p.name).sort());
    expect(b.heldProjections()).toEqual([]);
    // The standby follows: its status and waitFor read the holder's checkpoints.
    const head = await events.headPosition();
    expect(await a.waitFor(head, 180_000)).toBe(true);
    expect((await b.status()).every((s) => s.position === head)).toBe(true);
    expect(await dumpReadModels(fixture.store, b)).toEqual(clean);
  }, 400_000);

  it('hands the projections to the standby within the lease time when the holder dies', async () => {
    const changes: string[] = [];
    const frozen = freezable(fixture.store);
    const a = runner(frozen.store, { lease: lease('a', changes) });
    const b = runner(fixture.store, { lease: lease('b', changes) });
    await a.start();
    await b.start();
    expect(await a.waitFor(await events.headPosition(), 180_000)).toBe(true);

    frozen.freeze();
    const died = Date.now();
    // The frozen runner never comes back; its stop would wait on the store forever.
    runners.splice(runners.indexOf(a), 1);
    await append(leads(15), 'leases-2');
    // When the dead holder's leases end, as the store says: a renewal it began before freezing
    // may still land, and on a loaded store its `now` may be older than the last renewal period.
    let expiry = 0;
    const deadline = died + TTL_MS + 3 * RENEW_MS + 1000;
    while (b.heldProjections().length < PROJECTIONS.length && Date.now() < deadline) {
      const leases = await Promise.all(
        PROJECTIONS.map((p) => fixture.store.readLease(`projector:${p.name}`)),
      );
      for (const l of leases) if (l?.owner === 'a') expiry = Math.max(expiry, l.expiresAt);
      await sleep(20);
    }
    const tookOver = Date.now();
    expect(b.heldProjections()).toHaveLength(PROJECTIONS.length);
    // Never before the holder's lease ended; within a few renewal periods after.
    expect(expiry).toBeGreaterThan(died);
    expect(tookOver).toBeGreaterThanOrEqual(expiry);
    expect(tookOver - expiry).toBeLessThan(3 * RENEW_MS + 1000);
    // Joined (generations opened) once taken: then it reports each projection gained.
    while (changes.filter((c) => c.startsWith('b +')).length < PROJECTIONS.length) {
      await sleep(50);
    }

    // The survivor catches up on what was appended meanwhile; the result is a clean rebuild's.
    const head = await events.headPosition();
    expect(await b.waitFor(head, 180_000)).toBe(true);
    expect(await dumpReadModels(fixture.store, b)).toEqual(await cleanRebuild());
  }, 400_000);

  it('releases its leases on a clean stop, so the standby takes over at once', async () => {
    const a = runner(fixture.store, { lease: lease('a') });
    const b = runner(fixture.store, { lease: { ...lease('b'), ttlMs: 60_000, renewMs: 100 } });
    await a.start();
    await b.start();
    await a.stop();
    const stopped = Date.now();
    while (b.heldProjections().length < PROJECTIONS.length && Date.now() - stopped < 5000) {
      await sleep(20);
    }
    expect(b.heldProjections()).toHaveLength(PROJECTIONS.length);
    expect(Date.now() - stopped).toBeLessThan(2000);
  }, 200_000);

  it('lets an API-only replica follow the projector: live generations, waitFor, status', async () => {
    const a = runner(fixture.store, { lease: lease('a') });
    await a.start();
    const follower = new ProjectionFollower(events, fixture.store, PROJECTIONS, { pollMs: 10 });
    await follower.start();
    try {
      const demo = createDemoHandler(events);
      demo.clock.set('2025-06-01T10:00:00.000Z');
      const { position } = await demo.handler.handle(
        'captureLead',
        { email: 'follow@example.com', segment: 'SMB', channel: 'EMAIL' },
        { actor: { id: 'u-1', roles: ['MARKETING'] }, occurredAt: '2025-06-01T10:00:00.000Z' },
      );
      expect(await follower.waitFor(position, 60_000)).toBe(true);
      const status = await follower.status();
      expect(status.map((s) => s.name).sort()).toEqual(PROJECTIONS.map((p) => p.name).sort());
      expect(status.every((s) => s.position >= position && s.lagEvents === 0)).toBe(true);
      expect(await dumpReadModels(fixture.store, follower)).toEqual(
        await dumpReadModels(fixture.store, a),
      );
      // A position nobody reaches: false once the wait is over, not sooner.
      const started = Date.now();
      expect(await follower.waitFor('9999999999999999', 200)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    } finally {
      await follower.stop();
    }
  }, 200_000);
});
