/**
 * Projection throughput on a realistic event mix (the demo generator's year, written through the
 * command path once and cached under bench/.cache/): the log read alone (the ceiling), a full
 * rebuild of every projection into a fresh SQLite read store (and MongoDB when MONGODB_URI is
 * set), each in its own process so its peak RSS is its own, and the live lag while commands
 * append ~1k events/s. `BENCH_QUICK=1` for a smoke run (~50k events); `BENCH_DIR` to put the
 * working files on another file system; `BENCH_MONGO_EVENTS=n` measures the MongoDB rebuild over
 * the first n events only (a copy of the log cut there). The MongoDB rebuild is the product's:
 * staged in an embedded SQLite store, then loaded by inserts. Not a test: figures go to stdout
 * and bench/results/projections.json.
 */
import { fork } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import { DEMO_GENERATOR_VERSION, generateDemo } from '../src/demo/generator';
import { createDemoHandler } from '../src/demo/run';
import { SqliteEventStore } from '../src/eventstore/sqlite';
import { PROJECTIONS } from '../src/projections/catalog';
import { ProjectionRunner } from '../src/projections/runner';
import type { ReadStore } from '../src/readstore/port';
import { SqliteReadStore } from '../src/readstore/sqlite';
import { sqliteStaging } from '../src/readstore/staging';
import { cachedLog } from './cached-log';
import { formatTable, machine, runBench, writeJson, type Cell } from './report';

const QUICK = process.env.BENCH_QUICK === '1';
const SEED = process.env.BENCH_SEED ?? 'bench-1';
const START = '2025-01-01';
const LAG_START = '2026-01-01';
const SIZES = QUICK
  ? { events: 50_000, logReads: 2, lagSeconds: 3 }
  : { events: 1_000_000, logReads: 2, lagSeconds: 10 };
const LAG_EVENTS_PER_SEC = 1_000;
/** Lag samples of the first second are warm-up (JIT, caches), not steady state. */
const LAG_WARM_UP_MS = 1_000;
const MONGO_EVENTS = Number(process.env.BENCH_MONGO_EVENTS ?? 0) || undefined;
const ROOT = resolve(__dirname, '../..');
const RESULTS_FILE = join(ROOT, 'bench/results/projections.json');
const TARGETS = {
  rebuildEventsPerSec: 100_000,
  rebuildVsLogRead: 0.4,
  peakRssMb: 400,
  lagP99Ms: 100,
};

// ---- the cached log ----------------------------------------------------------------------------

interface LogInfo {
  file: string;
  leads: number;
  events: number;
  commands: number;
  eventsByType: Record<string, number>;
  generatedInMs: number;
}

/** Leads for about `events` events: a dry run of the generator measures events per lead. */
const leadsFor = (events: number): number => {
  const sample = 4_000;
  const count = (leads: number) => {
    let n = 0;
    for (const c of generateDemo({ leads, seed: SEED, start: START })) {
      n += c.type === 'openDeal' ? 1 + (c.input.leadIds as unknown[]).length : 1;
    }
    return n;
  };
  const calendar = count(0);
  const perLead = (count(sample) - calendar) / sample;
  return Math.max(1, Math.round((events - calendar) / perLead));
};

/** The event log of SIZES.events events, generated through the command path once per key. */
const ensureLog = async (): Promise<LogInfo> => {
  const key = `events-${SIZES.events}-${SEED.replace(/[^A-Za-z0-9_-]/g, '_')}-g${DEMO_GENERATOR_VERSION}`;
  const leads = leadsFor(SIZES.events);
  const { file, info } = await cachedLog(
    key,
    `${SIZES.events.toLocaleString('en-US')} events (${leads} leads)`,
    () => generateDemo({ leads, seed: SEED, start: START }),
    (run) => ({ leads, ...run }),
  );
  return { ...info, file };
};

// ---- child processes: each measurement on its own heap and RSS ---------------------------------

