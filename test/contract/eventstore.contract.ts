import { randomUUID } from 'node:crypto';
import { Anchorer, type AnchorerStore } from '../../src/audit/anchorer';
import type { LedgerAnchored } from '../../src/audit/events';
import { verifyLedger } from '../../src/audit/verify-ledger';
import {
  ConcurrencyError,
  comparePositions,
  type EventStore,
  type NewEvent,
  type StoredEvent,
} from '../../src/eventstore/port';

export interface EventStoreFixture {
  store: EventStore;
  /** Alters a stored event's payload behind the store's back (where the test can reach the rows). */
  tamper?: (streamId: string, revision: number) => Promise<void>;
  cleanup: () => Promise<void>;
}

const actor = { id: 'rep-1', roles: ['SALES'] };

export const newEvent = (type: string, data: unknown, id?: string): NewEvent => ({
  ...(id ? { id } : {}),
  type,
  schemaVersion: 1,
  occurredAt: '2026-03-01T10:00:00.000Z',
  data,
  metadata: { actor, correlationId: randomUUID(), causationId: randomUUID() },
});

const collect = async (events: AsyncIterable<StoredEvent>, keep: (e: StoredEvent) => boolean) => {
  const out: StoredEvent[] = [];
  for await (const e of events) if (keep(e)) out.push(e);
  return out;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The behaviour every EventStore adapter must show; run once per adapter. */
export const eventStoreContract = (
  name: string,
  factory: () => Promise<EventStoreFixture>,
  capabilities: { tamper: boolean } = { tamper: false },
): void => {
  describe(`EventStore contract: ${name}`, () => {
    let fixture: EventStoreFixture;
    let store: EventStore;
    let run: string;
    const stream = (s: string) => `${s}-${run}`;

    beforeAll(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture.cleanup();
    });
    beforeEach(() => {
      run = randomUUID().slice(0, 8);
    });

    it('appends to a new stream and reads back exactly what was written', async () => {
      const s = stream('lead');
      const result = await store.append(
        s,
        [newEvent('LeadCaptured', { email: 'a@example.com', n: 1 })],
        { expectedRevision: 'NO_STREAM' },
      );
      expect(result).toMatchObject({ revision: 0, deduplicated: false });
      const [event, ...rest] = await store.readStream(s);
      expect(rest).toHaveLength(0);
      expect(event).toMatchObject({
        type: 'LeadCaptured',
        schemaVersion: 1,
        streamId: s,
        revision: 0,
        position: result.position,
        occurredAt: '2026-03-01T10:00:00.000Z',
        data: { email: 'a@example.com', n: 1 },
        metadata: { actor },
      });
      expect(event!.recordedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(event!.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(event!.metadata.prevHash).toBe('0'.repeat(64));
    });

    it('numbers revisions per stream and links each event to the previous hash', async () => {
      const s = stream('lead');
      await store.append(s, [newEvent('A', {}), newEvent('B', {})], {
        expectedRevision: 'NO_STREAM',
      });
      const third = await store.append(s, [newEvent('C', {})], { expectedRevision: 1 });
      expect(third.revision).toBe(2);
      const events = await store.readStream(s);
      expect(events.map((e) => e.revision)).toEqual([0, 1, 2]);
      expect(events[1]!.metadata.prevHash).toBe(events[0]!.metadata.hash);
      expect(events[2]!.metadata.prevHash).toBe(events[1]!.metadata.hash);
    });

    it('refuses a stale expected revision with ConcurrencyError and writes nothing', async () => {
      const s = stream('lead');
      await store.append(s, [newEvent('A', {})], { expectedRevision: 'NO_STREAM' });
      await expect(
        store.append(s, [newEvent('B', {})], { expectedRevision: 'NO_STREAM' }),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(
        store.append(s, [newEvent('B', {})], { expectedRevision: 5 }),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(
        store.append(stream('missing'), [newEvent('B', {})], { expectedRevision: 0 }),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.readStream(s)).toHaveLength(1);
      expect(await store.readStream(stream('missing'))).toEqual([]);
    });

    it('lets exactly one of N parallel appends at the same expected revision win', async () => {
      const s = stream('deal');
      await store.append(s, [newEvent('DealOpened', {})], { expectedRevision: 'NO_STREAM' });
      const attempts = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) =>
          store.append(s, [newEvent('DealWon', { i })], { expectedRevision: 0 }),
        ),
      );
      const won = attempts.filter((a) => a.status === 'fulfilled');
      const lost = attempts.filter((a) => a.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(15);
      for (const l of lost) expect(l.reason).toBeInstanceOf(ConcurrencyError);
      const events = await store.readStream(s);
      expect(events).toHaveLength(2);
    });

    it('appends at ANY expected revision', async () => {
      const s = stream('lead');
      await store.append(s, [newEvent('A', {})], { expectedRevision: 'ANY' });
      const second = await store.append(s, [newEvent('B', {})], { expectedRevision: 'ANY' });
      expect(second.revision).toBe(1);
    });

    it('returns the first result for an idempotent retry and writes nothing', async () => {
      const s = stream('lead');
      const key = `key-${run}`;
      const first = await store.append(s, [newEvent('A', { x: 1 }), newEvent('B', {})], {
        expectedRevision: 'NO_STREAM',
        idempotencyKey: key,
      });
      const head = await store.headPosition();
      const retry = await store.append(s, [newEvent('A', { x: 1 }), newEvent('B', {})], {
        expectedRevision: 'NO_STREAM',
        idempotencyKey: key,
      });
      expect(retry).toEqual({ ...first, deduplicated: true });
      expect(await store.findIdempotent(s, key)).toEqual({ ...first, deduplicated: true });
      expect(await store.findIdempotent(s, `other-${run}`)).toBeUndefined();
      expect(await store.readStream(s)).toHaveLength(2);
      expect(await store.headPosition()).toBe(head);
      const [a] = await store.readStream(s);
      expect(a!.metadata.idempotencyKey).toBe(key);
    });

    it('reads a stream by revision range and as of a past instant', async () => {
      const s = stream('lead');
      await store.append(s, [newEvent('A', {}), newEvent('B', {})], {
        expectedRevision: 'NO_STREAM',
      });
      await sleep(15);
      const between = new Date().toISOString();
      await sleep(15);
      await store.append(s, [newEvent('C', {}), newEvent('D', {})], { expectedRevision: 1 });

      const types = (events: StoredEvent[]) => events.map((e) => e.type);
      expect(types(await store.readStream(s, { fromRevision: 1, toRevision: 2 }))).toEqual([
        'B',
        'C',
      ]);
      expect(types(await store.readStream(s, { fromRevision: 3 }))).toEqual(['D']);
      expect(types(await store.readStream(s, { asOf: between }))).toEqual(['A', 'B']);
      expect(types(await store.readStream(s, { asOf: '2000-01-01T00:00:00Z' }))).toEqual([]);
    });

    it('reads the global log in append order across streams, from a position', async () => {
      const start = await store.headPosition();
      const written: string[] = [];
      for (let i = 0; i < 30; i += 1) {
        const s = stream(`s${i % 3}`);
        const id = randomUUID();
        await store.append(s, [newEvent('E', { i }, id)], { expectedRevision: 'ANY' });
        written.push(id);
      }
      const mine = (e: StoredEvent) => e.streamId.endsWith(run);
      const all = await collect(store.readAll({ from: start, batchSize: 7 }), mine);
      expect(all.map((e) => e.id)).toEqual(written);
      for (let i = 1; i < all.length; i += 1) {
        expect(comparePositions(all[i - 1]!.position, all[i]!.position)).toBeLessThan(0);
      }
      const tail = await collect(store.readAll({ from: all[19]!.position }), mine);
      expect(tail.map((e) => e.id)).toEqual(written.slice(20));
      // A shared server may hold other writers' events after ours: compare, don't equate.
      expect(
        comparePositions(await store.headPosition(), all[29]!.position),
      ).toBeGreaterThanOrEqual(0);
      expect(await store.countAfter(all[19]!.position, 1000)).toBeGreaterThanOrEqual(10);
      expect(await store.countAfter(all[0]!.position, 5)).toBe(5);
    });

    it('hands a subscription over from catch-up to live with no gap and no duplicate', async () => {
      const start = await store.headPosition();
      const expected: string[] = [];
      const write = async (n: number, prefix: string) => {
        for (let i = 0; i < n; i += 1) {
          const id = randomUUID();
          expected.push(id);
          await store.append(stream(`${prefix}${i % 5}`), [newEvent('E', { i }, id)], {
            expectedRevision: 'ANY',
          });
        }
      };
      await write(120, 'before');
      const subscription = store.subscribe({ from: start, batchSize: 25 });
      const received: StoredEvent[] = [];
      const consuming = (async () => {
        for await (const e of subscription) {
          if (!e.streamId.endsWith(run)) continue;
          received.push(e);
          if (received.length === 240) break;
        }
      })();
      // Concurrent writers while the subscription is catching up and after it went live.
      await Promise.all([write(60, 'during-a'), write(60, 'during-b')]);
      await consuming;
      await subscription.close();
      expect(received.map((e) => e.id).sort()).toEqual([...expected].sort());
      expect(new Set(received.map((e) => e.id)).size).toBe(240);
      for (let i = 1; i < received.length; i += 1) {
        expect(comparePositions(received[i - 1]!.position, received[i]!.position)).toBeLessThan(0);
      }
    });

    it('filters a subscription by event type and stops on close', async () => {
      const start = await store.headPosition();
      const s = stream('lead');
      await store.append(
        s,
        [newEvent('Wanted', { n: 1 }), newEvent('Other', {}), newEvent('Wanted', { n: 2 })],
        { expectedRevision: 'NO_STREAM' },
      );
      const subscription = store.subscribe({ from: start, eventTypes: ['Wanted'] });
      const got: StoredEvent[] = [];
      for await (const e of subscription) {
        if (e.streamId !== s) continue;
        got.push(e);
        if (got.length === 2) break;
      }
      expect(got.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
      await subscription.close();
      const late = store.subscribe({ from: await store.headPosition() });
      setTimeout(() => void late.close(), 50);
      const after = await collect(late, () => true);
      expect(after).toEqual([]);
    });

    it('verifies an untouched stream and reports how many events it checked', async () => {
      const s = stream('lead');
      await store.append(s, [newEvent('A', {}), newEvent('B', {}), newEvent('C', {})], {
        expectedRevision: 'NO_STREAM',
      });
      expect(await store.verify(s)).toEqual({
        ok: true,
        eventsChecked: 3,
        firstBadPosition: null,
        reason: null,
      });
      expect(await store.verify(stream('never-written'))).toMatchObject({
        ok: true,
        eventsChecked: 0,
      });
    });

    // Only where the test can reach the stored rows (SQLite); a server's log is append-only.
    (capabilities.tamper ? it : it.skip)(
      'detects a tampered event and names its position',
      async () => {
        const s = stream('lead');
        await store.append(
          s,
          [newEvent('A', { amount: 1 }), newEvent('B', { amount: 2 }), newEvent('C', {})],
          { expectedRevision: 'NO_STREAM' },
        );
        const events = await store.readStream(s);
        await fixture.tamper!(s, 1);
        const verification = await store.verify(s);
        expect(verification).toMatchObject({
          ok: false,
          firstBadPosition: events[1]!.position,
        });
        expect(verification.reason).toEqual(expect.any(String));
      },
    );

    it('anchors stream heads and verifies the ledger through the port, a forged anchor found', async () => {
      const secret = 'contract-anchor-secret-0123456789abcdef';
      const anchorStream = stream('ledger-anchors');
      const start = await store.headPosition();
      // This run's streams only: the store is shared with other tests (on a server, other runs).
      async function* mine(from: string | undefined) {
        for await (const e of store.readAll({ from: from && from > start ? from : start })) {
          if (e.streamId.endsWith(run)) yield e;
        }
      }
      const view: AnchorerStore = {
        readStream: (s, o) => store.readStream(s, o),
        append: (s, events, o) => store.append(s, events, o),
        readAll: (o = {}) => mine(o.from),
      };
      const anchorer = new Anchorer({
        events: view,
        secret,
        anchorStream,
        clock: () => new Date('2026-07-01T12:00:00.000Z'),
      });
      await store.append(stream('lead'), [newEvent('A', {}), newEvent('B', {})], {
        expectedRevision: 'NO_STREAM',
      });
      await store.append(stream('deal'), [newEvent('A', {})], { expectedRevision: 'NO_STREAM' });
      expect(await anchorer.tick()).toMatchObject({ seq: 0, streams: 2, events: 3 });
      expect(await anchorer.tick()).toBeNull();
      const [, b] = await store.readStream(stream('lead'));
      const { position: c } = await store.append(stream('lead'), [newEvent('C', {})], {
        expectedRevision: 1,
      });
      const second = await anchorer.tick();
      expect(second).toMatchObject({ seq: 1, streams: 2, events: 4 });
      expect(second!.heads.map(([s, r]) => [s, r])).toEqual([[stream('lead'), 2]]);
      expect(second!.position).toBe(c);

      const source = { anchors: () => store.readStream(anchorStream), log: () => mine(start) };
      const verified = await verifyLedger(source, { secrets: [secret], anchorStream });
      expect(verified).toMatchObject({ ok: true, bad: [], anchors: { count: 2, eventsAfter: 0 } });

      // A forged anchor (content changed, signature kept) appended through the port is found.
      const forged: LedgerAnchored = {
        ...second!,
        seq: 2,
        previous: second!.signature,
        heads: [[stream('lead'), 1, b!.metadata.hash]],
      };
      const { position } = await store.append(anchorStream, [newEvent('LedgerAnchored', forged)], {
        expectedRevision: 1,
      });
      const after = await verifyLedger(source, { secrets: [secret], anchorStream });
      expect(after.bad).toEqual([
        expect.objectContaining({
          kind: 'ANCHOR_SIGNATURE',
          streamId: anchorStream,
          firstBadPosition: position,
        }),
      ]);
    });

    it('round-trips unicode and a 1 MB payload exactly', async () => {
      const s = stream('lead');
      const unicode = {
        name: 'Zoë Ångström-Łukasiewicz 李小龍 👩‍💼',
        note: 'rtl: مرحبا, zero width:\u200b, nul-free, quotes " \\ \n',
      };
      const big = { blob: 'x'.repeat(1_000_000), unicode };
      await store.append(s, [newEvent('Unicode', unicode), newEvent('Big', big)], {
        expectedRevision: 'NO_STREAM',
      });
      const [u, b] = await store.readStream(s);
      expect(u!.data).toEqual(unicode);
      expect(b!.data).toEqual(big);
      expect((await store.verify(s)).ok).toBe(true);
    });
  });
};
