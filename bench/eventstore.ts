/**
 * Event store throughput, all in one run, each store on a fresh file in one temp dir:
 * the port's SQLite adapter against raw better-sqlite3 (the ceiling) and Emmett's SQLite store.
 * `BENCH_QUICK=1` for a smoke run; `BENCH_DIR` to put the files on another file system.
 * Not a test: figures go to stdout and bench/results/eventstore.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  appendToStream,
  createEventStoreSchema,
  getSQLiteEventStore,
  sqliteConnection,
} from '@event-driven-io/emmett-sqlite';
import { NO_STREAM, type NewEvent } from '../src/eventstore/port';
import { SqliteEventStore } from '../src/eventstore/sqlite';
import { CommandHandler } from '../src/commands/handle';
import type { Actor } from '../src/domain/shared/values';
import { formatTable, machine, writeJson, type Cell } from './report';

const QUICK = process.env.BENCH_QUICK === '1';
const STREAMS = 1_000;
const SIZES = QUICK
  ? { appends: 10_000, warmUp: 1_000, reads: 2, emmett: 300, emmettWarmUp: 50 }
  : { appends: 100_000, warmUp: 2_000, reads: 3, emmett: 5_000, emmettWarmUp: 200 };
const RESULTS_FILE = resolve(__dirname, '../../bench/results/eventstore.json');
const ACTOR: Actor = { id: 'bench', roles: ['ADMIN'] };
const CHANNELS = ['EMAIL', 'PAID_SEARCH', 'WEBINAR', 'CONTENT', 'PAID_SOCIAL'] as const;
const CONTENT_ID = 'content-2025-zero-trust-buyers-guide-ebook-v3';
const campaignFor = (channel: string) =>
  `cmp-2025-q1-${channel.toLowerCase()}-enterprise-security-webinar-series`;
const BUSINESS_TIME_START = Date.parse('2025-01-06T09:00:00.000Z');

/** A valid TouchRecorded (the domain's schema), ~300 bytes of data as JSON. */
const touchRecorded = (leadId: string, i: number): NewEvent => {
  const channel = CHANNELS[i % CHANNELS.length]!;
  return {
    type: 'TouchRecorded',
    schemaVersion: 1,
    occurredAt: new Date(BUSINESS_TIME_START + i * 1_000).toISOString(),
    data: {
      leadId,
      touchId: randomUUID(),
      channel,
      campaignId: campaignFor(channel),
      contentId: CONTENT_ID,
      kind: 'MARKETING',
      createsLead: false,
    },
    metadata: { actor: ACTOR, correlationId: randomUUID(), causationId: randomUUID() },
  };
};

interface Workload {
  streamIds: string[];
  /** Operation i appends events[i] to stream i mod STREAMS: every stream grows evenly. */
  events: NewEvent[];
}

const workload = (count: number): Workload => {
  const leadIds = Array.from({ length: STREAMS }, () => randomUUID());
  return {
    streamIds: leadIds.map((id) => `lead-${id}`),
    events: Array.from({ length: count }, (_, i) => touchRecorded(leadIds[i % STREAMS]!, i)),
  };
};

const opsPerSec = (ops: number, ms: number) => (ops * 1000) / ms;

/** Runs `op(i)` for i in [from, to) sequentially, each awaited; returns ops/s. */
const timeSequential = async (
  from: number,
  to: number,
  op: (i: number) => unknown,
): Promise<number> => {
  const start = performance.now();
  for (let i = from; i < to; i += 1) await op(i);
  return opsPerSec(to - from, performance.now() - start);
};

/** The adapter's events table, in its column order. */
const COLUMNS = [
  'position',
  'id',
  'stream_id',
  'revision',
  'type',
  'schema_version',
  'occurred_at',
  'recorded_at',
  'data',
  'metadata',
  'prev_hash',
  'hash',
];
/** readAll's default batch size. */
const READ_BATCH = 1000;

interface Row {
  position: number;
  id: string;
  stream_id: string;
  revision: number;
  type: string;
  schema_version: number;
  occurred_at: string;
  recorded_at: string;
  data: string;
  metadata: string;
  prev_hash: string;
  hash: string;
}

const openLikeTheAdapter = (file: string) => {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
};

// ---- port: appends and readAll -------------------------------------------------------------

