import { MongoServerError, type Collection, type Db, type MongoClient } from 'mongodb';
import { connectMongo } from '../../readstore/mongo';
import type { KeyRecord, KeyStore, SubjectKey } from './port';

/** Collections beside the read models; names no projection uses. */
export const KEY_COLLECTIONS = {
  keys: 'pii_keys',
  forgotten: 'pii_forgotten',
  checkpoints: 'pii_checkpoints',
} as const;

interface KeyDoc {
  _id: string;
  subject: string;
  masterKeyId: string;
  wrapped: string;
  createdAt: string;
}

const DUPLICATE_KEY = 11000;
const SUBJECT_INDEX = 'subject_1_unique';

const toRecord = (doc: KeyDoc): KeyRecord => ({
  keyId: doc._id,
  subject: doc.subject,
  masterKeyId: doc.masterKeyId,
  wrapped: doc.wrapped,
  createdAt: doc.createdAt,
});

/**
 * Data keys in MongoDB with single-document operations only (FerretDB 1.x has no
 * transactions): a unique index makes one key per subject, and a forgotten subject's tombstone
 * is written before its keys are deleted and checked again after a key is created, so a key
 * created during an erasure is taken back. Deleting the document is the erasure; what the
 * server's own storage keeps of deleted documents is the operator's (see docs/audit.md).
 */
export class MongoKeyStore implements KeyStore {
  private readonly db: Db;
  private indexed: Promise<void> | undefined;

  constructor(
    private readonly client: MongoClient,
    dbName: string,
    private readonly ownsClient = false,
  ) {
    this.db = client.db(dbName);
  }

  private get keys(): Collection<KeyDoc> {
    return this.db.collection<KeyDoc>(KEY_COLLECTIONS.keys);
  }

  private get tombstones(): Collection<{ _id: string; forgottenAt: string }> {
    return this.db.collection(KEY_COLLECTIONS.forgotten);
  }

  private get checkpoints(): Collection<{ _id: string; position: string }> {
    return this.db.collection(KEY_COLLECTIONS.checkpoints);
  }

  /** The unique subject index, created once (only when missing: FerretDB 1.x is touchy). */
  private ensureIndex(): Promise<void> {
    this.indexed ??= (async () => {
      const present: Array<{ name?: unknown }> = await this.keys
        .listIndexes()
        .toArray()
        .catch(() => []);
      if (present.some((i) => i.name === SUBJECT_INDEX)) return;
      await this.keys.createIndex({ subject: 1 }, { name: SUBJECT_INDEX, unique: true });
    })().catch((error: unknown) => {
      this.indexed = undefined;
      throw error;
    });
    return this.indexed;
  }

  private async isForgotten(subject: string): Promise<boolean> {
    return (await this.tombstones.findOne({ _id: subject })) !== null;
  }

  async create(record: KeyRecord): Promise<SubjectKey> {
    await this.ensureIndex();
    const existing = await this.bySubject(record.subject);
    if (existing.kind !== 'none') return existing;
    try {
      await this.keys.insertOne({
        _id: record.keyId,
        subject: record.subject,
        masterKeyId: record.masterKeyId,
        wrapped: record.wrapped,
        createdAt: record.createdAt,
      });
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      const winner = await this.bySubject(record.subject);
      if (winner.kind === 'none') throw error;
      return winner;
    }
    if (await this.isForgotten(record.subject)) {
      await this.keys.deleteOne({ _id: record.keyId });
      return { kind: 'forgotten' };
    }
    return { kind: 'key', record };
  }

  async get(keyId: string): Promise<KeyRecord | undefined> {
    const doc = await this.keys.findOne({ _id: keyId });
    return doc ? toRecord(doc) : undefined;
  }

  async bySubject(subject: string): Promise<SubjectKey> {
    if (await this.isForgotten(subject)) return { kind: 'forgotten' };
    const doc = await this.keys.findOne({ subject });
    return doc ? { kind: 'key', record: toRecord(doc) } : { kind: 'none' };
  }

  async forget(subject: string): Promise<boolean> {
    try {
      await this.tombstones.updateOne(
        { _id: subject },
        { $setOnInsert: { forgottenAt: new Date().toISOString() } },
        { upsert: true },
      );
    } catch (error) {
      // Two processes forgetting at once: both upserts insert, one loses; the tombstone is there.
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    }
    const { deletedCount } = await this.keys.deleteMany({ subject });
    return deletedCount > 0;
  }

  async list(afterKeyId: string, limit: number): Promise<KeyRecord[]> {
    const docs = await this.keys
      .find({ _id: { $gt: afterKeyId } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map(toRecord);
  }

  async rewrap(
    keyId: string,
    expectedMasterKeyId: string,
    next: { masterKeyId: string; wrapped: string },
  ): Promise<boolean> {
    const { matchedCount } = await this.keys.updateOne(
      { _id: keyId, masterKeyId: expectedMasterKeyId },
      { $set: { masterKeyId: next.masterKeyId, wrapped: next.wrapped } },
    );
    return matchedCount === 1;
  }

  purge(): Promise<void> {
    return Promise.resolve();
  }

  async readCheckpoint(name: string): Promise<string | undefined> {
    return (await this.checkpoints.findOne({ _id: name }))?.position;
  }

  async writeCheckpoint(name: string, position: string): Promise<void> {
    await this.checkpoints.updateOne({ _id: name }, { $set: { position } }, { upsert: true });
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}

/** Connects its own client to the read models' database. */
export const createMongoKeyStore = async (uri: string, dbName: string): Promise<MongoKeyStore> => {
  const client = await connectMongo(uri);
  return new MongoKeyStore(client, dbName, true);
};
