import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findConnection,
  pageOf,
  sortIn,
  type Ordering,
  type PageArgs,
} from '../../src/projections/connection';
import type { Doc, Scalar } from '../../src/readstore/port';
import { SqliteReadStore } from '../../src/readstore/sqlite';

const ORDERING: Ordering = {
  name: 'items',
  keys: [
    { field: 'score', direction: 'desc' },
    { field: 'id', direction: 'desc' },
  ],
};
const keyOf = (d: Doc): Scalar[] => [d.score as number, d.id as string, d._id];

/** Paging loaded items in memory answers exactly what a keyset read of the store answers. */
describe('pageOf', () => {
  let dir: string;
  let store: SqliteReadStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-page-'));
    store = new SqliteReadStore(join(dir, 'read.db'));
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('equals findConnection for any items and page arguments, cursors included', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 12 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: -1, max: 12 }),
        async (ids, scores, backward, size, cursorAt) => {
          const collection = `items_${run++}`;
          await store.ensureCollection({
            name: collection,
            indexes: [{ fields: ['score', 'id'] }],
          });
          const docs: Doc[] = ids.map((n, i) => ({
            _id: `d${n}`,
            id: `i${n}`,
            score: scores[i] ?? 0,
          }));
          await store.applyBatch(
            docs.map((d) => ({
              collection,
              id: d._id,
              op: { kind: 'set', fields: { id: d.id!, score: d.score! } },
              position: '1',
            })),
            [],
          );
          const sorted = sortIn([...docs], ORDERING, keyOf);
          const all = await findConnection(
            store,
            collection,
            undefined,
            ORDERING,
            { first: 50 },
            (d) => d,
          );
          const cursor = cursorAt >= 0 ? all.edges[cursorAt]?.cursor : undefined;
          const args: PageArgs = backward
            ? { last: size, before: cursor }
            : { first: size, after: cursor };
          const strip = (d: Doc) => ({ _id: d._id, id: d.id, score: d.score });
          const expected = await findConnection(
            store,
            collection,
            undefined,
            ORDERING,
            args,
            strip,
          );
          const actual = pageOf(sorted, ORDERING, keyOf, args);
          expect({
            ...actual,
            edges: actual.edges.map((e) => ({ ...e, node: strip(e.node) })),
          }).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});
