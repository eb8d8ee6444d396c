import { randomUUID } from 'node:crypto';
import {
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
} from 'mongodb';
import { rootLogger } from '../observability/logger';
import { applyUpdate, coalesce, type DocUpdate } from './coalesce';
import { watchMonitor } from './mongo-watchdog';
import type {
  Checkpoint,
  CollectionSpec,
  Condition,
  Doc,
  DocWrite,
  Filter,
  FindOptions,
  Lease,
  PositionedChange,
  ReadStore,
  Scalar,
  SortKey,
  SumOptions,
  SumRow,
  Value,
} from './port';

const CHECKPOINTS = '_checkpoints';
const META = '_meta';
const LEASES = '_leases';
/** Batches decided but maybe not fully written: replayed before anything else is read. */
const REDO = '_redo';
/** Characters of a batch's JSON per redo document (well under the 16 MB document limit). */
const REDO_PART = 4_000_000;
/** A redo log cut short younger than this may be a live writer's, still being written. */
const REDO_LOGGING_GRACE_MS = 60_000;

interface RedoPart {
  _id: string;
  batch: string;
  seq: number;
  parts: number;
  json: string;
}

/**
 * Statements per write command. FerretDB 1.x keeps a pooled SQLite connection (100 per
 * database) for every statement of an `update` command until the command ends: 100 statements
 * in flight at once hang it for good. Hence small commands, and one at a time per store.
 */
const WRITE_CHUNK = 50;
/** Ids per `$in` read. */
const READ_CHUNK = 1000;

const DUPLICATE_KEY = 11000;
const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48;

export interface MongoReadStoreOptions {
  /** Statements per bulk write command (default 50; FerretDB 1.x hangs at 100). */
  writeChunk?: number;
}

/** One document's update of a batch and the write that applies it. */
export interface Write {
  update: DocUpdate;
  op: AnyBulkWriteOperation<Doc>;
}

const groupBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};

const checkName = (name: string) => {
  if (
    name === '' ||
    name === CHECKPOINTS ||
    name === META ||
    name === REDO ||
    name.startsWith('system.') ||
    name.includes('$') ||
    name.includes('\u0000')
  ) {
    throw new RangeError(`not a usable collection name: '${name}'`);
  }
};

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    out.push(items.slice(start, start + size));
  }
  return out;
};

const isCode = (error: unknown, code: number) =>
  error instanceof MongoServerError && error.code === code;

const condition = (field: string, cond: Condition): Document => {
  if (cond === null || typeof cond !== 'object') return { [field]: cond };
  const ops: Document = {};
  for (const key of ['eq', 'ne', 'in', 'gt', 'gte', 'lt', 'lte'] as const) {
    if (cond[key] !== undefined) ops[`$${key}`] = cond[key];
  }
  return Object.keys(ops).length === 0 ? {} : { [field]: ops };
};

const MATCH_NOTHING: Document = { _id: { $in: [] } };

const and = (parts: Document[]): Document => {
  const kept = parts.filter((p) => Object.keys(p).length > 0);
  return kept.length === 0 ? {} : kept.length === 1 ? kept[0]! : { $and: kept };
};

/** Filter -> MongoDB query: `null` matches missing too, ranges stay within their bound's type. */
const toQuery = (filter: Filter | undefined): Document => {
  if (!filter) return {};
  const parts = Object.entries(filter.where ?? {}).map(([f, c]) => condition(f, c));
  for (const sub of filter.and ?? []) parts.push(toQuery(sub));
  if (filter.or)
    parts.push(filter.or.length === 0 ? MATCH_NOTHING : { $or: filter.or.map(toQuery) });
  return and(parts);
};

const sortKeys = (sort: SortKey[] | undefined): SortKey[] => [
  ...(sort ?? []),
  { field: '_id', direction: 'asc' },
];

/** Documents strictly after `after` in the order of `keys`: one branch per differing key. */
const keyset = (keys: SortKey[], after: Scalar[]): Document => {
  if (after.length !== keys.length) {
    throw new RangeError(`after needs ${keys.length} values (the sort values, then _id)`);
  }
  return {
    $or: keys.map((key, i) =>
      and([
        ...keys.slice(0, i).map((k, j) => ({ [k.field]: after[j] })),
        { [key.field]: { [key.direction === 'asc' ? '$gt' : '$lt']: after[i] } },
      ]),
    ),
  };
};

