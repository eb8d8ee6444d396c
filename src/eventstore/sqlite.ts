import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GroupCommit } from '../sqlite/group-commit';
import { canonicalEnvelope, canonicalJson, chainHash, GENESIS_HASH, verifyChain } from './hash';
import {
  ConcurrencyError,
  IdempotencyKeyReusedError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type SubscribeOptions,
  type Subscription,
  type Verification,
} from './port';

export interface SqliteEventStoreOptions {
  /** How often live subscriptions look for other processes' writes, in ms. */
  pollIntervalMs?: number;
  /**
   * WAL pages after which a commit checkpoints the file itself (SQLite's default: 1000). Higher
   * where a background checkpointer does the work (app/wal-checkpointer.ts): then it is a bound.
   */
  autocheckpointPages?: number;
  /**
   * Group commit (the server): appends asked for in the same turn of the event loop are written
   * by one transaction after that turn's I/O. Off: each append is written in the call itself.
   */
  groupCommit?: boolean;
}

/** Rows are read as arrays (better-sqlite3's fastest mode), columns in this order. */
const COLUMNS =
  'position, id, stream_id, revision, type, schema_version, occurred_at, recorded_at, data, metadata, prev_hash, hash';
type EventRow = [
  position: number,
  id: string,
  streamId: string,
  revision: number,
  type: string,
  schemaVersion: number,
  occurredAt: string,
  recordedAt: string,
  data: string,
  metadata: string,
  prevHash: string,
  hash: string,
];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position       INTEGER PRIMARY KEY AUTOINCREMENT,
  id             TEXT    NOT NULL UNIQUE,
  stream_id      TEXT    NOT NULL,
  revision       INTEGER NOT NULL,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  occurred_at    TEXT    NOT NULL,
  recorded_at    TEXT    NOT NULL,
  data           TEXT    NOT NULL,
  metadata       TEXT    NOT NULL,
  prev_hash      TEXT    NOT NULL,
  hash           TEXT    NOT NULL,
  UNIQUE (stream_id, revision)
);
CREATE TABLE IF NOT EXISTS idempotency (
  key       TEXT    PRIMARY KEY,
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  position  INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Positions a subscription to some event types scans per read (then it yields the loop). */
const TYPED_SCAN_WINDOW = 50_000;

const POSITION_WIDTH = 16;
export const encodePosition = (n: number): string => String(n).padStart(POSITION_WIDTH, '0');
export const decodePosition = (p: string | undefined): number => {
  if (p === undefined || p === '') return 0;
  if (!/^\d{1,16}$/.test(p)) throw new RangeError(`not a position of this store: ${p}`);
  return Number(p);
};

const toStoredEvent = (row: EventRow): StoredEvent => {
  // Completing the freshly parsed object (not a spread copy) keeps replays near raw read speed.
  const metadata = JSON.parse(row[9]) as StoredEvent['metadata'];
  metadata.prevHash = row[10];
  metadata.hash = row[11];
  return {
    id: row[1],
    type: row[4],
    schemaVersion: row[5],
    streamId: row[2],
    revision: row[3],
    position: encodePosition(row[0]),
    occurredAt: row[6],
    recordedAt: row[7],
    data: JSON.parse(row[8]) as unknown,
    metadata,
  };
};

/**
 * Wakes live subscriptions of every store instance on the same file in this process, in this
 * thread through an emitter and in the others (the server's projector thread) through a
 * BroadcastChannel. Shared by the instances open on the file, closed with the last of them.
 */
class AppendSignal extends EventEmitter {
  private users = 0;
  private channel: BroadcastChannel | undefined;

  constructor(
    private readonly file: string,
    crossThread: boolean,
  ) {
    super();
    this.setMaxListeners(0);
    if (crossThread) {
      this.channel = new BroadcastChannel(`lead-ledger:appended:${file}`);
      this.channel.onmessage = () => this.emit('append');
      // A process waiting on nothing else may exit.
      this.channel.unref();
    }
  }

  static acquire(file: string): AppendSignal {
    let signal = appendSignals.get(file);
    if (!signal) {
      signal = new AppendSignal(file, !file.startsWith(':memory:'));
      appendSignals.set(file, signal);
    }
    signal.users += 1;
    return signal;
  }

  release(): void {
    this.users -= 1;
    if (this.users > 0) return;
    appendSignals.delete(this.file);
    this.channel?.close();
    // A signal still queued by the last append (see `append`) stays in this thread.
    this.channel = undefined;
  }

  /** Events were appended: tell every subscription on the file, in every thread. */
  appended(): void {
    this.emit('append');
    this.channel?.postMessage(null);
  }
}
const appendSignals = new Map<string, AppendSignal>();

/** An append, as the group commit writes it. */
interface Append {
  streamId: string;
  events: NewEvent[];
  options: AppendOptions;
}

/**
 * The embedded event store: one SQLite file in WAL mode, a transaction per append. With
 * `groupCommit` (the server), appends made in the same turn of the event loop (concurrent
 * requests) are written by one transaction: each append runs in a savepoint of its own, so its
 * checks (expected revision, idempotency key) see the appends before it and its failure undoes
 * only its own rows. Every append of the group resolves once the transaction has committed, so
 * an acknowledged append is as durable as one committed alone; if the commit itself fails, each
 * append is retried in a transaction of its own.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly signal: AppendSignal;
  private readonly pollIntervalMs: number;
  private readonly openSubscriptions = new Set<() => void>();
  private readonly statements;
  private readonly appends: GroupCommit<Append, AppendResult>;
  private readonly typedReads = new Map<number, Database.Statement<unknown[], EventRow>>();
  private readonly groupCommit: boolean;

  constructor(
    readonly file: string,
    options: SqliteEventStoreOptions = {},
  ) {
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // An acknowledged append is on disk (the WAL synced at each commit), power loss included;
    // group commit shares that fsync among the appends of a turn.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    if (options.autocheckpointPages !== undefined) {
      this.db.pragma(
        `wal_autocheckpoint = ${Math.max(0, Math.floor(options.autocheckpointPages))}`,
      );
    }
    this.db.exec(SCHEMA);
    this.signal = AppendSignal.acquire(
      file === ':memory:' ? `:memory:${randomUUID()}` : resolve(file),
    );
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.groupCommit = options.groupCommit ?? false;
    const db = this.db;
    this.statements = {
      head: db.prepare<[string], { revision: number; hash: string }>(
        'SELECT revision, hash FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
      ),
      insert: db.prepare(
        `INSERT INTO events (id, stream_id, revision, type, schema_version, occurred_at, recorded_at, data, metadata, prev_hash, hash)
         VALUES (@id, @streamId, @revision, @type, @schemaVersion, @occurredAt, @recordedAt, @data, @metadata, @prevHash, @hash)`,
      ),
      idempotency: db.prepare<[string], { stream_id: string; revision: number; position: number }>(
        'SELECT stream_id, revision, position FROM idempotency WHERE key = ?',
      ),
      remember: db.prepare(
        'INSERT INTO idempotency (key, stream_id, revision, position) VALUES (?, ?, ?, ?)',
      ),
      readStream: db
        .prepare<[string, number, number, string], EventRow>(
          `SELECT ${COLUMNS} FROM events
           WHERE stream_id = ? AND revision >= ? AND revision <= ? AND recorded_at <= ?
           ORDER BY revision`,
        )
        .raw(true),
      readAll: db
        .prepare<[number, number], EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
        )
        .raw(true),
      countAfter: db
        .prepare<[number, number], [number]>(
          'SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE position > ? LIMIT ?)',
        )
        .raw(true),
      headPosition: db.prepare<[], { position: number | null }>(
        'SELECT MAX(position) AS position FROM events',
      ),
    };
    this.appends = new GroupCommit(
      db,
      ({ streamId, events, options }: Append) =>
        this.appendInTransaction(streamId, events, options),
      (results) => {
        if (results.some((r) => !r.deduplicated)) queueMicrotask(() => this.signal.appended());
      },
    );
  }

  append(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (this.groupCommit) return this.appends.write({ streamId, events, options });
    // Written now, in this call: a transaction of its own.
    return new Promise((resolve) => {
      const result = this.appends.writeNow({ streamId, events, options });
      if (!result.deduplicated) queueMicrotask(() => this.signal.appended());
      resolve(result);
    });
  }

  private appendInTransaction(
    streamId: string,
    events: NewEvent[],
    { expectedRevision, idempotencyKey }: AppendOptions,
  ): AppendResult {
    if (idempotencyKey !== undefined) {
      const earlier = this.earlierResult(streamId, idempotencyKey);
      if (earlier) return earlier;
    }
    const head = this.statements.head.get(streamId);
    const actual = head ? head.revision : null;
    const matches =
      expectedRevision === 'ANY' ||
      (expectedRevision === 'NO_STREAM' ? actual === null : expectedRevision === actual);
    if (!matches) throw new ConcurrencyError(streamId, expectedRevision, actual);
    if (events.length === 0) {
      throw new RangeError('append needs at least one event');
    }

    const recordedAt = new Date().toISOString();
    let prevHash = head ? head.hash : GENESIS_HASH;
    let revision = actual ?? -1;
    let position = 0;
    for (const event of events) {
      revision += 1;
      const metadata =
        idempotencyKey === undefined ? event.metadata : { ...event.metadata, idempotencyKey };
      const envelope = {
        id: event.id ?? randomUUID(),
        type: event.type,
        schemaVersion: event.schemaVersion,
        streamId,
        revision,
        occurredAt: event.occurredAt,
        recordedAt,
      };
      // Stored in canonical form: each value is serialised once, for the row and the hash alike.
      const data = canonicalJson(event.data);
      const metadataJson = canonicalJson(metadata);
      const hash = chainHash(prevHash, canonicalEnvelope(envelope, data, metadataJson));
      const info = this.statements.insert.run({
        ...envelope,
        data,
        metadata: metadataJson,
        prevHash,
        hash,
      });
      position = Number(info.lastInsertRowid);
      prevHash = hash;
    }
    if (idempotencyKey !== undefined) {
      this.statements.remember.run(idempotencyKey, streamId, revision, position);
    }
    return { revision, position: encodePosition(position), deduplicated: false };
  }

  private earlierResult(streamId: string, idempotencyKey: string): AppendResult | undefined {
    const row = this.statements.idempotency.get(idempotencyKey);
    if (!row) return undefined;
    if (row.stream_id !== streamId) throw new IdempotencyKeyReusedError(idempotencyKey, streamId);
    return { revision: row.revision, position: encodePosition(row.position), deduplicated: true };
  }

  findIdempotent(streamId: string, idempotencyKey: string): Promise<AppendResult | undefined> {
    return new Promise((resolve) => resolve(this.earlierResult(streamId, idempotencyKey)));
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const rows = this.statements.readStream.all(
      streamId,
      options.fromRevision ?? 0,
      options.toRevision ?? Number.MAX_SAFE_INTEGER,
      options.asOf === undefined ? '\uffff' : new Date(options.asOf).toISOString(),
    );
    return Promise.resolve(rows.map(toStoredEvent));
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    const batchSize = options.batchSize ?? 1000;
    const read = this.statements.readAll;
    let after = decodePosition(options.from);
    let rows: EventRow[] = [];
    let index = 0;
    let last = false;
    const refill = async (): Promise<IteratorResult<StoredEvent>> => {
      if (last) return { done: true, value: undefined };
      if (rows.length > 0) {
        // Reads are synchronous: yield to the event loop between batches so a long replay
        // does not starve requests served by the same process.
        await new Promise(setImmediate);
      }
      rows = read.all(after, batchSize);
      index = 0;
      last = rows.length < batchSize;
      if (rows.length === 0) return { done: true, value: undefined };
      after = rows[rows.length - 1]![0];
      return { done: false, value: toStoredEvent(rows[index++]!) };
    };
    // A plain iterator over batches, not an async generator: replays run ~10% faster.
    const next = (): Promise<IteratorResult<StoredEvent>> =>
      index < rows.length
        ? Promise.resolve({ done: false, value: toStoredEvent(rows[index++]!) })
        : refill();
    return { [Symbol.asyncIterator]: () => ({ next }) };
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const batchSize = options.batchSize ?? 1000;
    const types = options.eventTypes ? new Set(options.eventTypes) : undefined;
    let after = decodePosition(options.from);
    let closed = false;
    let wake: (() => void) | undefined;
    const close = () => {
      closed = true;
      wake?.();
    };
    this.openSubscriptions.add(close);
    const waitForWrites = () =>
      new Promise<void>((resolveWait) => {
        const done = () => {
          clearTimeout(timer);
          this.signal.off('append', done);
          wake = undefined;
          resolveWait();
        };
        const timer = setTimeout(done, this.pollIntervalMs);
        wake = done;
        this.signal.once('append', done);
      });

    const filtered = types && this.typedRead(types.size);
    const stream = async function* (this: SqliteEventStore): AsyncGenerator<StoredEvent> {
      try {
        while (!closed) {
          // Positions are assigned in commit order (one writer at a time), so reading strictly
          // after the last delivered position can neither skip nor repeat an event.
          if (!filtered) {
            const rows = this.statements.readAll.all(after, batchSize);
            for (const row of rows) {
              after = row[0];
              yield toStoredEvent(row);
              if (closed) return;
            }
            if (rows.length < batchSize) await waitForWrites();
            continue;
          }
          // Only the wanted types are read (and parsed), a window of positions at a time: every
          // position up to the head is committed, so the window is passed over once read.
          const head = this.statements.headPosition.get()?.position ?? 0;
          const until = Math.min(head, after + TYPED_SCAN_WINDOW);
          const rows = filtered.all(after, until, ...types, batchSize);
          for (const row of rows) {
            after = row[0];
            yield toStoredEvent(row);
            if (closed) return;
          }
          if (rows.length < batchSize) after = Math.max(after, until);
          if (until < head) await new Promise(setImmediate);
          else if (rows.length < batchSize) await waitForWrites();
        }
      } finally {
        this.openSubscriptions.delete(close);
      }
    }.call(this);

    return {
      [Symbol.asyncIterator]: () => stream,
      close: async () => {
        close();
        await stream.return(undefined);
      },
    };
  }

  /** Events of some types in a window of positions (`types` of them bound after the window). */
  private typedRead(types: number) {
    let statement = this.typedReads.get(types);
    if (!statement) {
      statement = this.db
        .prepare<unknown[], EventRow>(
          `SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ?
           AND type IN (${Array.from({ length: types }, () => '?').join(', ')})
           ORDER BY position LIMIT ?`,
        )
        .raw(true);
      this.typedReads.set(types, statement);
    }
    return statement;
  }

  async verify(streamId: string): Promise<Verification> {
    return verifyChain(await this.readStream(streamId));
  }

  headPosition(): Promise<string> {
    const { position } = this.statements.headPosition.get() ?? { position: null };
    return Promise.resolve(position === null ? '' : encodePosition(position));
  }

  countAfter(position: string, limit: number): Promise<number> {
    return new Promise((resolve) =>
      resolve(this.statements.countAfter.get(decodePosition(position), limit)![0]),
    );
  }

  close(): Promise<void> {
    // Appends already asked for are written (and answered) before the file closes.
    if (this.db.open) this.appends.flush();
    for (const close of [...this.openSubscriptions]) close();
    if (this.db.open) {
      this.db.close();
      this.signal.release();
    }
    return Promise.resolve();
  }
}
