import { randomUUID } from 'node:crypto';
import type {
  Doc,
  DocWrite,
  Filter,
  Op,
  PositionedChange,
  ReadStore,
  Scalar,
  SortKey,
} from '../../src/readstore/port';

export interface ReadStoreFixture {
  store: ReadStore;
  cleanup: () => Promise<void>;
}

/** Positions as the SQLite event store writes them: fixed width, so text order is log order. */
export const pos = (n: number): string => String(n).padStart(16, '0');

export const change = (
  collection: string,
  id: string,
  position: number,
  op: Op,
): PositionedChange => ({ collection, id, position: pos(position), op });

const set = (fields: Record<string, unknown>): Op => ({ kind: 'set', fields }) as Op;
const inc = (fields: Record<string, number>): Op => ({ kind: 'inc', fields });

const ids = (docs: Array<Doc | undefined>) => docs.map((d) => d?._id);

/** Same order as the store: each sort key, then `_id` ascending. Test values are ASCII. */
const compareBy = (sort: SortKey[]) => (a: Doc, b: Doc) => {
  for (const { field, direction } of [...sort, { field: '_id', direction: 'asc' as const }]) {
    const [x, y] = [a[field] as string | number, b[field] as string | number];
    if (x === y) continue;
    return (x < y ? -1 : 1) * (direction === 'asc' ? 1 : -1);
  }
  return 0;
};

