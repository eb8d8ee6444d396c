import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IdempotencyKeyReusedError } from '../../src/eventstore/port';
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