const benchPort = async (dir: string, work: Workload) => {
  const store = new SqliteEventStore(join(dir, 'port.sqlite'));
  const revisions = new Array<number>(STREAMS).fill(-1);
  const append = async (i: number) => {
    const s = i % STREAMS;
    const expected = revisions[s]!;
    const result = await store.append(work.streamIds[s]!, [work.events[i]!], {
      expectedRevision: expected === -1 ? NO_STREAM : expected,
    });
    if (result.revision !== expected + 1) throw new Error(`port: revision ${result.revision}`);
    revisions[s] = result.revision;
  };
  await timeSequential(0, SIZES.warmUp, append);
  const appendsPerSec = await timeSequential(SIZES.warmUp, work.events.length, append);

  const readAll = async (limit: number) => {
    let n = 0;
    for await (const event of store.readAll()) {
      if (event.revision < 0) throw new Error('unreachable');
      n += 1;
      if (n === limit) break;
    }
    return n;
  };
  await readAll(SIZES.warmUp);
  let readAllPerSec = 0;
  for (let r = 0; r < SIZES.reads; r += 1) {
    const start = performance.now();
    const n = await readAll(Infinity);
    if (n !== work.events.length) throw new Error(`readAll saw ${n} events`);
    readAllPerSec = Math.max(readAllPerSec, opsPerSec(n, performance.now() - start));
  }
  await store.close();
  return { appendsPerSec, readAllPerSec };
};

// ---- command handling: validate, authorise, load (cached fold), decide, append ------------

const benchHandle = async (dir: string) => {
  const file = join(dir, 'handle.sqlite');
  const store = new SqliteEventStore(file);
  const handler = new CommandHandler(store);
  const context = { actor: ACTOR };
  const leadIds = Array.from({ length: STREAMS }, () => randomUUID());
  const versions = new Array<number>(STREAMS).fill(-1);
  for (const [i, leadId] of leadIds.entries()) {
    const result = await handler.handle(
      'captureLead',
      {
        leadId,
        email: `buyer.${i}@prospect-${i % 97}.example.com`,
        name: `Buyer ${i}`,
        company: `Prospect ${i % 97} GmbH`,
        segment: 'ENTERPRISE',
        channel: 'EMAIL',
        campaignId: campaignFor('EMAIL'),
      },
      context,
    );
    versions[i] = result.version;
  }
  const recordTouch = async (i: number) => {
    const s = i % STREAMS;
    const channel = CHANNELS[i % CHANNELS.length]!;
    const input = {
      leadId: leadIds[s],
      channel,
      campaignId: campaignFor(channel),
      contentId: CONTENT_ID,
      kind: 'MARKETING',
    };
    const result = await handler.handle('recordTouch', input, context);
    if (result.version !== versions[s]! + 1) throw new Error(`handle: version ${result.version}`);
    versions[s] = result.version;
  };
  await timeSequential(0, SIZES.warmUp, recordTouch);
  const commandsPerSec = await timeSequential(
    SIZES.warmUp,
    SIZES.warmUp + SIZES.appends,
    recordTouch,
  );
  await store.close();

  const db = new Database(file, { readonly: true });
  const { bytes } = db
    .prepare<[], { bytes: number }>(
      "SELECT AVG(LENGTH(data) + LENGTH(metadata)) AS bytes FROM events WHERE type = 'TouchRecorded'",
    )
    .get()!;
  db.close();
  return { commandsPerSec, avgJsonBytes: bytes };
};

// ---- raw better-sqlite3: the ceiling -------------------------------------------------------

