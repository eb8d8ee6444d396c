import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { MongoReadStore } from '../../src/readstore/mongo';
import { SqliteReadStore } from '../../src/readstore/sqlite';
import type { ReadStoreFixture } from '../contract/readstore.contract';
import { recordRan, recordSkip } from './skips';

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

/** A fresh database per call on the shared server, dropped on cleanup. */
const mongo =
  (uri: string): ReadStoreFactory =>
  async () => {
    recordRan('Read model suites on MongoDB/FerretDB');
    const client = new MongoClient(uri, { ignoreUndefined: true });
    await client.connect();
    const name = `${process.env.MONGODB_DB ?? 'leadledger_test'}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const store = new MongoReadStore(client, name);
    return {
      store,
      cleanup: async () => {
        await client.db(name).dropDatabase();
        await store.close();
      },
    };
  };

/** Every read store adapter available here, by name: SQLite always, MongoDB with MONGODB_URI. */
export const readStoreFactories = (): Array<[string, ReadStoreFactory]> => {
  const factories: Array<[string, ReadStoreFactory]> = [['SQLite', sqlite]];
  // ---- MongoDB entry
  if (process.env.MONGODB_URI) factories.push(['MongoDB', mongo(process.env.MONGODB_URI)]);
  else recordSkip('Read model suites on MongoDB', 'MONGODB_URI is unset');
  // ---- end of MongoDB entry
  return factories;
};