/** Paths to project so that each of `fields` can be read; a path under another is left out. */
const projection = (fields: Iterable<string>): Document => {
  const all = new Set(fields);
  const out: Document = { _pos: 1 };
  for (const field of all) {
    let covered = false;
    for (let dot = field.indexOf('.'); dot > 0 && !covered; dot = field.indexOf('.', dot + 1)) {
      covered = all.has(field.slice(0, dot));
    }
    if (!covered) out[field] = 1;
  }
  return out;
};

const getPath = (doc: Document | undefined, path: string): unknown => {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Document)[part];
  }
  return node;
};

/** The fields whose current values decide how an op is written (see `toWrite`). */
const readFields = (change: PositionedChange): string[] => {
  const { op } = change;
  if (op.kind === 'push') return [op.field];
  if (op.kind === 'inc' || op.kind === 'max' || op.kind === 'min') return Object.keys(op.fields);
  return [];
};

/** Applies only where the document's `_pos` is older than the update's first change. */
const guard = (u: DocUpdate): Document => ({
  _id: u.id,
  $or: [{ _pos: { $lt: u.firstPosition } }, { _pos: { $exists: false } }],
});

const withoutId = (doc: Doc): Document => {
  const { _id: _, ...rest } = doc;
  return rest;
};

const nonEmpty = (ops: Record<string, Document>): Document =>
  Object.fromEntries(Object.entries(ops).filter(([, v]) => Object.keys(v).length > 0));

/**
 * One guarded write for one document's merged update. Update operators where MongoDB and
 * FerretDB give exactly `applyUpdate`'s result; otherwise the field's new value is computed
 * here from its current value (read with `_pos`) and set:
 * - push: FerretDB 1.x ignores `$slice`;
 * - inc on a present non-number (MongoDB refuses it; `applyUpdate` counts from 0);
 * - max/min where the current value is null or of another type than the bound (BSON type
 *   order, and `$min` keeps a null).
 */
const toWrite = (u: DocUpdate, current: Document | undefined): Write => {
  if (u.deleted) return { update: u, op: { deleteOne: { filter: guard(u) } } };
  if (u.reset) {
    const replacement = withoutId(applyUpdate(undefined, u)!);
    return { update: u, op: { replaceOne: { filter: guard(u), replacement, upsert: true } } };
  }
  const $set: Document = { ...u.set };
  const $inc: Document = {};
  const $max: Document = {};
  const $min: Document = {};
  const computed: DocUpdate = { ...u, set: {}, setOnInsert: {}, inc: {}, max: {}, min: {} };
  for (const [field, by] of Object.entries(u.inc)) {
    const old = getPath(current, field);
    if (old === undefined || typeof old === 'number') $inc[field] = by;
    else computed.inc[field] = by;
  }
  for (const kind of ['max', 'min'] as const) {
    for (const [field, bound] of Object.entries(u[kind])) {
      const old = getPath(current, field);
      if (old === undefined || typeof old === typeof bound)
        (kind === 'max' ? $max : $min)[field] = bound;
      else computed[kind][field] = bound;
    }
  }
  const fields = [
    ...Object.keys(computed.inc),
    ...Object.keys(computed.max),
    ...Object.keys(computed.min),
    ...Object.keys(computed.push),
  ];
  if (fields.length > 0) {
    const after = applyUpdate({ ...(current as Doc | undefined), _id: u.id }, computed);
    for (const field of fields) $set[field] = getPath(after, field);
  }
  $set._pos = u.position;
  const update = nonEmpty({ $set, $setOnInsert: u.setOnInsert, $inc, $max, $min });
  return { update: u, op: { updateOne: { filter: guard(u), update, upsert: true } } };
};

const asArray = <T>(items: T | readonly T[]): T[] =>
  Array.isArray(items) ? [...(items as readonly T[])] : [items as T];

/**
 * The production read store: a MongoDB collection per collection, documents as they are, and
 * position-guarded unordered bulk writes instead of transactions. Stays within what FerretDB
 * 1.x also does (no transactions; `$match`/`$group` with `$sum`/`$sort` only), so the contract
 * suite runs on FerretDB wherever MongoDB cannot.
 */
