import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from '../../src/readstore/sqlite';
import type { ReadStoreFixture } from '../contract/readstore.contract';

export type { ReadStoreFixture };

export type ReadStoreFactory = () => Promise<ReadStoreFixture>;

const sqlite: ReadStoreFactory = () => {
  const dir = mkdtempSync(join(tmpdir(), 'leadledger-rs-'));
  const store = new SqliteReadStore(join(dir, 'read.db'));
  return Promise.resolve({
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
};

/** Every read store adapter available here, by name: SQLite always. */
export const readStoreFactories = (): Array<[string, ReadStoreFactory]> => {
  const factories: Array<[string, ReadStoreFactory]> = [['SQLite', sqlite]];
  // ---- MongoDB entry goes here (added with src/readstore/mongo.ts), gated on MONGODB_URI:
  // if (process.env.MONGODB_URI) factories.push(['MongoDB', mongo]);
  // else recordSkip('MongoDB read store', 'MONGODB_URI not set');
  // ---- end of MongoDB entry
  return factories;
};
