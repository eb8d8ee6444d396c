import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { startWalCheckpointer, type WalCheckpointer } from '../sqlite/wal-checkpointer';
import { applyUpdate, coalesce } from './coalesce';
import type {
  Checkpoint,
  CollectionSpec,
  Condition,
  Doc,
  DocWrite,
  Filter,
  Lease,
  FindOptions,
  PositionedChange,
  ReadStore,
  Scalar,
  SortKey,
  SumOptions,
  SumRow,
  Value,
} from './port';

type Statement = Database.Statement<unknown[], unknown>;
type Param = string | number | null;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS _checkpoints (
  name     TEXT PRIMARY KEY NOT NULL,
  position TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _leases (
  name       TEXT PRIMARY KEY NOT NULL,
  owner      TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

const INTERNAL_TABLES = new Set(['_checkpoints', '_meta', '_leases']);

/** Ids per `IN (...)` query; smaller lists are padded to a power of two to reuse statements. */
const CHUNK = 512;
/** Distinct find/count/sum statements kept prepared per collection. */
const QUERY_CACHE = 256;

const quoteId = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteText = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** `stages.MQL` -> `'$.stages.MQL'`; segments that are not identifiers are quoted. */
const jsonPath = (field: string): string => {
  let path = '$';
  for (const segment of field.split('.')) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) path += `.${segment}`;
    else if (segment !== '' && !segment.includes('"')) path += `."${segment}"`;
    else throw new RangeError(`field path not supported by the SQLite read store: '${field}'`);
  }
  return quoteText(path);
};

/** A collection's table; `doc` is the whole document as JSON, `_id` and `_pos` included. */
const createTable = (table: string) =>
  `CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY NOT NULL, pos TEXT NOT NULL, doc TEXT NOT NULL)`;

/** Generated columns are named after the field they extract. */
const COLUMN_PREFIX = 'f:';

const checkName = (name: string) => {
  if (
    name === '' ||
    name.includes('\u0000') ||
    /^sqlite_/i.test(name) ||
    INTERNAL_TABLES.has(name)
  ) {
    throw new RangeError(`not a usable collection name: '${name}'`);
  }
};

/** Values no JSON boolean can be mistaken for in SQL (json_extract gives true/false as 1/0). */
const isPlain = (v: Scalar): v is string | number =>
  typeof v === 'string' || (typeof v === 'number' && v !== 0 && v !== 1);

/** better-sqlite3 binds no booleans; JSON true/false come out of json_extract as 1/0. */
const bind = (v: Scalar): Param => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

interface Collection {
  name: string;
  table: string;
  /** Indexed field -> its generated column (quoted). */
  columns: Map<string, string>;
  get: Statement;
  insert: Statement;
  update: Statement;
  remove: Statement;
  /** Insert or replace a whole document, only over an older one. */
  put: Statement;
  /** Delete, only an older document. */
  removeOlder: Statement;
  /** `SELECT id, pos, doc ... IN (...)` by padded chunk size. */
  load: Map<number, Statement>;
  queries: Map<string, Statement>;
}

/** A SQL fragment and its parameters, built together so placeholders and values line up. */
class Sql {
  readonly params: Param[] = [];
  constructor(private readonly c: Collection) {}

  /** The expression for a field: a key column, an indexed generated column or json_extract. */
  expr(field: string): string {
    if (field === '_id') return 'id';
    if (field === '_pos') return 'pos';
    return this.c.columns.get(field) ?? `json_extract(doc, ${jsonPath(field)})`;
  }

  param(v: Scalar): string {
    this.params.push(bind(v));
    return '?';
  }

  /** Never NULL, so it can be negated: true iff the field equals `v` (type included). */
  equals(field: string, v: Scalar): string {
    const e = this.expr(field);
    if (v === null) return `${e} IS NULL`;
    // true/false come out of json_extract as 1/0: the JSON type tells them from numbers.
    if (typeof v === 'boolean') {
      return `(${e} IS ${v ? 1 : 0} AND json_type(doc, ${jsonPath(field)}) IS '${v}')`;
    }
    if (v === 0 || v === 1) {
      return `(${e} IS ${v} AND json_type(doc, ${jsonPath(field)}) IN ('integer', 'real'))`;
    }
    return `${e} IS ${this.param(v)}`;
  }