/** The behaviour every ReadStore adapter must show; run once per adapter. */
export const readStoreContract = (name: string, factory: () => Promise<ReadStoreFixture>): void => {
  describe(`ReadStore contract: ${name}`, () => {
    let fixture: ReadStoreFixture;
    let store: ReadStore;
    let run: string;
    /** Collection names unique per test: the MongoDB run shares one server. */
    const coll = (base: string) => `${base}_${run}`;

    beforeAll(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture.cleanup();
    });
    beforeEach(() => {
      run = randomUUID().replaceAll('-', '').slice(0, 10);
    });

    describe('documents and ops', () => {
      it('gets one document and many in the order asked, missing ones as undefined', async () => {
        const c = coll('leads');
        await store.ensureCollection({ name: c, indexes: [] });
        await store.applyBatch(
          ['a', 'b', 'c'].map((id, i) => change(c, id, i + 1, set({ name: id.toUpperCase() }))),
          [],
        );
        expect(await store.get(c, 'b')).toEqual({ _id: 'b', _pos: pos(2), name: 'B' });
        expect(await store.get(c, 'zz')).toBeUndefined();
        const many = await store.getMany(c, ['c', 'zz', 'a', 'c']);
        expect(ids(many)).toEqual(['c', undefined, 'a', 'c']);
        expect(many[0]).toEqual({ _id: 'c', _pos: pos(3), name: 'C' });
        expect(await store.getMany(c, [])).toEqual([]);
      });

      it('reads a collection that was never written as empty', async () => {
        const c = coll('never');
        expect(await store.get(c, 'a')).toBeUndefined();
        expect(await store.getMany(c, ['a', 'b'])).toEqual([undefined, undefined]);
        expect(await store.find(c)).toEqual([]);
        expect(await store.count(c)).toBe(0);
        expect(await store.sum(c, { groupBy: ['x'], fields: ['n'] })).toEqual([]);
      });

      it('creates a collection on first write when it was not declared', async () => {
        const c = coll('undeclared');
        await store.applyBatch([change(c, 'a', 1, set({ n: 1 }))], []);
        expect(await store.get(c, 'a')).toEqual({ _id: 'a', _pos: pos(1), n: 1 });
      });

      it('sets fields, dotted paths into nested objects included', async () => {
        const c = coll('leads');
        await store.ensureCollection({ name: c, indexes: [] });
        await store.applyBatch(
          [
            change(c, 'l1', 1, set({ stage: 'NEW', 'stages.NEW': '2026-03-01T10:00:00.000Z' })),
            change(c, 'l1', 2, set({ 'stages.MQL': '2026-03-02T10:00:00.000Z', 'owner.id': 'r1' })),
          ],
          [],
        );
        await store.applyBatch(
          [change(c, 'l1', 3, set({ stage: 'MQL', 'owner.team': 't1', tags: ['a', 'b'] }))],
          [],
        );
        expect(await store.get(c, 'l1')).toEqual({
          _id: 'l1',
          _pos: pos(3),
          stage: 'MQL',
          stages: { NEW: '2026-03-01T10:00:00.000Z', MQL: '2026-03-02T10:00:00.000Z' },
          owner: { id: 'r1', team: 't1' },
          tags: ['a', 'b'],
        });
      });

      it('applies setOnInsert only when the change creates the document', async () => {
        const c = coll('leads');
        await store.ensureCollection({ name: c, indexes: [] });
        await store.applyBatch(
          [
            change(c, 'new', 1, { kind: 'setOnInsert', fields: { createdAt: 'first' } }),
            change(c, 'new', 1, inc({ n: 1 })),
            // The document exists by now: this one does nothing.
            change(c, 'new', 2, { kind: 'setOnInsert', fields: { createdAt: 'second' } }),
          ],
          [],
        );
        await store.applyBatch(
          [
            change(c, 'new', 3, { kind: 'setOnInsert', fields: { createdAt: 'third', x: 1 } }),
            change(c, 'new', 3, set({ seen: true })),
          ],
          [],
        );
        expect(await store.get(c, 'new')).toEqual({
          _id: 'new',
          _pos: pos(3),
          createdAt: 'first',
          n: 1,
          seen: true,
        });
      });

      it('increments, summing within and across batches, from 0 when missing', async () => {
        const c = coll('counts');
        await store.ensureCollection({ name: c, indexes: [] });
        await store.applyBatch(
          [
            change(c, 'd', 1, inc({ leads: 1, 'byStage.MQL': 2 })),
            change(c, 'd', 2, inc({ leads: 1, revenue: 10.5 })),
            change(c, 'd', 3, inc({ 'byStage.MQL': -1 })),
          ],
          [],
        );
        await store.applyBatch([change(c, 'd', 4, inc({ leads: 3, 'byStage.SQL': 1 }))], []);
        expect(await store.get(c, 'd')).toEqual({
          _id: 'd',
          _pos: pos(4),
          leads: 5,
          revenue: 10.5,
          byStage: { MQL: 1, SQL: 1 },
        });
      });

      it('folds an increment into a value set earlier in the same batch', async () => {
        const c = coll('counts');
        await store.applyBatch([change(c, 'd', 1, inc({ n: 5 }))], []);
        await store.applyBatch(
          [change(c, 'd', 2, set({ n: 100 })), change(c, 'd', 3, inc({ n: 1 }))],
          [],
        );
        expect(await store.get(c, 'd')).toMatchObject({ n: 101 });
      });

      it('keeps the max and min of numbers and of ISO timestamps', async () => {
        const c = coll('extremes');
        await store.applyBatch(
          [
            change(c, 'd', 1, { kind: 'max', fields: { best: 5, lastAt: '2026-03-02T00:00:00Z' } }),
            change(c, 'd', 2, { kind: 'max', fields: { best: 3, lastAt: '2026-03-01T00:00:00Z' } }),
            change(c, 'd', 3, {
              kind: 'min',
              fields: { worst: 7, firstAt: '2026-03-05T00:00:00Z' },
            }),
            change(c, 'd', 4, {
              kind: 'min',
              fields: { worst: 9, firstAt: '2026-03-04T00:00:00Z' },
            }),
          ],
          [],
        );
        expect(await store.get(c, 'd')).toMatchObject({
          best: 5,
          lastAt: '2026-03-02T00:00:00Z',
          worst: 7,
          firstAt: '2026-03-04T00:00:00Z',
        });
        await store.applyBatch(
          [
            change(c, 'd', 5, { kind: 'max', fields: { best: 4, lastAt: '2026-03-03T00:00:00Z' } }),
            change(c, 'd', 6, {
              kind: 'min',
              fields: { worst: 2, firstAt: '2026-03-09T00:00:00Z' },
            }),
          ],
          [],
        );
        expect(await store.get(c, 'd')).toMatchObject({
          best: 5,
          lastAt: '2026-03-03T00:00:00Z',
          worst: 2,
          firstAt: '2026-03-04T00:00:00Z',
        });
      });

      it('pushes values keeping only the newest `cap`', async () => {
        const c = coll('recent');
        const push = (values: unknown[]): Op =>
          ({ kind: 'push', field: 'recent', values, cap: 3 }) as Op;
        await store.applyBatch(
          [
            change(c, 'd', 1, push([{ n: 1 }, { n: 2 }])),
            change(c, 'd', 2, push([{ n: 3 }, { n: 4 }])),
          ],
          [],
        );
        expect((await store.get(c, 'd'))!.recent).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
        await store.applyBatch([change(c, 'd', 3, push([{ n: 5 }]))], []);
        expect((await store.get(c, 'd'))!.recent).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }]);
        await store.applyBatch(
          [change(c, 'd', 4, { kind: 'push', field: 'log.last', values: [1, 2, 3, 4, 5], cap: 2 })],
          [],
        );
        expect((await store.get(c, 'd'))!.log).toEqual({ last: [4, 5] });
      });

      it('deletes, and recreates from nothing when a batch deletes then writes', async () => {
        const c = coll('leads');
        await store.applyBatch(
          [
            change(c, 'a', 1, set({ keep: 'no', n: 1 })),
            change(c, 'b', 2, set({ n: 1 })),
            change(c, 'gone', 3, set({ n: 1 })),
          ],
          [],
        );
        await store.applyBatch(
          [
            change(c, 'a', 4, { kind: 'delete' }),
            change(c, 'a', 5, { kind: 'setOnInsert', fields: { createdAt: 'again' } }),
            change(c, 'a', 6, inc({ n: 1 })),
            change(c, 'gone', 7, { kind: 'delete' }),
            change(c, 'never', 8, { kind: 'delete' }),
          ],
          [],
        );
        expect(await store.get(c, 'a')).toEqual({
          _id: 'a',
          _pos: pos(6),
          createdAt: 'again',
          n: 1,
        });
        expect(await store.get(c, 'gone')).toBeUndefined();
        expect(await store.get(c, 'never')).toBeUndefined();
        expect(await store.count(c)).toBe(2);
      });

      it('stores unicode ids, field names and values unchanged', async () => {
        const c = coll('unicode');
        const id = 'lead-ü-日本-🚀';
        const doc = {
          name: 'Zoë Ångström 🚀',
          city: '東京',
          quote: `it's "quoted" \\ ok`,
          naïve: 'ja',
        };
        await store.applyBatch([change(c, id, 1, set(doc))], []);
        expect(await store.get(c, id)).toEqual({ _id: id, _pos: pos(1), ...doc });
        expect(ids(await store.find(c, { filter: { where: { city: '東京' } } }))).toEqual([id]);
        expect(ids(await store.find(c, { filter: { where: { naïve: 'ja' } } }))).toEqual([id]);
        expect(ids(await store.getMany(c, [id]))).toEqual([id]);
      });
    });

    describe('position guard', () => {
      const batch = (c: string): PositionedChange[] => [
        change(c, 'a', 1, { kind: 'setOnInsert', fields: { createdAt: 't1' } }),
        change(c, 'a', 2, inc({ n: 1, 'by.x': 2 })),
        change(c, 'b', 3, inc({ n: 1 })),
        change(c, 'a', 4, { kind: 'push', field: 'log', values: [4], cap: 10 }),
        change(c, 'a', 5, inc({ n: 1 })),
        change(c, 'b', 6, { kind: 'max', fields: { best: 6 } }),
        change(c, 'c', 7, set({ n: 7 })),
        change(c, 'a', 8, { kind: 'push', field: 'log', values: [8], cap: 10 }),
        change(c, 'c', 9, inc({ n: 1 })),
        change(c, 'b', 10, inc({ n: 1 })),
        change(c, 'd', 11, inc({ n: 1 })),
        change(c, 'd', 12, { kind: 'delete' }),
        change(c, 'a', 13, inc({ n: 1 })),
        change(c, 'b', 14, inc({ n: 1 })),
      ];
      const all = async (c: string) => store.getMany(c, ['a', 'b', 'c', 'd']);

      it('changes nothing when the same batch is applied again', async () => {
        const c = coll('guard');
        await store.applyBatch(batch(c), []);
        const first = await all(c);
        expect(first[0]).toMatchObject({ n: 3, by: { x: 2 }, log: [4, 8], createdAt: 't1' });
        expect(first[1]).toMatchObject({ n: 3, best: 6 });
        await store.applyBatch(batch(c), []);
        expect(await all(c)).toEqual(first);
      });

      it('never double counts when a replay overlaps with different batch boundaries', async () => {
        const once = coll('once');
        await store.applyBatch(batch(once), []);
        const expected = await all(once);

        const c = coll('overlap');
        const changes = batch(c);
        await store.applyBatch(changes.slice(0, 9), []);
        await store.applyBatch(changes.slice(4, 12), []);
        await store.applyBatch(changes.slice(2, 5), []);
        await store.applyBatch(changes, []);
        expect(await all(c)).toEqual(expected);
      });

      it('skips changes at or before the position a document carries', async () => {
        const c = coll('stale');
        await store.applyBatch(
          [change(c, 'a', 10, set({ n: 100 })), change(c, 'b', 3, set({ n: 100 }))],
          [],
        );
        await store.applyBatch(
          [
            change(c, 'a', 4, inc({ n: 1 })),
            change(c, 'b', 4, inc({ n: 1 })),
            change(c, 'a', 10, inc({ n: 1 })),
            change(c, 'a', 11, inc({ n: 1 })),
            change(c, 'a', 12, { kind: 'delete' }),
            change(c, 'a', 13, set({ fresh: true })),
          ],
          [],
        );
        await store.applyBatch([change(c, 'a', 13, inc({ n: 5 }))], []);
        expect(await store.getMany(c, ['a', 'b'])).toEqual([
          { _id: 'a', _pos: pos(13), fresh: true },
          { _id: 'b', _pos: pos(4), n: 101 },
        ]);
      });

      it('stores the checkpoints with the batch', async () => {
        const c = coll('cp');
        const [one, two] = [`p1-${run}`, `p2-${run}`];
        expect(await store.getCheckpoint(one)).toBeNull();
        await store.applyBatch(
          [change(c, 'a', 5, inc({ n: 1 }))],
          [
            { name: one, position: pos(5) },
            { name: two, position: pos(5) },
          ],
        );
        expect(await store.getCheckpoint(one)).toBe(pos(5));
        // A batch with no changes still moves its checkpoints.
        await store.applyBatch([], [{ name: two, position: pos(9) }]);
        expect(await store.getCheckpoint(one)).toBe(pos(5));
        expect(await store.getCheckpoint(two)).toBe(pos(9));
      });
    });

    describe('whole-document writes', () => {
      const whole = (c: string, id: string, position: number, fields: Record<string, unknown>) =>
        ({
          collection: c,
          id,
          position: pos(position),
          doc: { _id: id, _pos: pos(position), ...fields } as Doc,
        }) satisfies DocWrite;
      const gone = (c: string, id: string, position: number): DocWrite => ({
        collection: c,
        id,
        position: pos(position),
        doc: undefined,
      });

      it('creates, replaces older documents whole and deletes, with the checkpoints', async () => {
        const c = coll('whole');
        await store.ensureCollection({ name: c, indexes: [{ fields: ['team'] }] });
        await store.applyBatch(
          [change(c, 'a', 2, set({ n: 1, old: true })), change(c, 'b', 3, set({ n: 1 }))],
          [],
        );
        await store.writeDocuments(
          [
            whole(c, 'a', 5, { n: 2, team: 'x', nested: { deep: [1, 'two', null] } }),
            gone(c, 'b', 5),
            whole(c, 'c', 4, { n: 3, team: 'y' }),
          ],
          [{ name: `w-${run}`, position: pos(5) }],
        );
        expect(await store.getMany(c, ['a', 'b', 'c'])).toEqual([
          { _id: 'a', _pos: pos(5), n: 2, team: 'x', nested: { deep: [1, 'two', null] } },
          undefined,
          { _id: 'c', _pos: pos(4), n: 3, team: 'y' },
        ]);
        expect(await store.getCheckpoint(`w-${run}`)).toBe(pos(5));
        expect(ids(await store.find(c, { filter: { where: { team: 'y' } } }))).toEqual(['c']);
      });

      it('leaves documents as new as the write, or newer, as they are', async () => {
        const c = coll('wholeguard');
        await store.applyBatch(
          [change(c, 'a', 7, set({ n: 7 })), change(c, 'b', 5, set({ n: 5 }))],
          [],
        );
        await store.writeDocuments(
          [whole(c, 'a', 6, { n: 6 }), whole(c, 'b', 5, { n: 0 }), gone(c, 'a', 7)],
          [],
        );
        expect(await store.getMany(c, ['a', 'b'])).toEqual([
          { _id: 'a', _pos: pos(7), n: 7 },
          { _id: 'b', _pos: pos(5), n: 5 },
        ]);
        // Written again (a replay after a crash): nothing changes.
        const writes = [whole(c, 'a', 9, { n: 9 }), whole(c, 'd', 9, { n: 1 })];
        await store.writeDocuments(writes, []);
        await store.writeDocuments(writes, []);
        expect(await store.getMany(c, ['a', 'd'])).toEqual([
          { _id: 'a', _pos: pos(9), n: 9 },
          { _id: 'd', _pos: pos(9), n: 1 },
        ]);
      });

      it('loads documents by insert, queryable and guarded like any written', async () => {
        const c = coll('loaded');
        await store.ensureCollection({ name: c, indexes: [] });
        const docs: Doc[] = Array.from({ length: 1200 }, (_, i) => ({
          _id: `d${String(i).padStart(4, '0')}`,
          _pos: pos(3),
          n: i,
          team: i % 2 === 0 ? 'x' : 'y',
          nested: { list: [i, 'v'] },
        }));
        await store.insertDocuments(c, docs.slice(0, 700));
        await store.insertDocuments(c, docs.slice(700));
        await store.insertDocuments(c, []);
        // Indexed after the load, as a staged generation is.
        await store.ensureCollection({ name: c, indexes: [{ fields: ['team'] }] });
        expect(await store.count(c)).toBe(1200);
        expect(await store.get(c, 'd0701')).toEqual(docs[701]);
        expect(await store.count(c, { where: { team: 'y' } })).toBe(600);
        // The loaded `_pos` guards later changes like any other.
        await store.applyBatch(
          [change(c, 'd0001', 3, set({ n: -1 })), change(c, 'd0002', 4, set({ n: -2 }))],
          [],
        );
        expect((await store.getMany(c, ['d0001', 'd0002'])).map((d) => d?.n)).toEqual([1, -2]);
      });

      it('refuses to load an id already there', async () => {
        const c = coll('loadedtwice');
        await store.ensureCollection({ name: c, indexes: [] });
        await store.insertDocuments(c, [{ _id: 'a', _pos: pos(1), n: 1 }]);
        await expect(
          store.insertDocuments(c, [
            { _id: 'b', _pos: pos(1), n: 2 },
            { _id: 'a', _pos: pos(2), n: 3 },
          ]),
          // SQLite's errors may come from another realm under jest: matched by message.
        ).rejects.toHaveProperty('message', expect.stringMatching(/UNIQUE|duplicate key/i));
        expect((await store.get(c, 'a'))?.n).toBe(1);
      });
    });

    describe('queries', () => {
      interface Row {
        _id: string;
        group: string;
        score: number;
        name: string;
        at: string;
        hot: boolean;
        'flags.vip'?: boolean;
        region?: string | null;
      }
      const rows: Row[] = Array.from({ length: 250 }, (_, i) => {
        const n = (i * 37) % 250; // ids not in insertion order
        return {
          _id: `d${String(n).padStart(3, '0')}`,
          group: `g${n % 5}`,
          score: (n * 7) % 20,
          name: `name-${(n * 13) % 250}`,
          at: new Date(Date.UTC(2026, 2, 1) + ((n * 11) % 40) * 3_600_000).toISOString(),
          hot: n % 3 === 0,
          'flags.vip': n % 4 === 0,
          ...(n % 10 === 0
            ? { region: null }
            : n % 10 === 1
              ? {}
              : { region: n % 2 ? 'EU' : 'US' }),
        };
      });
      const byId = new Map(rows.map((r) => [r._id, r]));
      const docsWhere = (keep: (r: Row) => boolean) =>
        rows
          .filter(keep)
          .map((r) => r._id)
          .sort();
      let c: string;
      /** Ids of the matching documents, in the default order (`_id`). */
      const idsWhere = async (filter: Filter) => ids(await store.find(c, { filter }));

      beforeAll(async () => {
        run = randomUUID().replaceAll('-', '').slice(0, 10);
        c = coll('q');
        await store.ensureCollection({
          name: c,
          indexes: [{ fields: ['group'] }, { fields: ['group', 'score'] }, { fields: ['hot'] }],
        });
        await store.applyBatch(
          rows.map((r, i) => {
            const { _id, ...fields } = r;
            return change(c, _id, i + 1, set(fields));
          }),
          [],
        );
        // A field holding 1 where others hold booleans: equality must tell them apart.
        await store.applyBatch([change(c, 'd001', 1000, set({ 'flags.vip': 1 }))], []);
        byId.get('d001')!['flags.vip'] = 1 as unknown as boolean;
      });

      const vip = (r: Row) => r['flags.vip'];
      const sortRows = (sort: SortKey[]) =>
        [...rows]
          .sort((a, b) => compareBy(sort)(a as unknown as Doc, b as unknown as Doc))
          .map((r) => r._id);

      it('filters by equality, shorthand or eq, on indexed, plain and nested fields', async () => {
        expect(await idsWhere({ where: { group: 'g2' } })).toEqual(
          docsWhere((r) => r.group === 'g2'),
        );
        expect(await idsWhere({ where: { name: { eq: 'name-13' } } })).toEqual(
          docsWhere((r) => r.name === 'name-13'),
        );
        expect(await idsWhere({ where: { score: 7, group: 'g1' } })).toEqual(
          docsWhere((r) => r.score === 7 && r.group === 'g1'),
        );
        expect(await idsWhere({ where: { 'flags.vip': true } })).toEqual(
          docsWhere((r) => vip(r) === true),
        );
      });

      it('tells booleans from numbers and matches false', async () => {
        expect(await idsWhere({ where: { hot: true } })).toEqual(docsWhere((r) => r.hot));
        expect(await idsWhere({ where: { hot: { eq: false } } })).toEqual(docsWhere((r) => !r.hot));
        expect(await idsWhere({ where: { 'flags.vip': 1 } })).toEqual(['d001']);
        expect(await idsWhere({ where: { 'flags.vip': false } })).toEqual(
          docsWhere((r) => vip(r) === false),
        );
        expect(await idsWhere({ where: { 'flags.vip': { ne: true } } })).toEqual(
          docsWhere((r) => vip(r) !== true),
        );
        expect(await idsWhere({ where: { hot: { in: [true] } } })).toEqual(docsWhere((r) => r.hot));
      });

      it('filters by ne and in, where missing and null count as null', async () => {
        expect(await idsWhere({ where: { region: { ne: 'EU' } } })).toEqual(
          docsWhere((r) => r.region !== 'EU'),
        );
        expect(await idsWhere({ where: { region: null } })).toEqual(
          docsWhere((r) => r.region === undefined || r.region === null),
        );
        expect(await idsWhere({ where: { region: { ne: null } } })).toEqual(
          docsWhere((r) => typeof r.region === 'string'),
        );
        expect(await idsWhere({ where: { group: { in: ['g0', 'g3'] } } })).toEqual(
          docsWhere((r) => r.group === 'g0' || r.group === 'g3'),
        );
        expect(await idsWhere({ where: { region: { in: ['US', null] } } })).toEqual(
          docsWhere((r) => r.region !== 'EU'),
        );
        expect(await idsWhere({ where: { score: { in: [0, 1, 2, 3] } } })).toEqual(
          docsWhere((r) => [0, 1, 2, 3].includes(r.score)),
        );
        expect(await idsWhere({ where: { 'flags.vip': { in: [1, false] } } })).toEqual(
          docsWhere((r) => r['flags.vip'] !== true),
        );
        expect(await idsWhere({ where: { group: { in: [] } } })).toEqual([]);
        expect(await idsWhere({ where: { _id: { in: ['d010', 'd200', 'nope'] } } })).toEqual([
          'd010',
          'd200',
        ]);
      });

      it('filters by ranges on numbers and ISO strings', async () => {
        const from = '2026-03-01T10:00:00.000Z';
        const to = '2026-03-02T05:00:00.000Z';
        expect(await idsWhere({ where: { score: { gt: 15 } } })).toEqual(
          docsWhere((r) => r.score > 15),
        );
        expect(await idsWhere({ where: { score: { gte: 15 } } })).toEqual(
          docsWhere((r) => r.score >= 15),
        );
        expect(await idsWhere({ where: { score: { lt: 2 } } })).toEqual(
          docsWhere((r) => r.score < 2),
        );
        expect(await idsWhere({ where: { score: { lte: 2, gt: 0 } } })).toEqual(
          docsWhere((r) => r.score <= 2 && r.score > 0),
        );
        expect(await idsWhere({ where: { at: { gte: from, lt: to } } })).toEqual(
          docsWhere((r) => r.at >= from && r.at < to),
        );
        // A numeric bound never matches strings, a string bound never matches numbers.
        expect(await idsWhere({ where: { name: { gt: 0 } } })).toEqual([]);
        expect(await idsWhere({ where: { score: { lt: 'zzz' } } })).toEqual([]);
        expect(await idsWhere({ where: { _id: { gte: 'd100', lt: 'd105' } } })).toEqual([
          'd100',
          'd101',
          'd102',
          'd103',
          'd104',
        ]);
      });

      it('combines where, and and or', async () => {
        const filter: Filter = {
          where: { group: { in: ['g1', 'g2', 'g3'] } },
          and: [{ or: [{ where: { score: { lt: 5 } } }, { where: { hot: true } }] }],
          or: [{ where: { region: 'EU' } }, { and: [{ where: { region: null } }] }],
        };
        expect(await idsWhere(filter)).toEqual(
          docsWhere(
            (r) =>
              ['g1', 'g2', 'g3'].includes(r.group) &&
              (r.score < 5 || r.hot) &&
              (r.region === 'EU' || r.region === undefined || r.region === null),
          ),
        );
        expect(await store.count(c, filter)).toBe(
          docsWhere(
            (r) =>
              ['g1', 'g2', 'g3'].includes(r.group) &&
              (r.score < 5 || r.hot) &&
              (r.region === 'EU' || r.region == null),
          ).length,
        );
      });

      const sorts: Array<[string, SortKey[]]> = [
        ['by _id alone', []],
        ['one indexed field desc', [{ field: 'score', direction: 'desc' }]],
        [
          'two fields asc',
          [
            { field: 'group', direction: 'asc' },
            { field: 'score', direction: 'asc' },
          ],
        ],
        [
          'mixed directions',
          [
            { field: 'group', direction: 'asc' },
            { field: 'score', direction: 'desc' },
          ],
        ],
        [
          'plain fields desc',
          [
            { field: 'at', direction: 'desc' },
            { field: 'name', direction: 'desc' },
          ],
        ],
      ];

      it.each(sorts)('sorts %s, ties broken by _id', async (_, sort) => {
        const expected = sortRows(sort);
        expect(ids(await store.find(c, { sort }))).toEqual(expected);
        expect(ids(await store.find(c, { sort, limit: 10 }))).toEqual(expected.slice(0, 10));
      });

      it.each(sorts)(
        'walks all 250 documents in pages of 7 sorted %s, each exactly once',
        async (_, sort) => {
          const expected = sortRows(sort);
          const seen: string[] = [];
          let after: Scalar[] | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = await store.find(c, { sort, limit: 7, ...(after ? { after } : {}) });
            seen.push(...page.map((d) => d._id));
            if (page.length < 7) break;
            const last = page[page.length - 1]!;
            after = [...sort.map((k) => last[k.field] as Scalar), last._id];
          }
          expect(seen).toEqual(expected);
        },
      );

      it('paginates a filtered, sorted list', async () => {
        const sort: SortKey[] = [
          { field: 'hot', direction: 'desc' },
          { field: 'at', direction: 'asc' },
        ];
        const filter: Filter = { where: { group: { ne: 'g4' } } };
        const expected = rows
          .filter((r) => r.group !== 'g4')
          .sort((a, b) =>
            a.hot !== b.hot
              ? a.hot
                ? -1
                : 1
              : compareBy(sort.slice(1))(a as unknown as Doc, b as unknown as Doc),
          )
          .map((r) => r._id);
        const seen: string[] = [];
        let after: Scalar[] | undefined;
        for (let pages = 0; pages < 100; pages++) {
          const page = await store.find(c, { filter, sort, limit: 9, ...(after ? { after } : {}) });
          seen.push(...page.map((d) => d._id));
          if (page.length < 9) break;
          const last = page[page.length - 1]!;
          after = [last.hot as boolean, last.at as string, last._id];
        }
        expect(seen).toEqual(expected);
      });

      it('returns whole documents with _id and _pos', async () => {
        const [doc] = await store.find(c, { filter: { where: { _id: 'd042' } } });
        const { _id, ...fields } = byId.get('d042')!;
        const nested = Object.fromEntries(Object.entries(fields).filter(([k]) => !k.includes('.')));
        expect(doc).toEqual({
          _id,
          ...nested,
          flags: { vip: fields['flags.vip'] },
          _pos: expect.any(String) as unknown,
        });
        expect(doc).toEqual(await store.get(c, 'd042'));
      });

      it('counts, with and without a filter', async () => {
        expect(await store.count(c)).toBe(250);
        expect(await store.count(c, { where: { group: 'g1', hot: true } })).toBe(
          docsWhere((r) => r.group === 'g1' && r.hot).length,
        );
      });
    });

    describe('grouped sums', () => {
      it('groups by one and by two fields, with filters, sorted by key', async () => {
        const c = coll('funnel');
        await store.ensureCollection({ name: c, indexes: [{ fields: ['day', 'channel'] }] });
        const facts: Array<[string, string | undefined, number, number | undefined]> = [
          ['2026-03-02', 'paid', 3, 100],
          ['2026-03-01', 'email', 1, 50.5],
          ['2026-03-02', 'email', 2, undefined],
          ['2026-03-01', 'email', 4, 10],
          ['2026-03-03', undefined, 5, 1],
          ['2026-03-01', 'paid', 6, 0],
        ];
        await store.applyBatch(
          facts.map(([day, channel, leads, revenue], i) =>
            change(
              c,
              `f${i}`,
              i + 1,
              set({
                day,
                ...(channel ? { channel } : {}),
                leads,
                ...(revenue !== undefined ? { revenue } : {}),
              }),
            ),
          ),
          [],
        );
        expect(await store.sum(c, { groupBy: ['day'], fields: ['leads', 'revenue'] })).toEqual([
          { key: { day: '2026-03-01' }, count: 3, sums: { leads: 11, revenue: 60.5 } },
          { key: { day: '2026-03-02' }, count: 2, sums: { leads: 5, revenue: 100 } },
          { key: { day: '2026-03-03' }, count: 1, sums: { leads: 5, revenue: 1 } },
        ]);
        expect(
          await store.sum(c, {
            filter: { where: { day: { gte: '2026-03-01' }, leads: { gt: 1 } } },
            groupBy: ['channel', 'day'],
            fields: ['leads'],
          }),
        ).toEqual([
          { key: { channel: null, day: '2026-03-03' }, count: 1, sums: { leads: 5 } },
          { key: { channel: 'email', day: '2026-03-01' }, count: 1, sums: { leads: 4 } },
          { key: { channel: 'email', day: '2026-03-02' }, count: 1, sums: { leads: 2 } },
          { key: { channel: 'paid', day: '2026-03-01' }, count: 1, sums: { leads: 6 } },
          { key: { channel: 'paid', day: '2026-03-02' }, count: 1, sums: { leads: 3 } },
        ]);
        expect(
          await store.sum(c, {
            filter: { where: { day: 'none' } },
            groupBy: ['day'],
            fields: ['leads'],
          }),
        ).toEqual([]);
      });

      it('groups by numbers and booleans, keeping their types', async () => {
        const c = coll('typed');
        await store.applyBatch(
          [
            change(c, 'a', 1, set({ week: 10, won: true, amount: 5 })),
            change(c, 'b', 2, set({ week: 9, won: false, amount: 7 })),
            change(c, 'c', 3, set({ week: 10, won: true, amount: 1 })),
            change(c, 'd', 4, set({ week: 10, won: false, amount: 'n/a' })),
          ],
          [],
        );
        expect(await store.sum(c, { groupBy: ['week', 'won'], fields: ['amount'] })).toEqual([
          { key: { week: 9, won: false }, count: 1, sums: { amount: 7 } },
          { key: { week: 10, won: false }, count: 1, sums: { amount: 0 } },
          { key: { week: 10, won: true }, count: 2, sums: { amount: 6 } },
        ]);
      });
    });

    describe('collections and meta', () => {
      it('ensures a collection idempotently and adds new indexes to an existing one', async () => {
        const c = coll('ensure');
        const spec = { name: c, indexes: [{ fields: ['stage'] }] };
        await store.ensureCollection(spec);
        await store.applyBatch(
          [change(c, 'a', 1, set({ stage: 'MQL', 'owner.id': 'r1', email: 'a@x' }))],
          [],
        );
        await store.ensureCollection(spec);
        await store.ensureCollection({
          name: c,
          indexes: [
            { fields: ['stage'] },
            { fields: ['owner.id', 'stage'] },
            { fields: ['email'], unique: true },
          ],
        });
        await store.applyBatch([change(c, 'b', 2, set({ stage: 'SQL', 'owner.id': 'r1' }))], []);
        expect(await store.get(c, 'a')).toMatchObject({ stage: 'MQL', owner: { id: 'r1' } });
        expect(
          ids(
            await store.find(c, {
              filter: { where: { 'owner.id': 'r1' } },
              sort: [{ field: 'stage', direction: 'desc' }],
            }),
          ),
        ).toEqual(['b', 'a']);
        expect(await store.count(c, { where: { email: 'a@x' } })).toBe(1);
      });

      it('drops a collection, and a dropped one reads empty and can be written again', async () => {
        const c = coll('drop');
        await store.ensureCollection({ name: c, indexes: [{ fields: ['n'] }] });
        await store.applyBatch([change(c, 'a', 1, set({ n: 1 }))], []);
        await store.dropCollection(c);
        expect(await store.get(c, 'a')).toBeUndefined();
        expect(await store.find(c)).toEqual([]);
        expect(await store.count(c)).toBe(0);
        await store.dropCollection(c);
        await store.dropCollection(coll('never'));
        await store.ensureCollection({ name: c, indexes: [{ fields: ['n'] }] });
        await store.applyBatch([change(c, 'a', 1, inc({ n: 1 }))], []);
        expect(await store.get(c, 'a')).toEqual({ _id: 'a', _pos: pos(1), n: 1 });
      });

      it('round-trips meta values', async () => {
        const key = `meta-${run}`;
        expect(await store.readMeta(key)).toBeUndefined();
        const value = {
          generation: 2,
          versions: { leads: 3 },
          live: ['g2'],
          note: 'é🚀',
          off: null,
        };
        await store.writeMeta(key, value);
        expect(await store.readMeta(key)).toEqual(value);
        await store.writeMeta(key, 7);
        expect(await store.readMeta(key)).toBe(7);
        await store.writeMeta(`${key}-null`, null);
        expect(await store.readMeta(`${key}-null`)).toBeNull();
      });
    });

    describe('leases', () => {
      const T = 1_700_000_000_000;

      it('grants a free lease, renews it for its owner and refuses others until it expires', async () => {
        const lease = `lease-${run}`;
        expect(await store.readLease(lease)).toBeUndefined();
        expect(await store.acquireLease(lease, 'a', T, 1000)).toBe(true);
        expect(await store.readLease(lease)).toEqual({
          name: lease,
          owner: 'a',
          expiresAt: T + 1000,
        });
        expect(await store.acquireLease(lease, 'b', T + 500, 1000)).toBe(false);
        expect(await store.readLease(lease)).toEqual({
          name: lease,
          owner: 'a',
          expiresAt: T + 1000,
        });
        expect(await store.acquireLease(lease, 'a', T + 900, 1000)).toBe(true);
        expect(await store.acquireLease(lease, 'b', T + 1500, 1000)).toBe(false);
        // Expired: the next one takes it over, and the old owner cannot renew it any more.
        expect(await store.acquireLease(lease, 'b', T + 1900, 1000)).toBe(true);
        expect(await store.acquireLease(lease, 'a', T + 2000, 1000)).toBe(false);
        expect(await store.readLease(lease)).toEqual({
          name: lease,
          owner: 'b',
          expiresAt: T + 2900,
        });
      });

      it('releases only for its owner, freeing it at once', async () => {
        const lease = `lease-${run}`;
        expect(await store.acquireLease(lease, 'a', T, 60_000)).toBe(true);
        await store.releaseLease(lease, 'b');
        expect(await store.acquireLease(lease, 'b', T + 1, 60_000)).toBe(false);
        await store.releaseLease(lease, 'a');
        expect(await store.readLease(lease)).toBeUndefined();
        expect(await store.acquireLease(lease, 'b', T + 2, 60_000)).toBe(true);
      });

      it('gives a contested lease to exactly one of many at once', async () => {
        const lease = `lease-${run}`;
        const owners = Array.from({ length: 8 }, (_, i) => `owner-${i}`);
        const granted = await Promise.all(owners.map((o) => store.acquireLease(lease, o, T, 1000)));
        expect(granted.filter(Boolean)).toHaveLength(1);
        const winner = owners[granted.indexOf(true)];
        expect((await store.readLease(lease))?.owner).toBe(winner);
      });
    });
  });
};