interface ChildResult {
  events: number;
  ms: number;
  peakRssMb: number;
  /** Bytes of the read store file (SQLite), when there is one. */
  readStoreBytes?: number;
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

/** `events.readAll()` with no projection: the best of a few full reads. */
const childLogRead = async (eventsFile: string): Promise<ChildResult> => {
  const events = new SqliteEventStore(eventsFile);
  let best: ChildResult | undefined;
  for (let r = 0; r < SIZES.logReads; r += 1) {
    const started = performance.now();
    let n = 0;
    for await (const event of events.readAll()) {
      if (event.revision < 0) throw new Error('unreachable');
      n += 1;
    }
    const ms = performance.now() - started;
    if (!best || ms < best.ms) best = { events: n, ms, peakRssMb: 0 };
  }
  await events.close();
  return { ...best!, peakRssMb: peakRssMb() };
};

type MongoModule = {
  createMongoReadStore?: (uri: string, db: string) => ReadStore | Promise<ReadStore>;
};

/** The MongoDB adapter, loaded only when asked for (the bench compiles and runs without it). */
const loadMongoReadStore = async (uri: string, db: string): Promise<ReadStore> => {
  const path = join(__dirname, '../src/readstore/mongo.js');
  if (!existsSync(path)) throw new Error(`no MongoDB read store built at ${path}`);
  const mod = (await import(path)) as MongoModule & { default?: MongoModule };
  const create = mod.createMongoReadStore ?? mod.default?.createMongoReadStore;
  if (!create) throw new Error(`${path} exports no createMongoReadStore`);
  return create(uri, db);
};

/** A copy of the log holding its first `events` only (the whole log when undefined). */
const logCutAt = (eventsFile: string, events: number | undefined): string => {
  if (events === undefined) return eventsFile;
  const file = `${eventsFile}-first-${events}`;
  copyFileSync(eventsFile, file);
  const db = new Database(file);
  db.prepare('DELETE FROM events WHERE position > ?').run(events);
  db.close();
  return file;
};

/** A fresh runner over every projection into an empty read store, from '' until the head. */
const childRebuild = async (eventsFile: string, target: string): Promise<ChildResult> => {
  const events = new SqliteEventStore(eventsFile);
  const mongoDb = `leadledger_bench_${process.pid}`;
  const uri = process.env.MONGODB_URI ?? '';
  const store =
    target === 'mongo' ? await loadMongoReadStore(uri, mongoDb) : new SqliteReadStore(target);
  const head = await events.headPosition();
  const count = await events.countAfter('', Number.MAX_SAFE_INTEGER);
  const failures: unknown[] = [];
  const runner = new ProjectionRunner(events, store, PROJECTIONS, {
    onError: (error) => failures.push(error),
    // As the composition root wires it for MongoDB.
    ...(target === 'mongo' ? { staging: sqliteStaging(join(dirname(eventsFile), 'staging')) } : {}),
  });
  const started = performance.now();
  await runner.start();
  const reached = await runner.waitFor(head, 3_600_000);
  // Stopping waits for the secondary indexes, built once the catch-up is done: counted too.
  await runner.stop();
  const ms = performance.now() - started;
  await store.close();
  await events.close();
  if (target === 'mongo') {
    const client = await MongoClient.connect(uri);
    await client.db(mongoDb).dropDatabase();
    await client.close();
  }
  if (!reached || failures.length > 0) {
    throw new Error(`rebuild did not reach ${head}: ${failures.map(String).join('; ')}`);
  }
  const readStoreBytes = target === 'mongo' ? undefined : statSync(target).size;
  return { events: count, ms, peakRssMb: peakRssMb(), readStoreBytes };
};

const runChild = async (args: string[]): Promise<ChildResult> => {
  const [kind, eventsFile, target] = args;
  if (kind === 'log-read') return childLogRead(eventsFile!);
  if (kind === 'rebuild') return childRebuild(eventsFile!, target!);
  throw new Error(`unknown child ${kind}`);
};

/** Forks this script in child mode; BENCH_CHILD_ARGS adds node flags (e.g. --cpu-prof). */
const inChild = (args: string[]): Promise<ChildResult> =>
  new Promise((resolvePromise, rejectPromise) => {
    const execArgv = (process.env.BENCH_CHILD_ARGS ?? '').split(' ').filter(Boolean);
    const child = fork(__filename, ['child', ...args], { execArgv });
    let result: ChildResult | undefined;
    child.on('message', (message) => (result = message as ChildResult));
    child.on('error', rejectPromise);
    child.on('exit', (code) =>
      result && code === 0
        ? resolvePromise(result)
        : rejectPromise(new Error(`child ${args[0]} exited with ${code}`)),
    );
  });

// ---- lag: a live runner while commands append ~1k events/s -------------------------------------

interface Lag {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  commands: number;
  appendedEvents: number;
  achievedEventsPerSec: number;
  timeouts: number;
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Commands of another demo year (another seed, the following year) through the command handler
 * at LAG_EVENTS_PER_SEC; per command, the time from the append's acknowledgement until
 * `waitFor(position)` resolves on a live runner over the rebuilt read store.
 */
const measureLag = async (eventsFile: string, readFile: string): Promise<Lag> => {
  const events = new SqliteEventStore(eventsFile);
  const store = new SqliteReadStore(readFile);
  const runner = new ProjectionRunner(events, store, PROJECTIONS);
  await runner.start();
  if (!(await runner.waitFor(await events.headPosition(), 120_000))) {
    throw new Error('the live runner did not reach the head of the rebuilt log');
  }
  const seconds = SIZES.lagSeconds + LAG_WARM_UP_MS / 1000;
  const leads = Math.ceil((LAG_EVENTS_PER_SEC * seconds) / 8);
  const commands = generateDemo({ leads, seed: `${SEED}-lag`, start: LAG_START })[
    Symbol.iterator
  ]();
  const demo = createDemoHandler(events);
  const samples: number[] = [];
  const pending: Array<Promise<void>> = [];
  let timeouts = 0;
  let appended = 0;
  let handled = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  for (let now = started; now < until; now = performance.now()) {
    if (appended >= ((now - started) * LAG_EVENTS_PER_SEC) / 1000) {
      await sleep(1);
      continue;
    }
    const next = commands.next();
    if (next.done) throw new Error('the lag workload ran out of commands');
    const { type, input, context } = next.value;
    demo.clock.set(context.occurredAt);
    const result = await demo.handler.handle(type, input, context);
    const acked = performance.now();
    handled += 1;
    appended +=
      result.events.length + (type === 'openDeal' ? (input.leadIds as unknown[]).length : 0);
    const measured = acked - started >= LAG_WARM_UP_MS;
    pending.push(
      runner.waitFor(result.position, 10_000).then((ok) => {
        if (!ok) timeouts += 1;
        else if (measured) samples.push(performance.now() - acked);
      }),
    );
  }
  const elapsed = performance.now() - started;
  await Promise.all(pending);
  await runner.stop();
  await store.close();
  await events.close();
  if (demo.followUpFailures.length > 0) throw new Error('a follow-up failed during the lag run');
  samples.sort((a, b) => a - b);
  return {
    p50Ms: percentile(samples, 0.5),
    p99Ms: percentile(samples, 0.99),
    maxMs: samples.at(-1) ?? NaN,
    samples: samples.length,
    commands: handled,
    appendedEvents: appended,
    achievedEventsPerSec: (appended * 1000) / elapsed,
    timeouts,
  };
};

// ---- run -----------------------------------------------------------------------------------------

const perSec = (r: ChildResult) => (r.events * 1000) / r.ms;
const round = (n: number) => Math.round(n);
const roundTo1 = (n: number) => Math.round(n * 10) / 10;
const roundTo3 = (n: number) => Math.round(n * 1000) / 1000;

const main = async () => {
  const log = await ensureLog();
  const dir = mkdtempSync(
    join(process.env.BENCH_DIR ?? tmpdir(), 'lead-ledger-bench-projections-'),
  );
  console.log(`projection benchmark${QUICK ? ' (quick)' : ''}: files in ${dir}`);
  try {
    // Every measurement reads the same copy; the lag run appends to it afterwards.
    const eventsFile = join(dir, 'events.sqlite');
    copyFileSync(log.file, eventsFile);
    const readFile = join(dir, 'read.sqlite');
    const logRead = await inChild(['log-read', eventsFile]);
    const rebuild = await inChild(['rebuild', eventsFile, readFile]);
    // Before the MongoDB rebuild: the gigabytes it writes are still being flushed to disk for
    // minutes after it ends, and the lag run's fsyncs would wait behind them.
    const lag = await measureLag(eventsFile, readFile);
    let mongo: ChildResult | null = null;
    let mongoNote = 'MONGODB_URI not set';
    if (process.env.MONGODB_URI) {
      mongo = await inChild(['rebuild', logCutAt(eventsFile, MONGO_EVENTS), 'mongo']);
      mongoNote =
        `createMongoReadStore(MONGODB_URI, leadledger_bench_<pid>), dropped afterwards; ` +
        `${mongo.events} events${MONGO_EVENTS ? ' (BENCH_MONGO_EVENTS: the start of the log)' : ''}`;
    }

    const figures = {
      rebuildEventsPerSec: round(perSec(rebuild)),
      rebuildPeakRssMb: roundTo1(rebuild.peakRssMb),
      lagP50Ms: roundTo1(lag.p50Ms),
      lagP99Ms: roundTo1(lag.p99Ms),
      logReadEventsPerSec: round(perSec(logRead)),
      mongoRebuildEventsPerSec: mongo ? round(perSec(mongo)) : null,
    };
    const ratios = { rebuildVsLogRead: roundTo3(perSec(rebuild) / perSec(logRead)) };
    const targets = {
      rebuildEventsPerSec: {
        min: TARGETS.rebuildEventsPerSec,
        actual: figures.rebuildEventsPerSec,
        pass: figures.rebuildEventsPerSec >= TARGETS.rebuildEventsPerSec,
      },
      rebuildVsLogRead: {
        min: TARGETS.rebuildVsLogRead,
        actual: ratios.rebuildVsLogRead,
        pass: ratios.rebuildVsLogRead >= TARGETS.rebuildVsLogRead,
      },
      rebuildPeakRssMb: {
        max: TARGETS.peakRssMb,
        actual: figures.rebuildPeakRssMb,
        pass: figures.rebuildPeakRssMb <= TARGETS.peakRssMb,
      },
      lagP99Ms: {
        below: TARGETS.lagP99Ms,
        actual: figures.lagP99Ms,
        pass: lag.p99Ms < TARGETS.lagP99Ms && lag.timeouts === 0,
      },
    };

    const ms = (n: number) => `${n.toFixed(1)} ms`;
    const rows: Cell[][] = [
      ['logReadEventsPerSec', perSec(logRead), 'events.readAll(), no projection (the ceiling)'],
      [
        'rebuildEventsPerSec',
        perSec(rebuild),
        `${PROJECTIONS.length} projections, fresh runner and SqliteReadStore, '' to head`,
      ],
      ['rebuildPeakRssMb', rebuild.peakRssMb, 'maxRSS of the rebuild process'],
      [
        'mongoRebuildEventsPerSec',
        mongo ? perSec(mongo) : '-',
        mongo ? 'same rebuild into createMongoReadStore' : mongoNote,
      ],
      ['lagP50Ms', ms(lag.p50Ms), `append ack -> waitFor(position), ${lag.samples} commands`],
      [
        'lagP99Ms',
        ms(lag.p99Ms),
        `at ${round(lag.achievedEventsPerSec)} events/s for ${SIZES.lagSeconds} s (+1 s warm-up)`,
      ],
    ];
    console.log(`\n${formatTable(['measure', 'value', 'what'], rows)}\n`);
    console.log(
      formatTable(
        ['target', 'actual', 'bound', 'result'],
        Object.entries(targets).map(([key, t]) => [
          key,
          String(t.actual),
          'min' in t ? `>= ${t.min}` : 'max' in t ? `<= ${t.max}` : `< ${t.below}`,
          t.pass ? 'pass' : 'FAIL',
        ]),
      ),
    );

    writeJson(RESULTS_FILE, {
      ...figures,
      ratios,
      targets,
      machine: machine(),
      date: new Date().toISOString(),
      quick: QUICK,
      counts: {
        events: rebuild.events,
        leads: log.leads,
        commands: log.commands,
        seed: SEED,
        start: START,
        generatorVersion: DEMO_GENERATOR_VERSION,
        eventsByType: log.eventsByType,
        logReadRepeats: SIZES.logReads,
        lagSeconds: SIZES.lagSeconds,
        lagWarmUpMs: LAG_WARM_UP_MS,
        lagCommands: lag.commands,
        lagAppendedEvents: lag.appendedEvents,
        lagSamples: lag.samples,
        lagTimeouts: lag.timeouts,
        lagAchievedEventsPerSec: round(lag.achievedEventsPerSec),
        lagMaxMs: roundTo1(lag.maxMs),
        projections: PROJECTIONS.map((p) => p.name),
      },
      notes: {
        rebuildMs: round(rebuild.ms),
        logReadMs: round(logRead.ms),
        logReadPeakRssMb: roundTo1(logRead.peakRssMb),
        readStoreBytes: rebuild.readStoreBytes,
        mongo: mongoNote,
        mongoPeakRssMb: mongo ? roundTo1(mongo.peakRssMb) : null,
        mongoEvents: mongo ? mongo.events : null,
        mongoMs: mongo ? round(mongo.ms) : null,
        runnerOptions: 'ProjectionRunner defaults',
        logGeneratedInMs: log.generatedInMs,
        cache: log.file.slice(ROOT.length + 1),
        tempDir: dir,
      },
    });
    console.log(`\nwrote ${RESULTS_FILE}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

runBench(main, runChild);
