import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { KEY_COLLECTIONS, MongoKeyStore } from '../../src/privacy/keystore/mongo';
import { recordRan, recordSkip } from '../support/skips';
import { keyStoreContract } from './keystore.contract';

const uri = process.env.MONGODB_URI;
const dbName = () =>
  `${process.env.MONGODB_DB ?? 'leadledger_test'}_keys_${randomUUID().replaceAll('-', '').slice(0, 8)}`;

if (!uri) {
  recordSkip('KeyStore contract on MongoDB', 'MONGODB_URI is unset');
  it.skip('KeyStore contract on MongoDB (set MONGODB_URI to run it)', () => undefined);
} else {
  beforeAll(() => recordRan('KeyStore contract on MongoDB/FerretDB'));

  keyStoreContract('MongoDB', async () => {
    const client = new MongoClient(uri, { ignoreUndefined: true });
    await client.connect();
    const name = dbName();
    return {
      store: new MongoKeyStore(client, name),
      cleanup: async () => {
        await client.db(name).dropDatabase();
        await client.close();
      },
    };
  });

  describe('MongoKeyStore specifics', () => {
    it('deletes the key document: no collection of the database holds it any more', async () => {
      const client = new MongoClient(uri, { ignoreUndefined: true });
      await client.connect();
      const name = dbName();
      const store = new MongoKeyStore(client, name);
      try {
        await store.create({
          keyId: 'k1',
          subject: 'L1',
          masterKeyId: 'mk-0',
          wrapped: 'secret-wrapping',
          createdAt: new Date().toISOString(),
        });
        await store.forget('L1');
        const db = client.db(name);
        const dump: unknown[] = [];
        for (const { name: collection } of await db.listCollections().toArray()) {
          dump.push(...(await db.collection(collection).find().toArray()));
        }
        expect(JSON.stringify(dump)).not.toContain('secret-wrapping');
        expect(await db.collection(KEY_COLLECTIONS.keys).countDocuments()).toBe(0);
      } finally {
        await client.db(name).dropDatabase();
        await client.close();
      }
    });
  });
}