const benchRaw = (dir: string) => {
  // The very rows the port wrote, byte for byte, into a table created from the port's own DDL.
  const port = new Database(join(dir, 'port.sqlite'), { readonly: true });
  const { sql: ddl } = port
    .prepare<[], { sql: string }>(
      "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'",
    )
    .get()!;
  const rows = port.prepare<[], Row>('SELECT * FROM events ORDER BY position').all();
  const portSizes = JSON.stringify(
    port.prepare('SELECT COUNT(*), SUM(LENGTH(data) + LENGTH(metadata)) FROM events').raw().get(),
  );
  port.close();

  const db = openLikeTheAdapter(join(dir, 'raw.sqlite'));
  db.exec(ddl);
  const written = COLUMNS.filter((c) => c !== 'position');
  const insert = db.prepare<unknown[]>(
    `INSERT INTO events (${written.join(', ')}) VALUES (${written.map(() => '?').join(', ')})`,
  );
  const insertRow = (i: number) => {
    const r = rows[i]!;
    // Spelled out: a per-row map() would slow the ceiling down.
    insert.run(
      r.id,
      r.stream_id,
      r.revision,
      r.type,
      r.schema_version,
      r.occurred_at,
      r.recorded_at,
      r.data,
      r.metadata,
      r.prev_hash,
      r.hash,
    );
  };
  const timeInserts = (from: number, to: number) => {
    const start = performance.now();
    for (let i = from; i < to; i += 1) insertRow(i);
    return opsPerSec(to - from, performance.now() - start);
  };
  timeInserts(0, SIZES.warmUp);
  const insertsPerSec = timeInserts(SIZES.warmUp, rows.length);
  const sizes = (d: Database.Database) =>
    JSON.stringify(
      d.prepare('SELECT COUNT(*), SUM(LENGTH(data) + LENGTH(metadata)) FROM events').raw().get(),
    );
  if (sizes(db) !== portSizes) throw new Error('raw rows differ from the port rows');

  // Object rows (what the adapter reads today) and array rows (`.raw()`, better-sqlite3's
  // fastest mode): the ceiling is the fastest of the four, so the port cannot gain on a slow one.
  const select = `SELECT ${COLUMNS.join(', ')} FROM events`;
  const [POSITION, DATA, METADATA] = ['position', 'data', 'metadata'].map((c) =>
    COLUMNS.indexOf(c),
  ) as [number, number, number];
  const consume = (data: string, metadata: string) => {
    const d = JSON.parse(data) as { leadId?: string };
    const m = JSON.parse(metadata) as { actor?: unknown };
    if (d.leadId === undefined || m.actor === undefined) throw new Error('bad row');
  };
  const byObject = {
    all: db.prepare<[], Row>(`${select} ORDER BY position`),
    page: db.prepare<[number, number], Row>(
      `${select} WHERE position > ? ORDER BY position LIMIT ?`,
    ),
  };
  const byArray = {
    all: db.prepare<[], unknown[]>(`${select} ORDER BY position`).raw(true),
    page: db
      .prepare<[number, number], unknown[]>(
        `${select} WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw(true),
  };
  const field = {
    objects: (row: Row) => [row.position, row.data, row.metadata] as const,
    arrays: (row: unknown[]) =>
      [row[POSITION] as number, row[DATA] as string, row[METADATA] as string] as const,
  };
  const iterate =
    <R>(rows: () => Iterable<R>, fields: (row: R) => readonly [number, string, string]) =>
    (limit: number) => {
      let n = 0;
      for (const row of rows()) {
        const [, data, metadata] = fields(row);
        consume(data, metadata);
        n += 1;
        if (n === limit) break;
      }
      return n;
    };
  const batched =
    <R>(page: (after: number) => R[], fields: (row: R) => readonly [number, string, string]) =>
    (limit: number) => {
      let n = 0;
      for (let after = 0; ;) {
        const batch = page(after);
        for (const row of batch) {
          const [position, data, metadata] = fields(row);
          consume(data, metadata);
          after = position;
          n += 1;
          if (n === limit) return n;
        }
        if (batch.length < READ_BATCH) return n;
      }
    };
  const readers = {
    'iterate, objects': iterate(() => byObject.all.iterate(), field.objects),
    'batched all, objects': batched((a) => byObject.page.all(a, READ_BATCH), field.objects),
    'iterate, arrays': iterate(() => byArray.all.iterate(), field.arrays),
    'batched all, arrays': batched((a) => byArray.page.all(a, READ_BATCH), field.arrays),
  };
  const readPerSec: Record<string, number> = {};
  for (const [name, read] of Object.entries(readers)) {
    read(SIZES.warmUp);
    readPerSec[name] = 0;
    for (let r = 0; r < SIZES.reads; r += 1) {
      const start = performance.now();
      const n = read(Infinity);
      if (n !== rows.length) throw new Error(`raw read saw ${n} rows`);
      readPerSec[name] = Math.max(readPerSec[name], opsPerSec(n, performance.now() - start));
    }
  }
  db.close();
  const bytes = rows.reduce((sum, r) => sum + r.data.length + r.metadata.length, 0);
  return { insertsPerSec, readPerSec, rowCount: rows.length, avgJsonBytes: bytes / rows.length };
};

// ---- Emmett's SQLite event store -----------------------------------------------------------

const isSqliteBusy = (error: unknown) => (error as { code?: unknown }).code === 'SQLITE_BUSY';

/**
 * Emmett 0.38.5 with sqlite3 now and then fails a COMMIT with SQLITE_BUSY ("SQL statements in
 * progress": its RETURNING statement is finalised asynchronously) and rolls back; a caller would
 * retry, so the bench does too, inside the timed loop, and counts the retries.
 */
const retryingBusy = (counter: { retries: number }) => async (attempt: () => Promise<void>) => {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isSqliteBusy(error) || tries === 10) throw error;
      counter.retries += 1;
    }
  }
};

/** Emmett's stream version counts events (0n: no stream), ours is the last revision (from 0). */
const benchEmmett = async (dir: string, work: Workload) => {
  const toEmmett = (event: NewEvent) => ({
    type: event.type,
    data: event.data as Record<string, unknown>,
    metadata: { ...event.metadata },
  });
  const busy = { retries: 0 };
  const retry = retryingBusy(busy);
  // Emmett console.logs every failed transaction before rethrowing; keep the table readable.
  const log = console.log;
  console.log = () => undefined;
  try {
    const count = SIZES.emmettWarmUp + SIZES.emmett;
    const versions = new Array<bigint>(STREAMS).fill(0n);
    const store = getSQLiteEventStore({ fileName: join(dir, 'emmett.sqlite') });
    const append = (i: number) =>
      retry(async () => {
        const s = i % STREAMS;
        const result = await store.appendToStream(work.streamIds[s]!, [toEmmett(work.events[i]!)], {
          expectedStreamVersion: versions[s]!,
        });
        if (result.nextExpectedStreamVersion !== versions[s]! + 1n)
          throw new Error('emmett version');
        versions[s] = result.nextExpectedStreamVersion;
      });
    await timeSequential(0, SIZES.emmettWarmUp, append);
    const appendsPerSec = await timeSequential(SIZES.emmettWarmUp, count, append);

    // For scale only: Emmett's append function on one long-lived connection (the store above
    // opens and closes a sqlite3 connection per call, which is most of its cost).
    const connection = sqliteConnection({ fileName: join(dir, 'emmett-connection.sqlite') });
    await createEventStoreSchema(connection);
    const connectionCount = SIZES.warmUp + SIZES.appends / 10;
    const connectionVersions = new Array<bigint>(STREAMS).fill(0n);
    const appendOnConnection = (i: number) =>
      retry(async () => {
        const s = i % STREAMS;
        const result = await appendToStream(
          connection,
          work.streamIds[s]!,
          'lead',
          [toEmmett(work.events[i]!)],
          { expectedStreamVersion: connectionVersions[s]! },
        );
        if (!result.success) throw new Error('emmett: conflict on its own connection');
        connectionVersions[s] = result.nextStreamPosition;
      });
    await timeSequential(0, SIZES.warmUp, appendOnConnection);
    const connectionAppendsPerSec = await timeSequential(
      SIZES.warmUp,
      connectionCount,
      appendOnConnection,
    );
    connection.close();
    return { appendsPerSec, connectionAppendsPerSec, busyRetries: busy.retries };
  } finally {
    console.log = log;
  }
};

// ---- run -----------------------------------------------------------------------------------

const main = async () => {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'lead-ledger-bench-'));
  console.log(`event store benchmark${QUICK ? ' (quick)' : ''}: files in ${dir}`);
  try {
    const work = workload(SIZES.warmUp + SIZES.appends);
    const port = await benchPort(dir, work);
    const raw = benchRaw(dir);
    const handle = await benchHandle(dir);
    const emmett = await benchEmmett(dir, work);

    const rawReadPerSec = Math.max(...Object.values(raw.readPerSec));
    const rawReader = Object.entries(raw.readPerSec).find(([, v]) => v === rawReadPerSec)![0];
    const figures = {
      handleCommandsPerSec: handle.commandsPerSec,
      portAppendsPerSec: port.appendsPerSec,
      readAllEventsPerSec: port.readAllPerSec,
      rawSqliteInsertsPerSec: raw.insertsPerSec,
      rawSqliteReadPerSec: rawReadPerSec,
      emmettAppendsPerSec: emmett.appendsPerSec,
    };
    const ratios = {
      portVsRaw: figures.portAppendsPerSec / figures.rawSqliteInsertsPerSec,
      handleVsRaw: figures.handleCommandsPerSec / figures.rawSqliteInsertsPerSec,
      handleVsEmmett: figures.handleCommandsPerSec / figures.emmettAppendsPerSec,
      readAllVsRawRead: figures.readAllEventsPerSec / figures.rawSqliteReadPerSec,
    };
    const minimums = {
      portVsRaw: 0.5,
      handleVsRaw: 0.3,
      handleVsEmmett: 20,
      readAllVsRawRead: 0.8,
    };
    const targets = Object.fromEntries(
      Object.entries(minimums).map(([key, min]) => {
        const actual = ratios[key as keyof typeof ratios];
        return [key, { min, actual: roundTo3(actual), pass: actual >= min }];
      }),
    );

    const rows: Cell[][] = [
      [
        'handleCommandsPerSec',
        figures.handleCommandsPerSec,
        'recordTouch via CommandHandler.handle',
      ],
      ['portAppendsPerSec', figures.portAppendsPerSec, 'SqliteEventStore.append, 1 event'],
      ['readAllEventsPerSec', figures.readAllEventsPerSec, 'SqliteEventStore.readAll()'],
      ['rawSqliteInsertsPerSec', figures.rawSqliteInsertsPerSec, 'same rows, autocommit INSERT'],
      ['rawSqliteReadPerSec', figures.rawSqliteReadPerSec, `same rows + JSON.parse (${rawReader})`],
      ['emmettAppendsPerSec', figures.emmettAppendsPerSec, 'getSQLiteEventStore().appendToStream'],
      [
        '(emmett, one connection)',
        emmett.connectionAppendsPerSec,
        'emmett appendToStream on a long-lived connection: for scale, not a target',
      ],
      ...Object.entries(raw.readPerSec).map(([name, v]): Cell[] => [`(raw read, ${name})`, v, '']),
    ];
    console.log(`\n${formatTable(['measure', 'ops/s', 'what'], rows)}\n`);
    console.log(
      formatTable(
        ['target', 'ratio', 'min', 'result'],
        Object.entries(targets).map(([key, t]) => [
          key,
          t.actual.toFixed(2),
          String(t.min),
          t.pass ? 'pass' : 'FAIL',
        ]),
      ),
    );

    writeJson(RESULTS_FILE, {
      ...mapValues(figures, round),
      ratios: mapValues(ratios, roundTo3),
      targets,
      machine: machine(),
      date: new Date().toISOString(),
      quick: QUICK,
      counts: {
        streams: STREAMS,
        portAppends: SIZES.appends,
        readAllEvents: raw.rowCount,
        rawInserts: SIZES.appends,
        rawReadRows: raw.rowCount,
        emmettAppends: SIZES.emmett,
        emmettOneConnectionAppends: SIZES.appends / 10,
        warmUpOps: SIZES.warmUp,
        readRepeats: SIZES.reads,
        handleCommands: SIZES.appends,
        handleLeadsCaptured: STREAMS,
        avgDataPlusMetadataJsonBytes: Math.round(raw.avgJsonBytes),
        handleAvgDataPlusMetadataJsonBytes: Math.round(handle.avgJsonBytes),
      },
      notes: {
        rawReader,
        rawReadPerSec: mapValues(raw.readPerSec, round),
        emmett:
          'getSQLiteEventStore({ fileName }).appendToStream with expectedStreamVersion (checked: ' +
          'INSERT for a new stream, UPDATE ... RETURNING compared otherwise); it opens and closes ' +
          'a sqlite3 connection per call; its connection sets WAL but leaves synchronous at FULL',
        emmettOneConnectionAppendsPerSec: round(emmett.connectionAppendsPerSec),
        emmettBusyRetries: emmett.busyRetries,
        tempDir: dir,
      },
    });
    console.log(`\nwrote ${RESULTS_FILE}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const round = (n: number) => Math.round(n);
const roundTo3 = (n: number) => Math.round(n * 1000) / 1000;
const mapValues = <T extends Record<string, number>, R>(o: T, f: (v: number) => R) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)])) as { [K in keyof T]: R };

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
