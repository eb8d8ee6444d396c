import Database from 'better-sqlite3';
import { WeightedLru } from './lru';

/**
 * Answers of read-model queries, reused while the read models are unchanged: a dashboard asking
 * the same report again, or a page of leads with the same filter, costs a lookup instead of a
 * scan. An entry is keyed by the query, its arguments and the physical collections it reads (a
 * rebuilt generation is another key), and it is valid only for the read models' version it was
 * computed at: any commit to the read store, by this process or another, makes it a miss. So
 * nothing is answered that a direct read would not have answered, and `consistentWith` (waited
 * for before the lookup) holds as before. Values are shared by the requests that read them:
 * resolvers treat them as read-only, as they do the store's documents.
 */
export interface ResultCache {
  get<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

/** No caching: every query reads the store (MongoDB read models, tests). */
export const NO_RESULT_CACHE: ResultCache = { get: (_key, compute) => compute() };

interface Entry {
  version: number;
  value: Promise<unknown>;
}

/** Entries kept at most (least recently used dropped first)... */
const DEFAULT_CAPACITY = 1_000;
/** ...and documents held at most across them (a page of 500 leads holds 500). */
const DEFAULT_MAX_DOCUMENTS = 20_000;

/** About how many documents a value holds: a list's items (or their lists'), a page's edges. */
const weightOf = (value: unknown): number => {
  if (Array.isArray(value)) {
    let n = 0;
    for (const item of value as unknown[]) n += Array.isArray(item) ? item.length : 1;
    return Math.max(1, n);
  }
  const edges = (value as { edges?: unknown } | null)?.edges;
  return Array.isArray(edges) ? Math.max(1, edges.length) : 1;
};

/** A cache over `version()`, a number that changes whenever the read models change. */
export const createResultCache = (
  version: () => number,
  { capacity = DEFAULT_CAPACITY, maxDocuments = DEFAULT_MAX_DOCUMENTS } = {},
): ResultCache => {
  const entries = new WeightedLru<Entry>(capacity, maxDocuments);
  return {
    get<T>(key: string, compute: () => Promise<T>): Promise<T> {
      const now = version();
      const entry = entries.get(key);
      if (entry && entry.version === now) return entry.value as Promise<T>;
      // Concurrent misses of the same key share the one read (a herd after a change).
      const value = compute();
      const fresh: Entry = { version: now, value };
      // 1 document until the value is known.
      entries.set(key, fresh, 1);
      value.then(
        (result) => entries.reweigh(key, fresh, weightOf(result)),
        () => entries.delete(key, fresh),
      );
      return value;
    },
  };
};

/**
 * The version of an embedded (SQLite) read store: `PRAGMA data_version` on a connection of our
 * own that never writes, which changes whenever any connection (the runner's in this process, a
 * projector in another) commits to the file. About a microsecond per call.
 */
export const sqliteReadModelVersion = (file: string): { version: () => number; close(): void } => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const statement = db.prepare<[], number>('PRAGMA data_version').pluck();
  return {
    version: () => statement.get()!,
    close: () => {
      if (db.open) db.close();
    },
  };
};

/** A cache key: the query's name and everything its answer depends on. */
export const cacheKey = (query: string, ...parts: unknown[]): string =>
  JSON.stringify([query, ...parts]);