  condition(field: string, cond: Condition): string {
    if (cond === null || typeof cond !== 'object') return this.equals(field, cond);
    const parts: string[] = [];
    const e = this.expr(field);
    if (cond.eq !== undefined) parts.push(this.equals(field, cond.eq));
    if (cond.ne !== undefined) parts.push(`NOT ${this.equals(field, cond.ne)}`);
    if (cond.in !== undefined) {
      const plain = cond.in.filter(isPlain);
      const options =
        plain.length > 0 ? [`${e} IN (${plain.map((v) => this.param(v)).join(', ')})`] : [];
      for (const v of cond.in) if (!isPlain(v)) options.push(this.equals(field, v));
      parts.push(options.length > 0 ? `(${options.join(' OR ')})` : '0');
    }
    for (const [key, sign] of [
      ['gt', '>'],
      ['gte', '>='],
      ['lt', '<'],
      ['lte', '<='],
    ] as const) {
      const bound = cond[key];
      if (bound === undefined) continue;
      if (bound === null) {
        parts.push('0');
        continue;
      }
      parts.push(`${e} ${sign} ${this.param(bound)}`);
      // SQLite orders all numbers before all text; a range stays within its bound's type.
      parts.push(
        typeof bound === 'string' ? `typeof(${e}) = 'text'` : `typeof(${e}) IN ('integer', 'real')`,
      );
    }
    return parts.length === 0 ? '1' : parts.join(' AND ');
  }

  filter(f: Filter): string {
    const parts: string[] = [];
    for (const [field, cond] of Object.entries(f.where ?? {})) {
      parts.push(this.condition(field, cond));
    }
    for (const sub of f.and ?? []) parts.push(`(${this.filter(sub)})`);
    if (f.or) {
      parts.push(
        f.or.length === 0 ? '0' : `(${f.or.map((s) => `(${this.filter(s)})`).join(' OR ')})`,
      );
    }
    return parts.length === 0 ? '1' : parts.join(' AND ');
  }

  /** Rows strictly after the keyset `after` in the order of `keys` (directions may mix). */
  after(keys: SortKey[], after: Scalar[]): string {
    if (after.length !== keys.length) {
      throw new RangeError(`after needs ${keys.length} values (the sort values, then _id)`);
    }
    const exprs = keys.map((k) => this.expr(k.field));
    if (keys.every((k) => k.direction === 'asc')) {
      return `(${exprs.join(', ')}) > (${after.map((v) => this.param(v)).join(', ')})`;
    }
    // e1 > v1 OR (e1 = v1 AND (e2 < v2 OR (e2 = v2 AND ...))), led by e1 >= v1 for the index.
    // Parameters are pushed as the text is built, left to right.
    const sign = (i: number) => (keys[i]!.direction === 'asc' ? '>' : '<');
    const level = (i: number): string => {
      const strict = `${exprs[i]!} ${sign(i)} ${this.param(after[i]!)}`;
      if (i === keys.length - 1) return strict;
      const equal = `${exprs[i]!} = ${this.param(after[i]!)}`;
      return `${strict} OR (${equal} AND (${level(i + 1)}))`;
    };
    const lead = `${exprs[0]!} ${sign(0)}= ${this.param(after[0]!)}`;
    return `${lead} AND (${level(0)})`;
  }
}

/** WAL pages a commit lets grow before checkpointing itself, beside the checkpointer (~100 MB). */
const BACKSTOP_CHECKPOINT_PAGES = 25_000;

const sortKeys = (sort: SortKey[] | undefined): SortKey[] => [
  ...(sort ?? []),
  { field: '_id', direction: 'asc' },
];

const parseDoc = (json: string): Doc => JSON.parse(json) as Doc;

