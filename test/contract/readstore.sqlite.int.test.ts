import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IncompatibleChangesError } from '../../src/readstore/coalesce';
import { SqliteReadStore } from '../../src/readstore/sqlite';
import { change, pos, readStoreContract } from './readstore.contract';

const tempDir = () => mkdtempSync(join(tmpdir(), 'leadledger-rs-'));

readStoreContract('SQLite', () => {
  const dir = tempDir();
  const store = new SqliteReadStore(join(dir, 'nested', 'read.db'));
  return Promise.resolve({
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});

describe('SqliteReadStore specifics', () => {
  let dir: string;
  let file: string;
  let store: SqliteReadStore;
  beforeEach(() => {
    dir = tempDir();
    file = join(dir, 'read.db');
    store = new SqliteReadStore(file);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const inc = (n: number) => ({ kind: 'inc' as const, fields: { n } });

  it('writes nothing of a batch that fails midway, checkpoint included', async () => {
    await store.applyBatch([change('a', 'x', 1, inc(1))], [{ name: 'p', position: pos(1) }]);
    const failing = store.applyBatch(
      [
        change('a', 'x', 2, inc(1)),
        change('a', 'y', 3, inc(1)),
        change('fresh', 'z', 4, inc(1)),
        // push after inc on one field in one batch: no single update can express it.
        change('b', 'w', 5, inc(1)),
        change('b', 'w', 6, { kind: 'push', field: 'n', values: [1], cap: 3 }),
      ],
      [{ name: 'p', position: pos(6) }],
    );
    await expect(failing).rejects.toBeInstanceOf(IncompatibleChangesError);
    expect(await store.getMany('a', ['x', 'y'])).toEqual([
      { _id: 'x', _pos: pos(1), n: 1 },
      undefined,
    ]);
    expect(await store.get('fresh', 'z')).toBeUndefined();
    expect(await store.getCheckpoint('p')).toBe(pos(1));
    // The table the failed batch created was rolled back with it; writing it again works.
    await store.applyBatch([change('fresh', 'z', 7, inc(2))], []);
    expect(await store.get('fresh', 'z')).toMatchObject({ n: 2 });
  });

  it('rolls back a batch that breaks a unique index after earlier writes', async () => {
    await store.ensureCollection({ name: 'u', indexes: [{ fields: ['email'], unique: true }] });
    await store.applyBatch([change('u', 'a', 1, { kind: 'set', fields: { email: 'a@x' } })], []);
    const failing = store.applyBatch(
      [
        change('u', 'b', 2, { kind: 'set', fields: { email: 'b@x' } }),
        change('u', 'c', 3, { kind: 'set', fields: { email: 'a@x' } }),
      ],
      [{ name: 'p', position: pos(3) }],
    );
    // Not toThrow: better-sqlite3 may build its errors in another realm under jest.
    await expect(failing).rejects.toHaveProperty('code', 'SQLITE_CONSTRAINT_UNIQUE');
    expect(await store.count('u')).toBe(1);
    expect(await store.getCheckpoint('p')).toBeNull();
  });

  it('declares a generated column and an index per declared field, _id last', async () => {
    await store.ensureCollection({
      name: 'leads_g1',
      indexes: [{ fields: ['stage'] }, { fields: ['owner.id', 'updatedAt'] }],
    });
    await store.applyBatch(
      [change('leads_g1', 'l1', 1, { kind: 'set', fields: { stage: 'MQL', owner: { id: 'r' } } })],
      [],
    );
    await store.ensureCollection({ name: 'leads_g1', indexes: [{ fields: ['segment'] }] });
    const db = new Database(file, { readonly: true });
    const columns = db.pragma("table_xinfo('leads_g1')") as Array<{ name: string; hidden: number }>;
    expect(columns.filter((c) => c.hidden > 0).map((c) => c.name)).toEqual([
      'f:stage',
      'f:owner.id',
      'f:updatedAt',
      'f:segment',
    ]);
    const indexes = (db.pragma("index_list('leads_g1')") as Array<{ name: string }>)
      .map((i) => i.name)
      .filter((n) => n.startsWith('ix:'))
      .sort();
    expect(indexes).toEqual([
      'ix:leads_g1:owner.id,updatedAt',
      'ix:leads_g1:segment',
      'ix:leads_g1:stage',
    ]);
    expect(
      (db.pragma("index_info('ix:leads_g1:owner.id,updatedAt')") as Array<{ name: string }>).map(
        (c) => c.name,
      ),
    ).toEqual(['f:owner.id', 'f:updatedAt', 'id']);
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT doc FROM leads_g1 WHERE "f:stage" IS ? ORDER BY "f:stage", id LIMIT 5`,
      )
      .all('MQL') as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join()).toMatch(/USING INDEX ix:leads_g1:stage/);
    db.close();
  });

  it('keeps documents and checkpoints when the file is reopened', async () => {
    await store.ensureCollection({ name: 'leads', indexes: [{ fields: ['stage'] }] });
    await store.applyBatch(
      [change('leads', 'l1', 1, { kind: 'set', fields: { stage: 'SQL' } })],
      [{ name: 'p', position: pos(1) }],
    );
    await store.close();
    store = new SqliteReadStore(file);
    expect(await store.find('leads', { filter: { where: { stage: 'SQL' } } })).toEqual([
      { _id: 'l1', _pos: pos(1), stage: 'SQL' },
    ]);
    expect(await store.getCheckpoint('p')).toBe(pos(1));
  });

  it('reads a collection dropped by another connection as empty', async () => {
    await store.applyBatch([change('gone', 'a', 1, inc(1))], []);
    expect(await store.count('gone')).toBe(1);
    const other = new SqliteReadStore(file);
    await other.dropCollection('gone');
    await other.close();
    expect(await store.count('gone')).toBe(0);
    expect(await store.get('gone', 'a')).toBeUndefined();
  });

  it('refuses collection names it keeps for itself', async () => {
    await expect(store.ensureCollection({ name: '_meta', indexes: [] })).rejects.toThrow(
      RangeError,
    );
    await expect(store.applyBatch([change('sqlite_x', 'a', 1, inc(1))], [])).rejects.toThrow(
      RangeError,
    );
  });

  it('quotes collection names and field paths that are not identifiers', async () => {
    const name = `we"ird name-1`;
    await store.ensureCollection({ name, indexes: [{ fields: ['by day.x-y'] }] });
    await store.applyBatch(
      [change(name, "it's", 1, { kind: 'set', fields: { 'by day.x-y': 3, "o'k": 'yes' } })],
      [],
    );
    expect(await store.find(name, { filter: { where: { 'by day.x-y': { gte: 3 } } } })).toEqual([
      { _id: "it's", _pos: pos(1), 'by day': { 'x-y': 3 }, "o'k": 'yes' },
    ]);
    await store.dropCollection(name);
  });
});