export class MongoReadStore implements ReadStore {
  private readonly db: Db;
  private readonly writeChunk: number;
  /** The write command in flight (see WRITE_CHUNK). */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: MongoClient,
    dbName: string,
    options: MongoReadStoreOptions = {},
  ) {
    this.db = client.db(dbName);
    this.writeChunk = options.writeChunk ?? WRITE_CHUNK;
  }

  private collection(name: string): Collection<Doc> {
    return this.db.collection<Doc>(name);
  }

  async ensureCollection(spec: CollectionSpec): Promise<void> {
    checkName(spec.name);
    const existing = await this.db
      .listCollections({ name: spec.name }, { nameOnly: true })
      .toArray();
    if (existing.length === 0) {
      try {
        await this.db.createCollection(spec.name);
      } catch (error) {
        if (!isCode(error, NAMESPACE_EXISTS)) throw error;
      }
    }
    const present = new Set(
      (await this.collection(spec.name).listIndexes().toArray()).map((i: Document) =>
        String(i.name),
      ),
    );
    // Only the missing ones: FerretDB 1.x drops the connection when asked for several existing.
    const missing = spec.indexes
      .filter((index) => index.fields.length > 0)
      .map((index) => ({
        key: Object.fromEntries(index.fields.map((f) => [f, 1] as const)),
        name: `${index.fields.join('_1_')}_1${index.unique ? '_unique' : ''}`,
        ...(index.unique ? { unique: true } : {}),
      }))
      .filter((index) => !present.has(index.name));
    if (missing.length > 0) await this.collection(spec.name).createIndexes(missing);
  }

  async dropCollection(name: string): Promise<void> {
    checkName(name);
    try {
      // After the write commands issued before it: they would bring the collection back.
      await this.exclusive(() => this.collection(name).drop());
    } catch (error) {
      if (!isCode(error, NAMESPACE_NOT_FOUND)) throw error;
    }
  }

  async get(collection: string, id: string): Promise<Doc | undefined> {
    const doc = await this.collection(collection).findOne({ _id: id });
    return doc ?? undefined;
  }

  async getMany(collection: string, ids: readonly string[]): Promise<Array<Doc | undefined>> {
    if (ids.length === 0) return [];
    const found = await this.load(collection, [...new Set(ids)]);
    return ids.map((id) => found.get(id));
  }

  async find(collection: string, options: FindOptions = {}): Promise<Doc[]> {
    if (options.limit === 0) return [];
    const keys = sortKeys(options.sort);
    const query = and([toQuery(options.filter), options.after ? keyset(keys, options.after) : {}]);
    // `_id` ends the order: keys after an explicit `_id` could never decide anything.
    const sort: Array<[string, 1 | -1]> = [];
    for (const { field, direction } of keys) {
      sort.push([field, direction === 'asc' ? 1 : -1]);
      if (field === '_id') break;
    }
    let cursor = this.collection(collection).find(query).sort(sort);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    return await cursor.toArray();
  }

  async count(collection: string, filter?: Filter): Promise<number> {
    return this.collection(collection).countDocuments(toQuery(filter));
  }

  /**
   * One `$match`/`$group`/`$sort` per accumulator, merged here: FerretDB 1.x computes only the
   * first accumulator of a `$group` (FerretDB#4616). Missing and null group together as null.
   */
  async sum(collection: string, options: SumOptions): Promise<SumRow[]> {
    const { groupBy, fields } = options;
    const _id = Object.fromEntries(groupBy.map((f, i) => [`k${i}`, `$${f}`]));
    const sort = Object.fromEntries(groupBy.map((_, i) => [`_id.k${i}`, 1] as const));
    const match = toQuery(options.filter);
    const run = (accumulator: Document) =>
      this.db
        .collection(collection)
        .aggregate([
          { $match: match },
          { $group: { _id, v: accumulator } },
          ...(groupBy.length > 0 ? [{ $sort: sort }] : []),
        ])
        .toArray();
    const [counts, ...sums] = await Promise.all([
      run({ $sum: 1 }),
      ...fields.map((f) => run({ $sum: `$${f}` })),
    ]);
    const keyOf = (row: Document) =>
      groupBy.map(
        (_, i) => ((row._id as Document | null)?.[`k${i}`] as Scalar | undefined) ?? null,
      );
    const rows = new Map<string, SumRow>();
    for (const row of counts) {
      const values = keyOf(row);
      const id = JSON.stringify(values);
      const existing = rows.get(id);
      if (existing) existing.count += row.v as number;
      else {
        rows.set(id, {
          key: Object.fromEntries(groupBy.map((f, i) => [f, values[i]!])),
          count: row.v as number,
          sums: Object.fromEntries(fields.map((f) => [f, 0])),
        });
      }
    }
    sums.forEach((result, i) => {
      for (const row of result) {
        const target = rows.get(JSON.stringify(keyOf(row)));
        if (target) target.sums[fields[i]!]! += row.v as number;
      }
    });
    return [...rows.values()];
  }

  /**
   * No transaction: reads the `_pos` of every touched document, merges what each has not seen
   * yet, writes each document once behind a `_pos` guard, and stores the checkpoints only after
   * every write succeeded. A crash anywhere leaves the old checkpoint, and the replay skips
   * what each document already carries.
   */
  async applyBatch(changes: PositionedChange[], checkpoints: Checkpoint[]): Promise<void> {
    const byCollection = new Map<string, PositionedChange[]>();
    for (const change of changes) {
      const list = byCollection.get(change.collection);
      if (list) list.push(change);
      else byCollection.set(change.collection, [change]);
    }
    const current = new Map<string, Map<string, Document>>();
    await Promise.all(
      [...byCollection].map(async ([name, list]) => {
        checkName(name);
        const ids = [...new Set(list.map((c) => c.id))];
        current.set(name, await this.load(name, ids, projection(list.flatMap(readFields))));
      }),
    );
    const updates = coalesce(
      changes,
      (collection, id) => current.get(collection)?.get(id)?._pos as string | undefined,
    );
    await this.writeLogged(updates, checkpoints, current);
  }

  /** Each document replaced whole (or deleted) behind a guard on its position, as one batch. */
  async writeDocuments(writes: DocWrite[], checkpoints: Checkpoint[]): Promise<void> {
    for (const { collection } of writes) checkName(collection);
    const updates = writes.map(({ collection, id, position, doc }): DocUpdate => {
      const set: Record<string, Value> = {};
      // Top-level keys of a document never hold a dot: `set` puts each back as it is.
      if (doc) for (const key in doc) if (key !== '_id' && key !== '_pos') set[key] = doc[key]!;
      return {
        collection,
        id,
        // The guard then refuses only a stored document as new as this one, or newer.
        firstPosition: position,
        position,
        reset: true,
        deleted: doc === undefined,
        set,
        setOnInsert: {},
        inc: {},
        max: {},
        min: {},
        push: {},
      };
    });
    await this.writeLogged(updates, checkpoints, new Map());
  }

  /**
   * Without transactions a batch is written document by document. The decided updates are
   * logged first, so a crash midway is finished by `recover` before anything reads a
   * half-written batch (a projection reading its own documents would otherwise see them).
   */
  private async writeLogged(
    updates: DocUpdate[],
    checkpoints: Checkpoint[],
    current: Map<string, Map<string, Document>>,
  ): Promise<void> {
    const batch = `${Date.now().toString(36).padStart(10, '0')}-${randomUUID()}`;
    await this.logRedo(batch, updates, checkpoints);
    await this.writeUpdates(updates, current);
    await this.writeCheckpoints(checkpoints);
    await this.exclusive(() => this.db.collection<RedoPart>(REDO).deleteMany({ batch }));
  }

  private async writeUpdates(
    updates: DocUpdate[],
    current: Map<string, Map<string, Document>>,
  ): Promise<void> {
    const writes = new Map<string, Write[]>();
    for (const u of updates) {
      const write = toWrite(u, current.get(u.collection)?.get(u.id));
      const list = writes.get(u.collection);
      if (list) list.push(write);
      else writes.set(u.collection, [write]);
    }
    // Settled, not all: a failed batch returns only once none of its writes is still in flight.
    const results = await Promise.allSettled(
      [...writes].map(([name, list]) => this.write(name, list)),
    );
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  private async writeCheckpoints(checkpoints: Checkpoint[]): Promise<void> {
    if (checkpoints.length === 0) return;
    const ops = checkpoints.map(({ name, position }) => ({
      replaceOne: { filter: { _id: name }, replacement: { position }, upsert: true },
    }));
    for (const chunk of chunks(ops, this.writeChunk)) {
      await this.exclusive(() => this.collection(CHECKPOINTS).bulkWrite(chunk));
    }
  }

  private async logRedo(batch: string, updates: DocUpdate[], checkpoints: Checkpoint[]) {
    const json = JSON.stringify({ updates, checkpoints });
    const parts = Math.max(1, Math.ceil(json.length / REDO_PART));
    const docs = Array.from({ length: parts }, (_, seq) => ({
      _id: `${batch}:${String(seq).padStart(6, '0')}`,
      batch,
      seq,
      parts,
      json: json.slice(seq * REDO_PART, (seq + 1) * REDO_PART),
    }));
    for (const doc of docs) {
      await this.exclusive(() => this.db.collection<RedoPart>(REDO).insertOne(doc));
    }
  }

  /**
   * Finishes batches a crashed writer logged but may not have written fully: every update is
   * guarded by the document's position, so what was written already is left as it is, and a
   * live writer's batch finished here too is harmless (the same writes, refused the second
   * time). A log cut short means the crash came before any document was written: dropped,
   * unless it is recent enough to be a live writer's still being logged.
   */
  async recover(): Promise<number> {
    const docs = await this.db.collection<RedoPart>(REDO).find({}).sort({ _id: 1 }).toArray();
    const batches = groupBy(docs, (doc) => doc.batch);
    let finished = 0;
    for (const [batch, parts] of batches) {
      if (parts.length !== parts[0]!.parts) {
        const loggedAt = parseInt(batch.slice(0, 10), 36);
        if (Date.now() - loggedAt < REDO_LOGGING_GRACE_MS) continue;
      } else {
        const { updates, checkpoints } = JSON.parse(parts.map((p) => p.json).join('')) as {
          updates: DocUpdate[];
          checkpoints: Checkpoint[];
        };
        const current = new Map<string, Map<string, Document>>();
        for (const [name, list] of groupBy(updates, (u) => u.collection)) {
          const fields = list.flatMap((u) => [
            ...Object.keys(u.inc),
            ...Object.keys(u.max),
            ...Object.keys(u.min),
            ...Object.keys(u.push),
          ]);
          const ids = list.map((u) => u.id);
          current.set(name, await this.load(name, ids, projection(fields)));
        }
        await this.writeUpdates(updates, current);
        await this.writeCheckpoints(checkpoints);
        finished += 1;
      }
      await this.exclusive(() => this.db.collection<RedoPart>(REDO).deleteMany({ batch }));
    }
    return finished;
  }

  async insertDocuments(collection: string, docs: Doc[]): Promise<void> {
    checkName(collection);
    if (docs.length === 0) return;
    // Unordered: one round trip for all; an id already there fails the call (nothing guards).
    await this.exclusive(() => this.collection(collection).insertMany(docs, { ordered: false }));
  }

  async getCheckpoint(name: string): Promise<string | null> {
    const doc = await this.collection(CHECKPOINTS).findOne({ _id: name });
    return (doc?.position as string | undefined) ?? null;
  }

  async readMeta(key: string): Promise<Value | undefined> {
    const doc = await this.collection(META).findOne({ _id: key });
    return doc ? doc.value : undefined;
  }

  async writeMeta(key: string, value: Value): Promise<void> {
    await this.exclusive(() =>
      this.collection(META).replaceOne({ _id: key }, { value }, { upsert: true }),
    );
  }

  /**
   * One conditional upsert: it matches only a lease that is ours or expired; when another owner
   * holds it, the upsert's insert hits the `_id` and fails with a duplicate key: not acquired.
   * Not queued behind `exclusive`: a renewal must not wait for a long bulk write.
   */
  async acquireLease(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    try {
      await this.db
        .collection<Document & { _id: string }>(LEASES)
        .updateOne(
          { _id: name, $or: [{ owner }, { expiresAt: { $lte: now } }] },
          { $set: { owner, expiresAt: now + ttlMs } },
          { upsert: true },
        );
      return true;
    } catch (error) {
      if (isCode(error, DUPLICATE_KEY)) return false;
      throw error;
    }
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.db.collection<Document & { _id: string }>(LEASES).deleteOne({ _id: name, owner });
  }

  async readLease(name: string): Promise<Lease | undefined> {
    const doc = await this.db.collection<Document & { _id: string }>(LEASES).findOne({ _id: name });
    return doc ? { name, owner: String(doc.owner), expiresAt: Number(doc.expiresAt) } : undefined;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /**
   * Writes one collection's updates in unordered chunks. A duplicate key on a guarded upsert
   * means the document already carries this position or a newer one: applied. FerretDB stops a
   * command at its first error whatever `ordered` says, so what follows it is sent again
   * (harmless: the guard refuses what was applied). Protected: a test stops it midway.
   */
  protected async write(collection: string, writes: Write[]): Promise<void> {
    const target = this.collection(collection);
    for (const chunk of chunks(writes, this.writeChunk)) {
      let pending = chunk;
      while (pending.length > 0) {
        try {
          const ops = pending.map((w) => w.op);
          await this.exclusive(() => target.bulkWrite(ops, { ordered: false }));
          break;
        } catch (error) {
          if (!(error instanceof MongoBulkWriteError)) throw error;
          const failed = asArray(error.writeErrors).sort((a, b) => a.index - b.index);
          if (failed.length === 0) throw error;
          const refused = failed.map((e) => {
            if (e.code !== DUPLICATE_KEY) throw error;
            return pending[e.index]!.update;
          });
          await this.checkAlreadyApplied(collection, refused, error);
          const skip = new Set(failed.map((e) => e.index));
          const first = failed[0]!.index;
          pending = pending.filter((_, i) => i > first && !skip.has(i));
        }
      }
    }
  }

  /** Runs one write command once the one in flight (from any batch) has finished. */
  private exclusive<T>(command: () => Promise<T>): Promise<T> {
    const result = this.writing.then(command);
    this.writing = result.catch(() => undefined);
    return result;
  }

  /** A duplicate key that is not the guard refusing (a unique index of the projection) fails. */
  private async checkAlreadyApplied(collection: string, refused: DocUpdate[], cause: Error) {
    const found = await this.load(
      collection,
      refused.map((u) => u.id),
      { _pos: 1 },
    );
    for (const u of refused) {
      const pos = found.get(u.id)?._pos;
      if (pos === undefined || pos < u.firstPosition) throw cause;
    }
  }

  /** Documents (or the projected part) of the given ids, by id, in chunked `$in` reads. */
  private async load(
    collection: string,
    ids: readonly string[],
    fields?: Document,
  ): Promise<Map<string, Doc>> {
    const found = new Map<string, Doc>();
    const target = this.collection(collection);
    for (const chunk of chunks(ids, READ_CHUNK)) {
      const docs = await target
        .find({ _id: { $in: chunk } }, fields ? { projection: fields } : {})
        .toArray();
      for (const doc of docs) found.set(doc._id, doc);
    }
    return found;
  }
}

const CONNECT_TIMEOUT_MS = 5000;
/** The driver's default; an awaited heartbeat (MongoDB's streaming monitor) may last this long. */
const HEARTBEAT_FREQUENCY_MS = 10_000;

/**
 * A connected client as Lead Ledger's stores use it: documents stored as JSON would be
 * (`ignoreUndefined`), and failing fast while the server is away (the driver waits 30 s by
 * default), so requests answer INTERNAL within the request timeout and /readyz 503, while the
 * pool reconnects on its own; restarted should the driver's monitor hang (`watchMonitor`).
 */
export const connectMongo = async (uri: string): Promise<MongoClient> => {
  const client = new MongoClient(uri, {
    ignoreUndefined: true,
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    heartbeatFrequencyMS: HEARTBEAT_FREQUENCY_MS,
  });
  await client.connect();
  watchMonitor(client, {
    // Twice the longest a heartbeat lasts before the driver times it out itself.
    stuckAfterMs: 2 * (CONNECT_TIMEOUT_MS + HEARTBEAT_FREQUENCY_MS),
    onRestart: (stuckMs) =>
      rootLogger().warn(
        { stuckMs },
        'MongoDB: the driver’s server monitor hung on a heartbeat; client reconnected',
      ),
    onError: (error) =>
      rootLogger().warn({ err: error }, 'MongoDB: reconnecting failed; trying again'),
  });
  return client;
};

/** Connects and returns the store. */
export const createMongoReadStore = async (
  uri: string,
  dbName: string,
  options: MongoReadStoreOptions = {},
): Promise<ReadStore> => {
  const client = await connectMongo(uri);
  const store = new MongoReadStore(client, dbName, options);
  await store.recover();
  return store;
};
