import fc from 'fast-check';
import {
  applyUpdate,
  coalesce,
  IncompatibleChangesError,
  type DocUpdate,
} from '../../../src/readstore/coalesce';
import type { Doc, Op, PositionedChange } from '../../../src/readstore/port';

const pos = (n: number) => String(n).padStart(16, '0');
const at = (position: number, op: Op, id = 'd', collection = 'c'): PositionedChange => ({
  collection,
  id,
  position: pos(position),
  op,
});
const nothingApplied = () => undefined;

/** The single update for document `d` of a batch. */
const merged = (ops: Op[]): DocUpdate => {
  const updates = coalesce(
    ops.map((op, i) => at(i + 1, op)),
    nothingApplied,
  );
  expect(updates).toHaveLength(1);
  return updates[0]!;
};

describe('coalesce: merge rules', () => {
  it('folds an inc into a value set earlier in the batch', () => {
    const u = merged([
      { kind: 'set', fields: { n: 5, s: 'x' } },
      { kind: 'inc', fields: { n: 2 } },
    ]);
    expect(u.set).toEqual({ n: 7, s: 'x' });
    expect(u.inc).toEqual({});
  });

  it('sums incs, and a later set replaces them', () => {
    expect(
      merged([
        { kind: 'inc', fields: { n: 1, m: 1 } },
        { kind: 'inc', fields: { n: 2 } },
      ]).inc,
    ).toEqual({ n: 3, m: 1 });
    const u = merged([
      { kind: 'inc', fields: { n: 1 } },
      { kind: 'set', fields: { n: 10 } },
    ]);
    expect([u.inc, u.set]).toEqual([{}, { n: 10 }]);
  });

  it('keeps the extreme of max and min values, numbers and ISO strings', () => {
    const u = merged([
      { kind: 'max', fields: { hi: 3, last: '2026-03-02' } },
      { kind: 'max', fields: { hi: 9, last: '2026-03-01' } },
      { kind: 'min', fields: { lo: '2026-03-05' } },
      { kind: 'min', fields: { lo: '2026-03-04' } },
    ]);
    expect(u.max).toEqual({ hi: 9, last: '2026-03-02' });
    expect(u.min).toEqual({ lo: '2026-03-04' });
  });

  it('caps pushes to the newest values, a cap of 0 keeping none', () => {
    const u = merged([
      { kind: 'push', field: 'log', values: [1, 2, 3], cap: 2 },
      { kind: 'push', field: 'log', values: [4], cap: 2 },
      { kind: 'push', field: 'none', values: [1, 2], cap: 0 },
    ]);
    expect(u.push).toEqual({ log: { values: [3, 4], cap: 2 }, none: { values: [], cap: 0 } });
    expect(applyUpdate({ _id: 'd', log: [0] }, u)).toMatchObject({ log: [3, 4], none: [] });
  });

  it('refuses a push with a larger cap than an earlier one on the field', () => {
    expect(() =>
      merged([
        { kind: 'push', field: 'log', values: [1], cap: 2 },
        { kind: 'push', field: 'log', values: [2], cap: 5 },
      ]),
    ).toThrow(IncompatibleChangesError);
  });

  it('resets on delete: what follows starts from nothing', () => {
    const u = merged([
      { kind: 'inc', fields: { n: 1 } },
      { kind: 'delete' },
      { kind: 'set', fields: { a: 1 } },
    ]);
    expect(u).toMatchObject({ reset: true, deleted: false, set: { a: 1 }, inc: {} });
    expect(applyUpdate({ _id: 'd', old: true }, u)).toEqual({ _id: 'd', a: 1, _pos: pos(3) });
    const gone = merged([{ kind: 'set', fields: { a: 1 } }, { kind: 'delete' }]);
    expect(gone).toMatchObject({ reset: true, deleted: true });
    expect(applyUpdate({ _id: 'd' }, gone)).toBeUndefined();
  });

  it.each<[string, Op[]]>([
    [
      'max after inc',
      [
        { kind: 'inc', fields: { n: 1 } },
        { kind: 'max', fields: { n: 2 } },
      ],
    ],
    [
      'push after min',
      [
        { kind: 'min', fields: { n: 1 } },
        { kind: 'push', field: 'n', values: [1], cap: 2 },
      ],
    ],
    [
      'inc after setOnInsert',
      [
        { kind: 'setOnInsert', fields: { n: 0 } },
        { kind: 'inc', fields: { n: 1 } },
      ],
    ],
    [
      'set below an inc',
      [
        { kind: 'inc', fields: { a: 1 } },
        { kind: 'set', fields: { 'a.b': 1 } },
      ],
    ],
    [
      'inc above an inc',
      [
        { kind: 'inc', fields: { 'a.b': 1 } },
        { kind: 'inc', fields: { a: 1 } },
      ],
    ],
  ])('throws IncompatibleChangesError for %s on one field', (_, ops) => {
    expect(() => merged(ops)).toThrow(IncompatibleChangesError);
  });

  it('applies setOnInsert only if nothing created the document before it', () => {
    const first = merged([
      { kind: 'setOnInsert', fields: { createdAt: 't1' } },
      { kind: 'inc', fields: { n: 1 } },
      { kind: 'setOnInsert', fields: { createdAt: 't2', other: 1 } },
    ]);
    expect(first.setOnInsert).toEqual({ createdAt: 't1' });
    expect(applyUpdate(undefined, first)).toMatchObject({ createdAt: 't1', n: 1 });
    expect(applyUpdate({ _id: 'd', createdAt: 't0' }, first)).toMatchObject({ createdAt: 't0' });
    const late = merged([
      { kind: 'inc', fields: { n: 1 } },
      { kind: 'setOnInsert', fields: { createdAt: 't2' } },
    ]);
    expect(late.setOnInsert).toEqual({});
    // After a delete the document is known to be absent: setOnInsert is a plain set.
    const recreated = merged([
      { kind: 'delete' },
      { kind: 'setOnInsert', fields: { n: 10 } },
      { kind: 'inc', fields: { n: 1 } },
    ]);
    expect([recreated.set, recreated.setOnInsert]).toEqual([{ n: 11 }, {}]);
  });

  it('folds changes below a field set in the batch into its value, without touching the op', () => {
    const value = { x: 1, keep: 'k' };
    const u = merged([
      { kind: 'set', fields: { o: value } },
      { kind: 'inc', fields: { 'o.x': 2 } },
      { kind: 'set', fields: { 'o.y.z': 'deep' } },
      { kind: 'push', field: 'o.log', values: [1], cap: 3 },
    ]);
    expect(u.set).toEqual({ o: { x: 3, keep: 'k', y: { z: 'deep' }, log: [1] } });
    expect(u.inc).toEqual({});
    expect(value).toEqual({ x: 1, keep: 'k' });
  });

  it('drops pending changes below a field that a later set replaces', () => {
    const u = merged([
      { kind: 'inc', fields: { 'o.x': 2, n: 1 } },
      { kind: 'max', fields: { 'o.y': 5 } },
      { kind: 'set', fields: { o: { fresh: true } } },
    ]);
    expect([u.set, u.inc, u.max]).toEqual([{ o: { fresh: true } }, { n: 1 }, {}]);
  });

  it('skips changes at or before the position the document carries', () => {
    const changes = [
      at(4, { kind: 'inc', fields: { n: 1 } }),
      at(5, { kind: 'inc', fields: { n: 10 } }),
      at(6, { kind: 'inc', fields: { n: 100 } }),
      at(7, { kind: 'inc', fields: { n: 1000 } }, 'other'),
      at(3, { kind: 'inc', fields: { n: 1 } }, 'd', 'elsewhere'),
    ];
    const applied = (collection: string, id: string) =>
      collection === 'c' && id === 'd' ? pos(5) : id === 'other' ? pos(9) : undefined;
    const updates = coalesce(changes, applied);
    expect(updates.map((u) => [u.collection, u.id, u.firstPosition, u.inc])).toEqual([
      ['c', 'd', pos(6), { n: 100 }],
      ['elsewhere', 'd', pos(3), { n: 1 }],
    ]);
  });

  it('copies the current document unless the caller hands it over', () => {
    const current: Doc = { _id: 'd', o: { n: 1 } };
    const u = merged([{ kind: 'inc', fields: { 'o.n': 1 } }]);
    expect(applyUpdate(current, u)).toMatchObject({ o: { n: 2 } });
    expect(current).toEqual({ _id: 'd', o: { n: 1 } });
    expect(applyUpdate(current, u, true)).toBe(current);
    expect(current).toMatchObject({ o: { n: 2 } });
  });
});

