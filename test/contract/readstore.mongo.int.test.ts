import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { MongoReadStore, type Write } from '../../src/readstore/mongo';
import type { Doc, PositionedChange } from '../../src/readstore/port';
import { recordRan, recordSkip } from '../support/skips';
import { change, pos, readStoreContract } from './readstore.contract';

const uri = process.env.MONGODB_URI;
const dbPrefix = process.env.MONGODB_DB ?? 'leadledger_test';

/** A database per run and per fixture: the server is shared, and dropped databases go away. */
const dbName = (label: string) =>
  `${dbPrefix}_${label}_${randomUUID().replaceAll('-', '').slice(0, 8)}`;

/** Stops after `budget` document writes, as a crash in the middle of a bulk write would. */
class CrashingStore extends MongoReadStore {
  constructor(
    client: MongoClient,
    name: string,
    private budget: number,
  ) {
    super(client, name, { writeChunk: 3 });
  }

  protected override async write(collection: string, writes: Write[]): Promise<void> {
    const allowed = writes.slice(0, Math.max(0, this.budget));
    this.budget -= allowed.length;
    await super.write(collection, allowed);
    if (allowed.length < writes.length) throw new Error('crashed mid bulk write');
  }
}

if (!uri) {
  recordSkip('ReadStore contract on MongoDB', 'MONGODB_URI is unset');
  it.skip('ReadStore contract on MongoDB (set MONGODB_URI to run it)', () => undefined);
} else {
  beforeAll(() => recordRan('ReadStore contract on MongoDB/FerretDB'));

  readStoreContract('MongoDB', async () => {
    const client = new MongoClient(uri, { ignoreUndefined: true });
    await client.connect();
    const name = dbName('contract');
    const store = new MongoReadStore(client, name);
    return {
      store,
      cleanup: async () => {
        await client.db(name).dropDatabase();
        await store.close();
      },
    };
  });

  describe('MongoReadStore specifics', () => {
    let client: MongoClient;
    let name: string;
    beforeAll(async () => {
      client = new MongoClient(uri, { ignoreUndefined: true });
      await client.connect();
    });
    beforeEach(() => {
      name = dbName('specifics');
    });
    afterEach(async () => {
      await client.db(name).dropDatabase();
    });
    afterAll(async () => {
      await client.close();
    });

    const inc = (n: number) => ({ kind: 'inc' as const, fields: { n, 'by.day': n } });
    const push = (v: number) => ({ kind: 'push' as const, field: 'last', values: [v], cap: 4 });
    /** Three collections, documents touched several times, deletes and recreations. */
    const events = (): PositionedChange[] =>
      Array.from({ length: 60 }, (_, i) => {
        const [collection, id, p] = [['a', 'b', 'c'][i % 3]!, `d${(i * 7) % 11}`, i + 1];
        if (i % 17 === 16) return change(collection, id, p, { kind: 'delete' });
        if (i % 5 === 0) return change(collection, id, p, push(i));
        if (i % 7 === 0) return change(collection, id, p, { kind: 'max', fields: { top: i } });
        return change(collection, id, p, inc(i));
      });
    const snapshot = async (store: MongoReadStore): Promise<Record<string, Doc[]>> => {
      const out: Record<string, Doc[]> = {};
      for (const c of ['a', 'b', 'c']) out[c] = await store.find(c);
      return out;
    };

    it('converges after a crash mid bulk write and a replay with other batch boundaries', async () => {
      const clean = new MongoReadStore(client, name);
      await clean.applyBatch(events(), [{ name: 'p', position: pos(60) }]);
      const expected = await snapshot(clean);
      expect(expected.a!.length).toBeGreaterThan(3);

      const all = events();
      for (const budget of [0, 1, 4, 9, 17]) {
        const db = dbName(`crash${budget}`);
        // The first attempt covers the first 40 events and dies after `budget` document writes.
        const crashing = new CrashingStore(client, db, budget);
        await expect(
          crashing.applyBatch(all.slice(0, 40), [{ name: 'p', position: pos(40) }]),
        ).rejects.toThrow('crashed mid bulk write');
        expect(await crashing.getCheckpoint('p')).toBeNull();
        // The restart replays from the old checkpoint in batches of another size.
        const store = new MongoReadStore(client, db, { writeChunk: 2 });
        for (let start = 0; start < all.length; start += 13) {
          const end = Math.min(all.length, start + 13);
          await store.applyBatch(all.slice(start, end), [{ name: 'p', position: pos(end) }]);
        }
        expect(await snapshot(store)).toEqual(expected);
        expect(await store.getCheckpoint('p')).toBe(pos(60));
        await client.db(db).dropDatabase();
      }
    });

    it('finishes a crashed batch from its redo log before anything reads it', async () => {
      const first40 = events().slice(0, 40);
      const clean = new MongoReadStore(client, name);
      await clean.applyBatch(first40, [{ name: 'p', position: pos(40) }]);
      const expected = await snapshot(clean);
      for (const budget of [0, 3, 11]) {
        const db = dbName(`redo${budget}`);
        const crashing = new CrashingStore(client, db, budget);
        await expect(
          crashing.applyBatch(first40, [{ name: 'p', position: pos(40) }]),
        ).rejects.toThrow('crashed mid bulk write');
        // A restarted process recovers first: the half-written batch is completed exactly.
        const restarted = new MongoReadStore(client, db);
        expect(await restarted.recover()).toBe(1);
        expect(await snapshot(restarted)).toEqual(expected);
        expect(await restarted.getCheckpoint('p')).toBe(pos(40));
        expect(await restarted.recover()).toBe(0);
        await client.db(db).dropDatabase();
      }
    });

    it('treats a guard refusal as applied, and still writes what follows it in the chunk', async () => {
      const store = new MongoReadStore(client, name, { writeChunk: 10 });
      await store.applyBatch([change('t', 'x', 5, inc(1))], []);
      // Another writer moved `x` past this batch between its read and its write.
      const raced = new (class extends MongoReadStore {
        protected override async write(collection: string, writes: Write[]) {
          await client
            .db(name)
            .collection<Doc>('t')
            .updateOne({ _id: 'x' }, { $set: { _pos: pos(9) } });
          await super.write(collection, writes);
        }
      })(client, name);
      await raced.applyBatch(
        [change('t', 'x', 6, inc(100)), change('t', 'y', 7, inc(1)), change('t', 'z', 8, inc(1))],
        [{ name: 'p', position: pos(8) }],
      );
      expect(await store.getMany('t', ['x', 'y', 'z'])).toEqual([
        { _id: 'x', _pos: pos(9), n: 1, by: { day: 1 } },
        { _id: 'y', _pos: pos(7), n: 1, by: { day: 1 } },
        { _id: 'z', _pos: pos(8), n: 1, by: { day: 1 } },
      ]);
      expect(await store.getCheckpoint('p')).toBe(pos(8));
    });

    it('fails the batch, checkpoint unmoved, when a unique index refuses a document', async () => {
      const store = new MongoReadStore(client, name);
      await store.ensureCollection({ name: 'u', indexes: [{ fields: ['email'], unique: true }] });
      await store.applyBatch([change('u', 'a', 1, { kind: 'set', fields: { email: 'a@x' } })], []);
      await expect(
        store.applyBatch(
          [change('u', 'b', 2, { kind: 'set', fields: { email: 'a@x' } })],
          [{ name: 'p', position: pos(2) }],
        ),
      ).rejects.toHaveProperty('code', 11000);
      expect(await store.getCheckpoint('p')).toBeNull();
      expect(await store.count('u')).toBe(1);
    });

    it('writes more documents than one write command takes', async () => {
      const store = new MongoReadStore(client, name);
      const many = Array.from({ length: 260 }, (_, i) => change('m', `d${i}`, i + 1, inc(1)));
      await store.applyBatch(many, [{ name: 'p', position: pos(260) }]);
      await store.applyBatch(many, [{ name: 'p', position: pos(260) }]);
      expect(await store.count('m')).toBe(260);
      expect(await store.sum('m', { groupBy: [], fields: ['n'] })).toEqual([
        { key: {}, count: 260, sums: { n: 260 } },
      ]);
    });

    it('finishes concurrent batches, as a rebuild beside the live loop makes them', async () => {
      const store = new MongoReadStore(client, name);
      const batch = (c: string, at: number) =>
        Array.from({ length: 120 }, (_, i) => change(c, `d${i}`, at + i, inc(1)));
      const names = ['g1', 'g2', 'g3', 'g4'];
      for (const c of names) await store.applyBatch(batch(c, 1), []);
      // Updates of existing documents: what holds FerretDB's connections longest.
      await Promise.all(names.map((c) => store.applyBatch(batch(c, 1000), [])));
      for (const c of names) {
        expect(await store.sum(c, { groupBy: [], fields: ['n'] })).toEqual([
          { key: {}, count: 120, sums: { n: 240 } },
        ]);
      }
    });

    it('matches applyUpdate where the operators alone would not: null min, inc on text', async () => {
      const store = new MongoReadStore(client, name);
      await store.applyBatch(
        [change('e', 'a', 1, { kind: 'set', fields: { first: null, n: 'none', best: 'x' } })],
        [],
      );
      await store.applyBatch(
        [
          change('e', 'a', 2, { kind: 'min', fields: { first: '2026-03-01' } }),
          change('e', 'a', 3, { kind: 'inc', fields: { n: 2 } }),
          change('e', 'a', 4, { kind: 'max', fields: { best: 3 } }),
        ],
        [],
      );
      expect(await store.get('e', 'a')).toEqual({
        _id: 'a',
        _pos: pos(4),
        first: '2026-03-01',
        n: 2,
        best: 'x',
      });
    });

    it('refuses the collection names it keeps for itself', async () => {
      const store = new MongoReadStore(client, name);
      await expect(store.ensureCollection({ name: '_meta', indexes: [] })).rejects.toThrow(
        RangeError,
      );
      await expect(store.applyBatch([change('_checkpoints', 'a', 1, inc(1))], [])).rejects.toThrow(
        RangeError,
      );
    });
  });
}
