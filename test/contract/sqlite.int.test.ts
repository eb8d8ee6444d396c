import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  ConcurrencyError,
  IdempotencyKeyReusedError,
  type AppendResult,
} from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import type * as SqliteModule from '../../src/eventstore/sqlite';
import { eventStoreContract, newEvent } from './eventstore.contract';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'leadledger-es-')), 'events.db');

eventStoreContract(
  'SQLite',
  () => {
    const file = tempFile();
    const store = new SqliteEventStore(file, { pollIntervalMs: 20 });
    return Promise.resolve({
      store,
      tamper: (streamId, revision) => {
        const db = new Database(file);
        db.prepare(
          `UPDATE events SET data = json_set(data, '$.amount', 1000000) WHERE stream_id = ? AND revision = ?`,
        ).run(streamId, revision);
        db.close();
        return Promise.resolve();
      },
      cleanup: async () => {
        await store.close();
        rmSync(join(file, '..'), { recursive: true, force: true });
      },
    });
  },
  { tamper: true },
);

// The server's configuration: concurrent appends committed together.
eventStoreContract('SQLite, group commit', () => {
  const file = tempFile();
  const store = new SqliteEventStore(file, { pollIntervalMs: 20, groupCommit: true });
  return Promise.resolve({
    store,
    cleanup: async () => {
      await store.close();
      rmSync(join(file, '..'), { recursive: true, force: true });
    },
  });
});

