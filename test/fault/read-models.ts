import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { MongoClient } from 'mongodb';
import type { EventStore } from '../../src/eventstore/port';
import { PROJECTIONS } from '../../src/projections/catalog';
import { asMeta, checkpointName, metaKey, physical } from '../../src/projections/generations';
import { ProjectionRunner } from '../../src/projections/runner';
import { createMongoReadStore } from '../../src/readstore/mongo';
import type { Doc, ReadStore } from '../../src/readstore/port';
import { SqliteReadStore } from '../../src/readstore/sqlite';

/**
 * "The read models equal a clean rebuild": every collection of every projection's live
 * generation, as a crashed-and-restarted process left it, against a fresh runner's replay of
 * the same events into an empty store of the same kind.
 */

export type ReadModels = Record<string, Doc[]>;

/** Where a process keeps its read models: the embedded file in DATA_DIR, or a MongoDB database. */
export interface ReadModelBackend {
  name: 'SQLite' | 'MongoDB';
  /** What the process needs in its environment besides DATA_DIR. */
  env: Record<string, string>;
  /** Opens the store the process wrote (after it stopped, or beside it to watch it). */
  open(dataDir: string): Promise<ReadStore>;
  /** A fresh, empty store of the same kind for the reference rebuild, and how to get rid of it. */
  scratch(dataDir: string): Promise<{ store: ReadStore; drop(): Promise<void> }>;
  /** Drops what the process wrote (MongoDB; the SQLite file goes with its directory). */
  drop(): Promise<void>;
}

export const sqliteReadModels = (): ReadModelBackend => ({
  name: 'SQLite',
  env: {},
  open: (dataDir) => Promise.resolve(new SqliteReadStore(join(dataDir, 'readmodels.db'))),
  scratch: (dataDir) => {
    const store = new SqliteReadStore(join(dataDir, `rebuild-${randomUUID()}.db`));
    return Promise.resolve({ store, drop: () => store.close() });
  },
  drop: () => Promise.resolve(),
});

const databaseName = (prefix: string) =>
  `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 10)}`;

const dropDatabase = async (uri: string, name: string) => {
  const client = await MongoClient.connect(uri);
  try {
    await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
};

/** Read models in a fresh database named `<prefix>_<random>` on the MongoDB at `uri`. */
export const mongoReadModels = (uri: string, prefix: string): ReadModelBackend => {
  const name = databaseName(prefix);
  return {
    name: 'MongoDB',
    env: { MONGODB_URI: uri, MONGODB_DB: name },
    // Through the composition's constructor, so a batch a killed writer left half-done is
    // finished first, as the next process to open the store would.
    open: () => createMongoReadStore(uri, name),
    scratch: async () => {
      const other = databaseName(prefix);
      const store = await createMongoReadStore(uri, other);
      return {
        store,
        drop: async () => {
          await store.close();
          await dropDatabase(uri, other);
        },
      };
    },
    drop: () => dropDatabase(uri, name),
  };
};

/** Every document of every projection's live generation (from the generation meta). */
export const readModelsOf = async (store: ReadStore): Promise<ReadModels> => {
  const out: ReadModels = {};
  for (const projection of PROJECTIONS) {
    const meta = asMeta(await store.readMeta(metaKey(projection.name)));
    for (const { name } of projection.collections) {
      out[name] = meta
        ? await store.find(physical(name, meta.generation), { limit: 10_000_000 })
        : [];
    }
  }
  return out;
};

/** Lowest and highest checkpoint of the live generations ('' before any). */
export const checkpointsOf = async (store: ReadStore): Promise<{ low: string; high: string }> => {
  const positions: string[] = [];
  for (const projection of PROJECTIONS) {
    const meta = asMeta(await store.readMeta(metaKey(projection.name)));
    positions.push(
      meta
        ? ((await store.getCheckpoint(checkpointName(projection.name, meta.generation))) ?? '')
        : '',
    );
  }
  positions.sort();
  return { low: positions[0] ?? '', high: positions[positions.length - 1] ?? '' };
};

/** Replays the whole log into `store` with a fresh runner (no lease) and reads the result. */
export const cleanRebuild = async (
  events: EventStore,
  store: ReadStore,
  timeoutMs = 120_000,
): Promise<ReadModels> => {
  const runner = new ProjectionRunner(events, store, PROJECTIONS, {
    onError: (error) => console.error('reference rebuild failed:', error),
  });
  await runner.start();
  try {
    const head = await events.headPosition();
    if (!(await runner.waitFor(head, timeoutMs))) {
      throw new Error(`the reference rebuild did not reach ${head} within ${timeoutMs} ms`);
    }
  } finally {
    await runner.stop();
  }
  return readModelsOf(store);
};

/**
 * The differences between two sets of read models, at most `limit` of them, each one line:
 * a diff that names the collection and document instead of printing thousands of documents.
 */
export const readModelDifferences = (
  actual: ReadModels,
  expected: ReadModels,
  limit = 20,
): string[] => {
  const out: string[] = [];
  const names = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
  for (const name of names) {
    const mine = new Map((actual[name] ?? []).map((d) => [d._id, d]));
    const theirs = new Map((expected[name] ?? []).map((d) => [d._id, d]));
    for (const [id, doc] of theirs) {
      const got = mine.get(id);
      if (!got) out.push(`${name}/${id}: missing`);
      else if (!isDeepStrictEqual(got, doc)) {
        out.push(`${name}/${id}: ${JSON.stringify(got)} != rebuilt ${JSON.stringify(doc)}`);
      }
    }
    for (const id of mine.keys()) if (!theirs.has(id)) out.push(`${name}/${id}: not in rebuild`);
    if (out.length >= limit) break;
  }
  return out.slice(0, limit).map((line) => (line.length > 600 ? `${line.slice(0, 600)}…` : line));
};

/** Documents per collection, for the log. */
export const documentCount = (models: ReadModels): number =>
  Object.values(models).reduce((n, docs) => n + docs.length, 0);
