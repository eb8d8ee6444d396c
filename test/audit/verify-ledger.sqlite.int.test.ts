import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildAnchor } from '../../src/audit/anchor';
import { Anchorer, ForgedAnchorError } from '../../src/audit/anchorer';
import { ANCHOR_STREAM, type LedgerAnchored } from '../../src/audit/events';
import {
  rereadableSource,
  verifyAll,
  verifyLedger,
  verifyStreams,
  type LedgerIssue,
} from '../../src/audit/verify-ledger';
import { canonicalJson, eventHash } from '../../src/eventstore/hash';
import type { StoredEvent } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { newEvent } from '../contract/eventstore.contract';

const SECRET = 'anchor-secret-for-tests-0123456789abcdef';
const clock = () => new Date('2026-07-01T12:00:00.000Z');

/** Tampering the way someone with the file would: straight SQL on the events table. */
class Tamperer {
  private readonly db: Database.Database;
  constructor(file: string) {
    this.db = new Database(file);
  }
  run(sql: string, ...params: unknown[]): void {
    this.db.prepare(sql).run(...params);
  }
  close(): void {
    this.db.close();
  }
}

describe('verifyAll with anchors on the SQLite event store', () => {
  let dir: string;
  let file: string;
  let store: SqliteEventStore;
  let anchorer: Anchorer;
  /** Each stream's events as written, by stream id. */
  const written = new Map<string, StoredEvent[]>();

  const issuesOf = async (secrets = [SECRET]): Promise<LedgerIssue[]> =>
    (await verifyAll(store, { secrets })).bad;

  const tamper = (sql: string, ...params: unknown[]) => {
    const t = new Tamperer(file);
    t.run(sql, ...params);
    t.close();
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-audit-'));
    file = join(dir, 'events.db');
    store = new SqliteEventStore(file);
    anchorer = new Anchorer({ events: store, secret: SECRET, clock });
    written.clear();
    const streams: Record<string, number> = { 'lead-a': 5, 'lead-b': 4, 'deal-c': 3 };
    // Interleaved, as a real log is.
    for (let i = 0; i < 5; i += 1) {
      for (const [s, n] of Object.entries(streams)) {
        if (i < n) {
          await store.append(s, [newEvent(`E${i}`, { i, stream: s, amount: 10 * i })], {
            expectedRevision: i === 0 ? 'NO_STREAM' : i - 1,
          });
        }
      }
    }
    expect(await anchorer.tick()).not.toBeNull();
    await store.append('lead-d', [newEvent('E0', { i: 0 }), newEvent('E1', { i: 1 })], {
      expectedRevision: 'NO_STREAM',
    });
    await store.append('lead-a', [newEvent('E5', { i: 5 })], { expectedRevision: 4 });
    expect(await anchorer.tick()).not.toBeNull();
    for (const s of ['lead-a', 'lead-b', 'deal-c', 'lead-d']) {
      written.set(s, await store.readStream(s));
    }
  });
  afterEach(async () => {
    await anchorer.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies an untouched ledger: every chain, both anchors, the latest root', async () => {
    const result = await verifyAll(store, { secrets: [SECRET] });
    expect(result).toMatchObject({
      ok: true,
      bad: [],
      streams: 5,
      events: 5 + 1 + 4 + 3 + 2 + 2,
      anchors: { count: 2, signaturesChecked: true, eventsAfter: 0 },
    });
    const [, second] = await store.readStream(ANCHOR_STREAM);
    const anchor = second!.data as LedgerAnchored;
    expect(result.anchors.latest).toMatchObject({
      seq: 1,
      position: written.get('lead-a')![5]!.position,
      eventPosition: second!.position,
      root: anchor.root,
    });
    // The second anchor holds only what moved since the first.
    expect(anchor.heads.map(([s, r]) => [s, r])).toEqual([
      ['lead-a', 5],
      ['lead-d', 1],
    ]);
    expect(anchor).toMatchObject({ seq: 1, streams: 4, events: 15 });
  });

  it('locates an edited payload', async () => {
    const target = written.get('lead-b')![2]!;
    tamper(
      `UPDATE events SET data = json_set(data, '$.amount', 1000000) WHERE stream_id = 'lead-b' AND revision = 2`,
    );
    expect(await issuesOf()).toEqual([
      expect.objectContaining({
        kind: 'CHAIN',
        streamId: 'lead-b',
        firstBadPosition: target.position,
        revision: 2,
        reason: 'hash does not match the event content',
      }),
    ]);
  });

  it('locates an event deleted from the middle of a stream', async () => {
    const [, , , r3] = written.get('lead-a')!;
    tamper(`DELETE FROM events WHERE stream_id = 'lead-a' AND revision = 2`);
    const issues = await issuesOf();
    expect(issues).toContainEqual(
      expect.objectContaining({
        kind: 'CHAIN',
        streamId: 'lead-a',
        firstBadPosition: r3!.position,
        revision: 3,
        reason: 'revision 3 where 2 was expected',
      }),
    );
    expect(issues.every((i) => i.streamId === 'lead-a' || i.kind === 'ROOT')).toBe(true);
  });

  it('locates two events swapped (payloads and revisions exchanged)', async () => {
    const [, r1] = written.get('deal-c')!;
    // Row of revision 1 takes revision 2 and the other way round: the log order now disagrees.
    tamper(`UPDATE events SET revision = -1 WHERE stream_id = 'deal-c' AND revision = 1`);
    tamper(`UPDATE events SET revision = 1 WHERE stream_id = 'deal-c' AND revision = 2`);
    tamper(`UPDATE events SET revision = 2 WHERE stream_id = 'deal-c' AND revision = -1`);
    const issues = await issuesOf();
    expect(issues).toContainEqual(
      expect.objectContaining({
        kind: 'CHAIN',
        streamId: 'deal-c',
        firstBadPosition: r1!.position,
        revision: 2,
      }),
    );
    // The stream read alone (revision order) names the event now at revision 1.
    expect((await store.verify('deal-c')).ok).toBe(false);
  });

  it('locates a swap of two payloads that keeps revisions in place', async () => {
    const [, r1, r2] = written.get('lead-b')!;
    tamper(
      `UPDATE events SET data = (SELECT data FROM events WHERE position = ?) WHERE position = ?`,
      Number(r2!.position),
      Number(r1!.position),
    );
    tamper(
      `UPDATE events SET data = ? WHERE position = ?`,
      canonicalJson(r1!.data),
      Number(r2!.position),
    );
    expect(await issuesOf()).toContainEqual(
      expect.objectContaining({
        kind: 'CHAIN',
        streamId: 'lead-b',
        firstBadPosition: r1!.position,
      }),
    );
  });

  it('detects a truncated tail that the chain alone cannot see, with the anchored revision', async () => {
    const events = written.get('lead-a')!;
    tamper(`DELETE FROM events WHERE stream_id = 'lead-a' AND revision >= 4`);
    // The chain of what is left is intact: only the anchor tells.
    expect((await store.verify('lead-a')).ok).toBe(true);
    const [, secondAnchor] = await store.readStream(ANCHOR_STREAM);
    const issues = await issuesOf();
    expect(issues).toContainEqual({
      kind: 'TRUNCATED',
      streamId: 'lead-a',
      firstBadPosition: events[3]!.position,
      revision: 5,
      anchorPosition: secondAnchor!.position,
      reason: 'ends at revision 3 but anchor 1 recorded revision 5',
    });
    expect(issues.map((i) => i.kind).sort()).toEqual(['ROOT', 'TRUNCATED']);
  });

  it('verifies named streams against their anchored heads, reading only those streams', async () => {
    tamper(`DELETE FROM events WHERE stream_id = 'lead-a' AND revision >= 4`);
    const result = await verifyStreams(store, ['lead-a', 'lead-b', 'lead-nobody'], {
      secrets: [SECRET],
    });
    expect(result).toMatchObject({ ok: false, streams: 2, events: 4 + 4 });
    expect(result.bad.map((i) => [i.kind, i.streamId, i.revision])).toEqual([
      ['TRUNCATED', 'lead-a', 5],
      ['MISSING', 'lead-nobody', null],
    ]);
    expect((await verifyStreams(store, ['lead-b', 'deal-c'], { secrets: [SECRET] })).ok).toBe(true);
  });

  it('detects a stream deleted entirely', async () => {
    tamper(`DELETE FROM events WHERE stream_id = 'deal-c'`);
    const [firstAnchor] = await store.readStream(ANCHOR_STREAM);
    expect(await issuesOf()).toContainEqual(
      expect.objectContaining({
        kind: 'MISSING',
        streamId: 'deal-c',
        firstBadPosition: null,
        revision: 2,
        anchorPosition: firstAnchor!.position,
      }),
    );
  });

  it('detects a history rewritten with recomputed hashes (the chain verifies, the anchor does not)', async () => {
    const events = written.get('lead-b')!;
    const db = new Database(file);
    let prevHash = events[0]!.metadata.hash;
    for (const e of events.slice(1)) {
      const data = e.revision === 1 ? { ...(e.data as object), amount: 999 } : e.data;
      const { hash: _h, prevHash: _p, ...metadata } = e.metadata;
      const hash = eventHash(prevHash, { ...e, data, metadata });
      db.prepare('UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE position = ?').run(
        canonicalJson(data),
        prevHash,
        hash,
        Number(e.position),
      );
      prevHash = hash;
    }
    db.close();
    expect((await store.verify('lead-b')).ok).toBe(true);
    const [firstAnchor] = await store.readStream(ANCHOR_STREAM);
    expect(await issuesOf()).toContainEqual(
      expect.objectContaining({
        kind: 'REWRITTEN',
        streamId: 'lead-b',
        firstBadPosition: events[3]!.position,
        revision: 3,
        anchorPosition: firstAnchor!.position,
      }),
    );
  });

  it('reports a forged anchor (bad signature) at its position, and does not trust it', async () => {
    const anchors = await store.readStream(ANCHOR_STREAM);
    const last = anchors[anchors.length - 1]!.data as LedgerAnchored;
    // Someone without the key claims lead-a ended at revision 2: same key id, content changed.
    const forged: LedgerAnchored = {
      ...last,
      seq: 2,
      previous: last.signature,
      heads: [['lead-a', 2, written.get('lead-a')![2]!.metadata.hash]],
    };
    const { position } = await store.append(
      ANCHOR_STREAM,
      [{ ...newEvent('LedgerAnchored', forged) }],
      { expectedRevision: anchors.length - 1 },
    );
    const issues = await issuesOf();
    expect(issues).toEqual([
      expect.objectContaining({
        kind: 'ANCHOR_SIGNATURE',
        streamId: ANCHOR_STREAM,
        firstBadPosition: position,
        revision: anchors.length,
      }),
    ]);
    // Without the key nothing can be checked: the forgery counts as an anchor, and says so.
    const unchecked = await verifyAll(store);
    expect(unchecked.anchors).toMatchObject({ count: 3, signaturesChecked: false });

    // The anchorer links past the forgery, reporting it.
    const errors: unknown[] = [];
    const next = new Anchorer({
      events: store,
      secret: SECRET,
      clock,
      onError: (e) => errors.push(e),
    });
    await store.append('lead-b', [newEvent('E4', {})], { expectedRevision: 3 });
    expect(await next.tick()).toMatchObject({ seq: 2, previous: last.signature });
    expect(errors).toEqual([expect.any(ForgedAnchorError)]);
    expect((await issuesOf()).map((i) => i.kind)).toEqual(['ANCHOR_SIGNATURE']);
  });

  it('reports an anchor signed with a key it was not given, and a removed anchor', async () => {
    expect((await issuesOf(['another-secret-another-secret-another'])).map((i) => i.kind)).toEqual([
      'ANCHOR_KEY',
      'ANCHOR_KEY',
    ]);
    const [first] = await store.readStream(ANCHOR_STREAM);
    tamper('DELETE FROM events WHERE position = ?', Number(first!.position));
    const kinds = (await issuesOf()).map((i) => i.kind);
    expect(kinds).toContain('ANCHOR_LINK');
    expect(kinds).toContain('CHAIN');
  });

  it('anchors only when the log moved, splits many heads into parts, and verifies an export', async () => {
    expect(await anchorer.tick()).toBeNull();
    const wide = new Anchorer({ events: store, secret: SECRET, clock, headsPerEvent: 2 });
    for (const s of ['lead-x', 'lead-y', 'lead-z']) {
      await store.append(s, [newEvent('E0', {})], { expectedRevision: 'NO_STREAM' });
    }
    await store.append('lead-b', [newEvent('E4', {})], { expectedRevision: 3 });
    const anchor = await wide.tick();
    expect(anchor).toMatchObject({ seq: 2, heads: [], parts: [{ count: 2 }, { count: 2 }] });
    const types = (await store.readStream(ANCHOR_STREAM)).map((e) => e.type);
    expect(types).toEqual([
      'LedgerAnchored',
      'LedgerAnchored',
      'LedgerHeadsRecorded',
      'LedgerHeadsRecorded',
      'LedgerAnchored',
    ]);
    expect((await verifyAll(store, { secrets: [SECRET] })).ok).toBe(true);

    // An export read back from NDJSON verifies the same way, offline, with each stream's events
    // together (as `leadledger export` writes them) rather than in log order.
    const all: StoredEvent[] = [];
    for await (const e of store.readAll()) all.push(e);
    const lines = all
      .sort((a, b) =>
        a.streamId === b.streamId ? a.revision - b.revision : a.streamId < b.streamId ? -1 : 1,
      )
      .map((e) => JSON.stringify(e));
    const open = async function* () {
      for (const line of lines) yield await Promise.resolve(JSON.parse(line) as StoredEvent);
    };
    const progress: number[] = [];
    const offline = await verifyLedger(rereadableSource(open), {
      secrets: [SECRET],
      progressEvery: 10,
      onProgress: (p) => progress.push(p.events),
    });
    expect(offline).toMatchObject({ ok: true, anchors: { count: 3 } });
    expect(progress).toEqual([10, 20, lines.length]);

    // Truncating lead-z (anchored only in a part) is still found.
    tamper(`DELETE FROM events WHERE stream_id = 'lead-z'`);
    expect((await issuesOf()).map((i) => [i.kind, i.streamId])).toContainEqual([
      'MISSING',
      'lead-z',
    ]);
  });

  it('lets one of two racing anchorers write; the other reloads and anchors next', async () => {
    const other = new Anchorer({ events: store, secret: SECRET, clock });
    await other.tick(); // loads its state: nothing new
    await store.append('lead-d', [newEvent('E2', {})], { expectedRevision: 1 });
    expect(await anchorer.tick()).toMatchObject({ seq: 2 });
    await store.append('lead-d', [newEvent('E3', {})], { expectedRevision: 2 });
    expect(await other.tick()).toBeNull(); // lost the race on the anchor stream
    expect(await other.tick()).toMatchObject({ seq: 3 });
    expect((await verifyAll(store, { secrets: [SECRET] })).ok).toBe(true);
  });

  it('finds newest anchors deleted with the tail they covered, given the anchor recorded last time', async () => {
    const before = await verifyAll(store, { secrets: [SECRET] });
    const known = [
      { seq: before.anchors.latest!.seq, signature: before.anchors.latest!.signature },
    ];
    expect((await verifyAll(store, { secrets: [SECRET], knownAnchors: known })).ok).toBe(true);
    // Delete lead-a's last event and the second anchor that recorded it.
    const [, second] = await store.readStream(ANCHOR_STREAM);
    tamper(`DELETE FROM events WHERE stream_id = 'lead-a' AND revision = 5`);
    tamper('DELETE FROM events WHERE position = ?', Number(second!.position));
    expect(await issuesOf()).toEqual([]);
    expect(await verifyAll(store, { secrets: [SECRET], knownAnchors: known })).toMatchObject({
      ok: false,
      bad: [
        {
          kind: 'ANCHOR_MISSING',
          streamId: ANCHOR_STREAM,
          firstBadPosition: null,
          reason: 'anchor 1, recorded earlier, is not in the ledger (or does not verify)',
        },
      ],
    });
  });

  it('counts events after the latest anchor as not covered yet', async () => {
    await store.append('lead-d', [newEvent('E2', {})], { expectedRevision: 1 });
    const result = await verifyAll(store, { secrets: [SECRET] });
    expect(result).toMatchObject({ ok: true, anchors: { eventsAfter: 1 } });
  });

  it('builds the same anchor for the same heads (signature over canonical content)', () => {
    const fields = {
      seq: 0,
      at: '2026-07-01T00:00:00.000Z',
      position: '0000000000000001',
      previous: null,
      streams: 1,
      events: 1,
      root: 'a'.repeat(64),
    };
    const heads: Array<[string, number, string]> = [['lead-a', 0, 'b'.repeat(64)]];
    expect(buildAnchor(fields, heads, SECRET)).toEqual(buildAnchor({ ...fields }, heads, SECRET));
    expect(buildAnchor(fields, heads, SECRET).anchor.signature).not.toBe(
      buildAnchor(fields, heads, `${SECRET}x`).anchor.signature,
    );
  });
});