describe('SqliteEventStore specifics', () => {
  let file: string;
  beforeEach(() => {
    file = tempFile();
  });
  afterEach(() => rmSync(join(file, '..'), { recursive: true, force: true }));

  it('refuses an idempotency key already used on another stream', async () => {
    const store = new SqliteEventStore(file);
    await store.append('lead-1', [newEvent('A', {})], {
      expectedRevision: 'NO_STREAM',
      idempotencyKey: 'k',
    });
    await expect(
      store.append('lead-2', [newEvent('A', {})], {
        expectedRevision: 'NO_STREAM',
        idempotencyKey: 'k',
      }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await store.readStream('lead-2')).toEqual([]);
    await store.close();
  });

  it('keeps the events after the file is closed and reopened', async () => {
    const first = new SqliteEventStore(file);
    const { position } = await first.append('lead-1', [newEvent('A', { kept: true })], {
      expectedRevision: 'NO_STREAM',
    });
    await first.close();
    const second = new SqliteEventStore(file);
    const [event] = await second.readStream('lead-1');
    expect(event).toMatchObject({ position, data: { kept: true } });
    expect((await second.verify('lead-1')).ok).toBe(true);
    await second.close();
  });

  it('detects a deleted and a reordered event in the middle of a stream', async () => {
    const store = new SqliteEventStore(file);
    await store.append('lead-1', [newEvent('A', {}), newEvent('B', {}), newEvent('C', {})], {
      expectedRevision: 'NO_STREAM',
    });
    await store.append('lead-2', [newEvent('A', {}), newEvent('B', {}), newEvent('C', {})], {
      expectedRevision: 'NO_STREAM',
    });
    const [, , c2] = await store.readStream('lead-2');
    const [, , c1] = await store.readStream('lead-1');
    const db = new Database(file);
    db.prepare("DELETE FROM events WHERE stream_id = 'lead-1' AND revision = 1").run();
    db.prepare("UPDATE events SET revision = -1 WHERE stream_id = 'lead-2' AND revision = 1").run();
    db.prepare("UPDATE events SET revision = 1 WHERE stream_id = 'lead-2' AND revision = 2").run();
    db.prepare("UPDATE events SET revision = 2 WHERE stream_id = 'lead-2' AND revision = -1").run();
    db.close();
    expect(await store.verify('lead-1')).toMatchObject({
      ok: false,
      firstBadPosition: c1!.position,
    });
    expect(await store.verify('lead-2')).toMatchObject({
      ok: false,
      firstBadPosition: c2!.position,
    });
    await store.close();
  });

  it('wakes a live subscription for writes made by another process (polling)', async () => {
    const reader = new SqliteEventStore(file, { pollIntervalMs: 20 });
    // A second copy of the module has its own in-process signal, like another process would.
    let OtherProcessStore!: typeof SqliteEventStore;
    jest.isolateModules(() => {
      OtherProcessStore = jest.requireActual<typeof SqliteModule>(
        '../../src/eventstore/sqlite',
      ).SqliteEventStore;
    });
    const writer = new OtherProcessStore(file);
    const subscription = reader.subscribe();
    const received: string[] = [];
    const consuming = (async () => {
      for await (const e of subscription) {
        received.push(e.type);
        if (received.length === 3) break;
      }
    })();
    for (const type of ['A', 'B', 'C']) {
      await writer.append('lead-9', [newEvent(type, {})], { expectedRevision: 'ANY' });
      await new Promise((r) => setTimeout(r, 30));
    }
    await consuming;
    expect(received).toEqual(['A', 'B', 'C']);
    await subscription.close();
    await writer.close();
    await reader.close();
  });

  it('commits appends made together in one transaction, each failing or succeeding alone', async () => {
    const store = new SqliteEventStore(file, { groupCommit: true });
    await store.append('deal-1', [newEvent('A', {})], { expectedRevision: 'NO_STREAM' });
    // COMMITs run by any connection of this process (better-sqlite3 prepares them as statements).
    const probe = new Database(':memory:');
    const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as {
      run: (...args: unknown[]) => unknown;
    };
    probe.close();
    const run = jest.spyOn(statementProto, 'run');
    const commits = () =>
      run.mock.contexts.filter((c) => (c as { source?: string }).source === 'COMMIT').length;
    // All asked for in the same turn of the event loop: one group.
    const outcomes = await Promise.allSettled([
      store.append('lead-1', [newEvent('A', { n: 1 })], { expectedRevision: 'NO_STREAM' }),
      store.append('deal-1', [newEvent('B', {})], { expectedRevision: 5 }),
      store.append('lead-2', [newEvent('A', {}), newEvent('B', {})], {
        expectedRevision: 'NO_STREAM',
        idempotencyKey: 'k-1',
      }),
      store.append('lead-2', [newEvent('A', {}), newEvent('B', {})], {
        expectedRevision: 'NO_STREAM',
        idempotencyKey: 'k-1',
      }),
      store.append('lead-1', [newEvent('C', {})], { expectedRevision: 'NO_STREAM' }),
      store.append('lead-3', [], { expectedRevision: 'NO_STREAM' }),
      store.append('lead-1', [newEvent('D', {})], { expectedRevision: 0 }),
    ]);
    const committed = commits();
    run.mockRestore();
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    const value = (i: number) => (outcomes[i] as PromiseFulfilledResult<AppendResult>).value;
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect((outcomes[4] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect((outcomes[5] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    // The retry in the same group saw the first's key: it wrote nothing.
    expect(value(2)).toMatchObject({ revision: 1, deduplicated: false });
    expect(value(3)).toEqual({ ...value(2), deduplicated: true });
    expect(value(6).revision).toBe(1);
    expect((await store.readStream('lead-1')).map((e) => e.type)).toEqual(['A', 'D']);
    expect((await store.readStream('deal-1')).map((e) => e.type)).toEqual(['A']);
    expect(await store.readStream('lead-2')).toHaveLength(2);
    expect(await store.readStream('lead-3')).toEqual([]);
    expect((await store.verify('lead-1')).ok).toBe(true);
    // One commit for the whole group.
    expect(committed).toBe(1);
    await store.close();
  });

  it('answers an append only once it is committed, and writes pending appends on close', async () => {
    const store = new SqliteEventStore(file, { groupCommit: true });
    const pending = store.append('lead-1', [newEvent('A', {})], { expectedRevision: 'NO_STREAM' });
    await store.close();
    await expect(pending).resolves.toMatchObject({ revision: 0 });
    const reopened = new SqliteEventStore(file);
    expect(await reopened.readStream('lead-1')).toHaveLength(1);
    await expect(
      store.append('lead-1', [newEvent('B', {})], { expectedRevision: 0 }),
    ).rejects.toThrow(/not open/);
    await reopened.close();
  });

  it('delivers a subscription to some event types only those, across a long log', async () => {
    const store = new SqliteEventStore(file, { pollIntervalMs: 20 });
    const events = Array.from({ length: 120 }, (_, i) =>
      newEvent(i % 50 === 7 ? 'Wanted' : 'Other', { i }),
    );
    await store.append('lead-1', events, { expectedRevision: 'NO_STREAM' });
    const subscription = store.subscribe({ eventTypes: ['Wanted'], batchSize: 2 });
    const received: number[] = [];
    const consuming = (async () => {
      for await (const e of subscription) {
        received.push((e.data as { i: number }).i);
        if (received.length === 4) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 30));
    await store.append(
      'lead-2',
      [newEvent('Other', { i: 1000 }), newEvent('Wanted', { i: 1001 })],
      {
        expectedRevision: 'NO_STREAM',
      },
    );
    await consuming;
    expect(received).toEqual([7, 57, 107, 1001]);
    await subscription.close();
    await store.close();
  });

  it('counts the events after a position exactly, up to a limit', async () => {
    const store = new SqliteEventStore(file);
    expect(await store.countAfter('', 10)).toBe(0);
    const first = await store.append('lead-1', [newEvent('A', {})], { expectedRevision: 'ANY' });
    await store.append('lead-1', [newEvent('B', {}), newEvent('C', {})], {
      expectedRevision: 'ANY',
    });
    expect(await store.countAfter('', 10)).toBe(3);
    expect(await store.countAfter(first.position, 10)).toBe(2);
    expect(await store.countAfter(first.position, 1)).toBe(1);
    expect(await store.countAfter(await store.headPosition(), 10)).toBe(0);
    await store.close();
  });
});