/** JSON type name of a grouped value -> the key value (json_extract gives booleans as 1/0). */
const groupValue = (value: unknown, type: string | null): Scalar => {
  if (type === 'true') return true;
  if (type === 'false') return false;
  if (type === null || type === 'null') return null;
  if (type === 'object' || type === 'array') return JSON.parse(value as string) as Scalar;
  return value as Scalar;
};

/** By message, not `instanceof`: better-sqlite3 may build its errors in another realm (jest). */
const isMissingTable = (error: unknown) =>
  /^no such table/.test(String((error as { message?: unknown } | null)?.message));

/**
 * The embedded read store: one SQLite file (WAL), a table per collection with the document as
 * JSON, generated columns and indexes for the declared index fields, one transaction per batch.
 */
export class SqliteReadStore implements ReadStore {
  private readonly db: Database.Database;
  private readonly collections = new Map<string, Collection>();
  private readonly statements;
  private readonly applyTx;
  private readonly writeDocsTx;
  private readonly insertDocsTx;
  /** For a file: copies the WAL into the database in the background. */
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(
    readonly file: string,
    {
      /**
       * Checkpoint the WAL from a worker thread (the default): where the projections write. A
       * process that only reads (an API replica, the serving thread beside a projector thread)
       * leaves it to the writer.
       */
      backgroundCheckpoints = true,
    }: { backgroundCheckpoints?: boolean } = {},
  ) {
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Erasure: deleted and rewritten documents (a forgotten lead's PII) leave no bytes behind.
    this.db.pragma('secure_delete = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    if (backgroundCheckpoints && file !== ':memory:' && file !== '') {
      this.checkpointer = startWalCheckpointer(file, {
        onFail: () => {
          if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
        },
      });
      // A backstop only, should the checkpointer fall behind (a bulk write adds up to ~25 MB).
      this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    }
    const db = this.db;
    this.statements = {
      tableExists: db
        .prepare<[string], number>("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        .pluck(),
      checkpoint: db
        .prepare<[string], string>('SELECT position FROM _checkpoints WHERE name = ?')
        .pluck(),
      saveCheckpoint: db.prepare<[string, string]>(
        `INSERT INTO _checkpoints (name, position) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
      ),
      meta: db.prepare<[string], string>('SELECT value FROM _meta WHERE key = ?').pluck(),
      // One statement, so atomic across processes sharing the file: SQLite's own lock.
      acquireLease: db.prepare<[{ name: string; owner: string; now: number; until: number }]>(
        `INSERT INTO _leases (name, owner, expires_at) VALUES (@name, @owner, @until)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE _leases.owner = excluded.owner OR _leases.expires_at <= @now`,
      ),
      releaseLease: db.prepare<[string, string]>(
        'DELETE FROM _leases WHERE name = ? AND owner = ?',
      ),
      lease: db.prepare<[string], { name: string; owner: string; expiresAt: number }>(
        'SELECT name, owner, expires_at AS expiresAt FROM _leases WHERE name = ?',
      ),
      saveMeta: db.prepare<[string, string]>(
        `INSERT INTO _meta (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ),
    };
    this.applyTx = db.transaction(this.applyInTransaction.bind(this));
    this.writeDocsTx = db.transaction(this.writeDocsInTransaction.bind(this));
    this.insertDocsTx = db.transaction((collection: string, docs: Doc[]) => {
      const c = this.collection(collection, true)!;
      for (const doc of docs) c.insert.run(doc._id, doc._pos ?? '', JSON.stringify(doc));
    });
  }

  ensureCollection(spec: CollectionSpec): Promise<void> {
    return attempt(() => {
      checkName(spec.name);
      const table = quoteId(spec.name);
      this.db
        .transaction(() => {
          this.db.exec(createTable(table));
          const columns = this.generatedColumns(spec.name);
          for (const field of new Set(spec.indexes.flatMap((i) => i.fields))) {
            if (field === '_id' || field === '_pos' || columns.has(field)) continue;
            this.db.exec(
              `ALTER TABLE ${table} ADD COLUMN ${quoteId(COLUMN_PREFIX + field)}
             GENERATED ALWAYS AS (json_extract(doc, ${jsonPath(field)})) VIRTUAL`,
            );
          }
          for (const index of spec.indexes) {
            if (index.fields.length === 0) continue;
            const name = `ix:${spec.name}:${index.fields.join(',')}${index.unique ? ':unique' : ''}`;
            const cols = index.fields.map((f) =>
              f === '_id' ? 'id' : f === '_pos' ? 'pos' : quoteId(COLUMN_PREFIX + f),
            );
            // `_id` last lets sorted, keyset-paginated reads walk the index without a sort step.
            if (!index.unique && !index.fields.includes('_id')) cols.push('id');
            this.db.exec(
              `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteId(name)} ON ${table} (${cols.join(', ')})`,
            );
          }
        })
        .immediate();
      this.collections.delete(spec.name);
    });
  }

  dropCollection(name: string): Promise<void> {
    return attempt(() => {
      checkName(name);
      this.collections.delete(name);
      this.db.exec(`DROP TABLE IF EXISTS ${quoteId(name)}`);
    });
  }

  get(collection: string, id: string): Promise<Doc | undefined> {
    return this.read(collection, undefined, (c) => {
      const json = c.get.get(id) as string | undefined;
      return json === undefined ? undefined : parseDoc(json);
    });
  }

  getMany(collection: string, ids: readonly string[]): Promise<Array<Doc | undefined>> {
    return this.read(
      collection,
      ids.map(() => undefined),
      (c) => {
        const found = this.load(c, ids);
        return ids.map((id) => {
          const row = found.get(id);
          return row ? parseDoc(row[2]) : undefined;
        });
      },
    );
  }

  find(collection: string, options: FindOptions = {}): Promise<Doc[]> {
    return this.read(collection, [], (c) => {
      const sql = new Sql(c);
      const keys = sortKeys(options.sort);
      const where: string[] = [];
      if (options.filter) where.push(sql.filter(options.filter));
      if (options.after) where.push(sql.after(keys, options.after));
      const order = keys.map((k) => `${sql.expr(k.field)} ${k.direction.toUpperCase()}`);
      const text = `SELECT doc FROM ${c.table}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order.join(', ')} LIMIT ?`;
      sql.params.push(options.limit ?? -1);
      const rows = this.query(c, text, true).all(...sql.params) as string[];
      return rows.map(parseDoc);
    });
  }

  count(collection: string, filter?: Filter): Promise<number> {
    return this.read(collection, 0, (c) => {
      const sql = new Sql(c);
      const where = filter ? ` WHERE ${sql.filter(filter)}` : '';
      return this.query(c, `SELECT COUNT(*) FROM ${c.table}${where}`, true).get(
        ...sql.params,
      ) as number;
    });
  }

  sum(collection: string, options: SumOptions): Promise<SumRow[]> {
    return this.read(collection, [], (c) => {
      const sql = new Sql(c);
      const keys = options.groupBy.flatMap((g, i) => [
        `${sql.expr(g)} AS k${i}`,
        `json_type(doc, ${jsonPath(g)}) AS t${i}`,
      ]);
      // Only JSON numbers count (SQLite would read booleans as 1/0 and text as 0).
      const sums = options.fields.map((f) => {
        const path = jsonPath(f);
        return `TOTAL(CASE WHEN json_type(doc, ${path}) IN ('integer', 'real') THEN json_extract(doc, ${path}) END)`;
      });
      const where = options.filter ? ` WHERE ${sql.filter(options.filter)}` : '';
      const group = options.groupBy.flatMap((_, i) => [`k${i}`, `t${i}`]).join(', ');
      const text = `SELECT ${[...keys, 'COUNT(*)', ...sums].join(', ')} FROM ${c.table}${where}${
        group ? ` GROUP BY ${group} ORDER BY ${group}` : ''
      }`;
      const rows = this.query(c, text, false)
        .raw(true)
        .all(...sql.params) as unknown[][];
      const width = 2 * options.groupBy.length;
      return rows
        .filter((row) => width > 0 || (row[0] as number) > 0)
        .map((row) => {
          const key: Record<string, Scalar> = {};
          options.groupBy.forEach((g, i) => {
            key[g] = groupValue(row[2 * i], row[2 * i + 1] as string | null);
          });
          const sumsOut: Record<string, number> = {};
          options.fields.forEach((f, i) => {
            sumsOut[f] = row[width + 1 + i] as number;
          });
          return { key, count: row[width] as number, sums: sumsOut };
        });
    });
  }

  applyBatch(changes: PositionedChange[], checkpoints: Checkpoint[]): Promise<void> {
    return this.write(() => this.applyTx.immediate(changes, checkpoints));
  }

  writeDocuments(writes: DocWrite[], checkpoints: Checkpoint[]): Promise<void> {
    return this.write(() => this.writeDocsTx.immediate(writes, checkpoints));
  }

  insertDocuments(collection: string, docs: Doc[]): Promise<void> {
    return this.write(() => this.insertDocsTx.immediate(collection, docs));
  }

  /** Runs a write transaction; tables it created are forgotten again if it rolls back. */
  private write(transaction: () => void): Promise<void> {
    return attempt(() => {
      const known = new Set(this.collections.keys());
      try {
        transaction();
      } catch (error) {
        for (const name of this.collections.keys()) {
          if (!known.has(name)) this.collections.delete(name);
        }
        throw error;
      }
    });
  }

  private writeDocsInTransaction(writes: DocWrite[], checkpoints: Checkpoint[]): void {
    let c: Collection | undefined;
    for (const { collection, id, position, doc } of writes) {
      // Writes come grouped by collection: look it up when it changes.
      if (c?.name !== collection) c = this.collection(collection, true)!;
      if (doc) c.put.run(id, position, JSON.stringify(doc));
      else c.removeOlder.run(id, position);
    }
    this.saveCheckpoints(checkpoints);
  }

  private applyInTransaction(changes: PositionedChange[], checkpoints: Checkpoint[]): void {
    const byCollection = new Map<string, PositionedChange[]>();
    for (const change of changes) {
      const list = byCollection.get(change.collection);
      if (list) list.push(change);
      else byCollection.set(change.collection, [change]);
    }
    for (const [name, list] of byCollection) {
      const c = this.collection(name, true)!;
      const ids = new Set<string>();
      for (const change of list) ids.add(change.id);
      const rows = this.load(c, [...ids]);
      for (const u of coalesce(list, (_, id) => rows.get(id)?.[1])) {
        const row = rows.get(u.id);
        if (u.deleted) {
          if (row) c.remove.run(u.id);
          continue;
        }
        const current = row && !u.reset ? parseDoc(row[2]) : undefined;
        const json = JSON.stringify(applyUpdate(current, u, true));
        if (row) c.update.run(u.position, json, u.id);
        else c.insert.run(u.id, u.position, json);
      }
    }
    this.saveCheckpoints(checkpoints);
  }

  private saveCheckpoints(checkpoints: Checkpoint[]): void {
    for (const { name, position } of checkpoints) {
      this.statements.saveCheckpoint.run(name, position);
    }
  }

  getCheckpoint(name: string): Promise<string | null> {
    return attempt(() => this.statements.checkpoint.get(name) ?? null);
  }

  readMeta(key: string): Promise<Value | undefined> {
    return attempt(() => {
      const json = this.statements.meta.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as Value);
    });
  }

  writeMeta(key: string, value: Value): Promise<void> {
    return attempt(() => {
      this.statements.saveMeta.run(key, JSON.stringify(value));
    });
  }

  acquireLease(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    return attempt(
      () =>
        this.statements.acquireLease.run({ name, owner, now, until: now + ttlMs }).changes === 1,
    );
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return attempt(() => {
      this.statements.releaseLease.run(name, owner);
    });
  }

  /** Every batch is one transaction: nothing is ever left half-written. */
  recover(): Promise<number> {
    return Promise.resolve(0);
  }

  readLease(name: string): Promise<Lease | undefined> {
    return attempt(() => this.statements.lease.get(name));
  }

  async close(): Promise<void> {
    // First: the last connection to close checkpoints what is left and removes the WAL.
    await this.checkpointer?.stop();
    this.collections.clear();
    if (this.db.open) this.db.close();
  }

  /** Runs a read; a collection that does not exist (or was just dropped) reads as empty. */
  private read<T>(name: string, empty: T, run: (c: Collection) => T): Promise<T> {
    return attempt(() => {
      const c = this.collection(name, false);
      if (!c) return empty;
      try {
        return run(c);
      } catch (error) {
        if (!isMissingTable(error)) throw error;
        this.collections.delete(name);
        return empty;
      }
    });
  }

  /** The collection's statements and columns; creates its table when asked to. */
  private collection(name: string, create: boolean): Collection | undefined {
    const cached = this.collections.get(name);
    if (cached) return cached;
    checkName(name);
    if (this.statements.tableExists.get(name) === undefined) {
      if (!create) return undefined;
      this.db.exec(createTable(quoteId(name)));
    }
    const table = quoteId(name);
    const db = this.db;
    const c: Collection = {
      name,
      table,
      columns: this.generatedColumns(name),
      get: db.prepare(`SELECT doc FROM ${table} WHERE id = ?`).pluck(),
      insert: db.prepare(`INSERT INTO ${table} (id, pos, doc) VALUES (?, ?, ?)`),
      update: db.prepare(`UPDATE ${table} SET pos = ?, doc = ? WHERE id = ?`),
      remove: db.prepare(`DELETE FROM ${table} WHERE id = ?`),
      put: db.prepare(
        `INSERT INTO ${table} (id, pos, doc) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET pos = excluded.pos, doc = excluded.doc
         WHERE excluded.pos > ${table}.pos`,
      ),
      removeOlder: db.prepare(`DELETE FROM ${table} WHERE id = ? AND pos < ?`),
      load: new Map(),
      queries: new Map(),
    };
    this.collections.set(name, c);
    return c;
  }

  private generatedColumns(name: string): Map<string, string> {
    const info = this.db.pragma(`table_xinfo(${quoteId(name)})`) as Array<{
      name: string;
      hidden: number;
    }>;
    const columns = new Map<string, string>();
    for (const { name: column, hidden } of info) {
      // hidden 2/3: virtual/stored generated column.
      if (hidden >= 2 && column.startsWith(COLUMN_PREFIX)) {
        columns.set(column.slice(COLUMN_PREFIX.length), quoteId(column));
      }
    }
    return columns;
  }

  /** `[id, pos, doc]` rows of the given ids, by id, in chunked `IN` queries. */
  private load(c: Collection, ids: readonly string[]): Map<string, [string, string, string]> {
    const found = new Map<string, [string, string, string]>();
    for (let start = 0; start < ids.length; start += CHUNK) {
      const chunk = ids.slice(start, start + CHUNK);
      let size = 1;
      while (size < chunk.length) size *= 2;
      let statement = c.load.get(size);
      if (!statement) {
        statement = this.db
          .prepare(
            `SELECT id, pos, doc FROM ${c.table} WHERE id IN (${Array(size).fill('?').join(',')})`,
          )
          .raw(true);
        c.load.set(size, statement);
      }
      // Padding repeats the last id: duplicates in IN match nothing more.
      while (chunk.length < size) chunk.push(chunk[chunk.length - 1]!);
      for (const row of statement.all(...chunk) as Array<[string, string, string]>) {
        found.set(row[0], row);
      }
    }
    return found;
  }

  private query(c: Collection, text: string, pluck: boolean): Statement {
    let statement = c.queries.get(text);
    if (!statement) {
      if (c.queries.size >= QUERY_CACHE) c.queries.clear();
      statement = this.db.prepare(text);
      if (pluck) statement.pluck();
      c.queries.set(text, statement);
    }
    return statement;
  }
}

/** Runs synchronous SQLite work as a promise, turning a throw into a rejection. */
const attempt = <T>(run: () => T): Promise<T> =>
  new Promise<T>((resolvePromise) => resolvePromise(run()));