describe('coalesce: properties', () => {
  // Each field has one family of op kinds a projection would combine on it.
  const iso = fc.integer({ min: 1, max: 28 }).map((d) => `2026-03-${String(d).padStart(2, '0')}`);
  const int = fc.integer({ min: -50, max: 50 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    int.map((n) => ({ kind: 'set', fields: { n } })),
    int.map((n) => ({ kind: 'inc', fields: { n } })),
    int.map((hi) => ({ kind: 'max', fields: { hi } })),
    int.map((hi) => ({ kind: 'set', fields: { hi } })),
    iso.map((lo) => ({ kind: 'min', fields: { lo } })),
    fc
      .array(int, { maxLength: 3 })
      .map((values) => ({ kind: 'push', field: 'log', values, cap: 3 })),
    fc.array(int, { maxLength: 2 }).map((log) => ({ kind: 'set', fields: { log } })),
    fc
      .array(iso, { maxLength: 2 })
      .map((values) => ({ kind: 'push', field: 'o.tail', values, cap: 1 })),
    iso.map((c) => ({ kind: 'setOnInsert', fields: { c } })),
    iso.map((c) => ({ kind: 'set', fields: { c } })),
    int.map((x) => ({ kind: 'set', fields: { o: { x, y: 'y' } } })),
    int.map((x) => ({ kind: 'inc', fields: { 'o.x': x } })),
    int.map((z) => ({ kind: 'max', fields: { 'o.z': z } })),
    iso.map((y) => ({ kind: 'set', fields: { 'o.y': y, n: 0 } })),
    fc.constant({ kind: 'delete' }),
  ) as fc.Arbitrary<Op>;

  const initial: fc.Arbitrary<Doc | undefined> = fc.option(
    fc
      .record(
        {
          n: int,
          hi: int,
          lo: iso,
          log: fc.array(int, { maxLength: 4 }),
          c: iso,
          o: fc.record({ x: int, y: iso }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      )
      .map((fields) => ({ _id: 'd', _pos: pos(0), ...fields })),
    { nil: undefined },
  );

  /** Each change applied alone, in order: the meaning every merge must preserve. */
  const oneByOne = (doc: Doc | undefined, changes: PositionedChange[]) =>
    changes.reduce<Doc | undefined>(
      (current, change) => applyUpdate(current, coalesce([change], nothingApplied)[0]!),
      doc,
    );

  /** One batch through the position guard, as an adapter applies it. */
  const applyBatch = (doc: Doc | undefined, changes: PositionedChange[]) => {
    const [u] = coalesce(changes, () => doc?._pos);
    return u ? applyUpdate(doc, u) : doc;
  };

  it('applying the merged update equals applying the changes one by one', () => {
    fc.assert(
      fc.property(
        initial,
        fc.array(fc.tuple(op, fc.boolean()), { minLength: 1, maxLength: 25 }),
        (doc, steps) => {
          // Several changes of one event share its position.
          let position = 0;
          const changes = steps.map(([o, sameEvent]) =>
            at(sameEvent && position > 0 ? position : ++position, o),
          );
          const [u] = coalesce(changes, nothingApplied);
          expect(applyUpdate(doc, u!)).toEqual(oneByOne(doc, changes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('any batch boundaries and any overlapping replay give the same document', () => {
    fc.assert(
      fc.property(
        initial,
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.nat(),
        (doc, ops, cuts, replayFrom) => {
          const changes = ops.map((o, i) => at(i + 1, o));
          const expected = oneByOne(doc, changes);
          const bounds = [0, ...cuts.map((c) => c % changes.length), changes.length].sort(
            (a, b) => a - b,
          );
          let current = doc;
          for (let i = 1; i < bounds.length; i++) {
            current = applyBatch(current, changes.slice(bounds[i - 1], bounds[i]));
            // A crash before the checkpoint: the runner replays from an earlier point.
            const from = Math.min(replayFrom % changes.length, bounds[i - 1]!);
            current = applyBatch(current, changes.slice(from, bounds[i]));
          }
          expect(current).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('merges documents independently, in order of first appearance', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('x', 'y'), op), {
          maxLength: 30,
        }),
        (steps) => {
          const changes = steps.map(([collection, id, o], i) => at(i + 1, o, id, collection));
          const updates = coalesce(changes, nothingApplied);
          const keys = [...new Set(changes.map((c) => `${c.collection}/${c.id}`))];
          expect(updates.map((u) => `${u.collection}/${u.id}`)).toEqual(keys);
          for (const u of updates) {
            const mine = changes.filter((c) => c.collection === u.collection && c.id === u.id);
            const start: Doc = { _id: u.id, seed: 1 };
            expect(applyUpdate(start, u)).toEqual(oneByOne(start, mine));
          }
        },
      ),
    );
  });
});

describe('applyUpdate without ownership', () => {
  const deepFreeze = <T>(value: T): T => {
    if (value !== null && typeof value === 'object') {
      for (const v of Object.values(value)) deepFreeze(v);
      Object.freeze(value);
    }
    return value;
  };

  it('never modifies the document it starts from, nor values taken from earlier changes', () => {
    const shared = { d: 2 };
    const base: Doc = deepFreeze({ _id: 'd', _pos: pos(1), a: { b: 1, c: shared }, list: [1] });
    const first = applyUpdate(
      base,
      merged([
        { kind: 'set', fields: { 'a.c.d': 3, 'a.b': 5 } },
        { kind: 'inc', fields: { 'a.x': 1 } },
        { kind: 'push', field: 'list', values: [2], cap: 5 },
      ]),
    )!;
    expect(first).toMatchObject({ a: { b: 5, c: { d: 3 }, x: 1 }, list: [1, 2] });
    expect(base).toEqual({ _id: 'd', _pos: pos(1), a: { b: 1, c: { d: 2 } }, list: [1] });
    // A value set by one update stays untouched when a later update changes below it.
    const value = deepFreeze({ n: 1 });
    const second = applyUpdate(first, merged([{ kind: 'set', fields: { v: value } }]))!;
    const third = applyUpdate(second, merged([{ kind: 'inc', fields: { 'v.n': 1 } }]))!;
    expect(third.v).toEqual({ n: 2 });
    expect(value).toEqual({ n: 1 });
  });
});
