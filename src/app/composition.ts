import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Anchorer } from '../audit/anchorer';
import { CommandHandler } from '../commands/handle';
import { createEsdbEventStore } from '../eventstore/esdb';
import type { EventStore } from '../eventstore/port';
import type { AppendRecord } from '../observability/eventstore';
import { SqliteEventStore } from '../eventstore/sqlite';
import { SlaMonitor } from '../processes/sla-monitor';
import { withPrivacy } from '../privacy/wire';
import { sealedStore } from '../privacy/vault';
import { PROJECTIONS } from '../projections/catalog';
import { ProjectionFollower } from '../projections/follower';
import type { ProjectionsView } from '../projections/generations';
import { ProjectionRunner, type RunnerOptions } from '../projections/runner';
import { dueDeadlines } from '../projections/sla-deadlines/queries';
import { createMongoReadStore } from '../readstore/mongo';
import type { ReadStore } from '../readstore/port';
import { SqliteReadStore } from '../readstore/sqlite';
import { sqliteStaging } from '../readstore/staging';
import type { Config } from './config';
import { startWalCheckpointer, type WalCheckpointer } from '../sqlite/wal-checkpointer';
import {
  projectorThreadScript,
  startProjectorThread,
  type ProjectorThread,
} from './projector-thread';

/** Longest wait of each readiness probe (/readyz must answer while a store is away). */
const READY_PROBE_MS = 2000;

/**
 * Opens an embedded SQLite file, naming it in the error: SQLite's own ("unable to open database
 * file", "disk I/O error") does not say which file, nor what to check.
 */
const openSqlite = <T>(file: string, open: (file: string) => T): T => {
  try {
    return open(file);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    throw new Error(
      `${file}: ${message}${typeof code === 'string' ? ` (${code})` : ''}; is DATA_DIR a writable directory with free space?`,
      { cause: error },
    );
  }
};

/** `promise`'s value, or `fallback` when it takes longer than `ms`. */
const within = <T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((resolve) => {
      setTimeout(resolve, ms, fallback).unref();
    }),
  ]);

/** Due deadlines the SLA monitor handles per tick; the rest wait for the next tick. */
const SLA_MONITOR_BATCH = 100;

export interface AppOptions {
  clock?: () => Date;
  runner?: RunnerOptions;
  /**
   * Run the projections (and the SLA monitor) in this process; API-only replicas do not: they
   * follow the projector processes' progress through the read store. `'thread'`: in a worker
   * thread of this process (projector-thread.ts), followed like a projector process, so the
   * event loop only serves; from the TypeScript sources (tests), where a thread cannot load the
   * code, in this process as with `true`.
   */
  projections?: boolean | 'thread';
  /** Appends of the projector thread (`projections: 'thread'`), for this thread's metrics. */
  onThreadAppend?: (record: AppendRecord) => void;
  /** This process's name among projectors (default host:pid:random). */
  projectorId?: string; /** Wraps the event store, e.g. to time its appends (observability/eventstore). */
  instrumentEvents?: (events: EventStore) => EventStore;
  /**
   * The server's write path on the embedded stores: concurrent appends grouped into one commit
   * (eventstore/sqlite.ts) and the event log checkpointed from a worker thread instead of inside
   * commits on the event loop (wal-checkpointer.ts). Default off.
   */
  backgroundCheckpoints?: boolean;
}

/** Everything the process runs, wired from the configuration: the composition root. */
export interface App {
  config: Config;
  events: EventStore;
  readStore: ReadStore;
  handler: CommandHandler;
  /** Projects in this process (started only when `projections` is on). */
  runner: ProjectionRunner;
  /** What queries read through: the runner, or in an API-only replica a follower. */
  projections: ProjectionsView;
  slaMonitor: SlaMonitor;
  /** Signs anchors of every stream head (only with ANCHOR_SECRET, where projections run). */
  anchorer: Anchorer | undefined;
  start(): Promise<void>;
  /** Stores reachable and every projection within `maxLagSeconds` of the log. */
  ready(maxLagSeconds: number): Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** WAL pages a commit lets grow before checkpointing itself, with a background checkpointer. */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;

/** The configured event store alone (commands that need no read models: seed, verify, export). */
export const openEventStore = (
  config: Config,
  { backgroundCheckpoints = false }: Pick<AppOptions, 'backgroundCheckpoints'> = {},
): EventStore =>
  config.EVENTSTORE_URL
    ? createEsdbEventStore(config.EVENTSTORE_URL)
    : openSqlite(
        join(config.DATA_DIR, 'events.db'),
        (file) =>
          new SqliteEventStore(
            file,
            backgroundCheckpoints
              ? { autocheckpointPages: BACKSTOP_CHECKPOINT_PAGES, groupCommit: true }
              : {},
          ),
      );

const openReadStore = (config: Config, writes: boolean): Promise<ReadStore> =>
  config.MONGODB_URI
    ? createMongoReadStore(config.MONGODB_URI, config.MONGODB_DB)
    : Promise.resolve(
        openSqlite(
          join(config.DATA_DIR, 'readmodels.db'),
          // Its WAL is checkpointed where the projections write it.
          (file) => new SqliteReadStore(file, { backgroundCheckpoints: writes }),
        ),
      );

export const openApp = async (config: Config, options: AppOptions = {}): Promise<App> => {
  const clock = options.clock ?? (() => new Date());
  const events = await withPrivacy(
    (options.instrumentEvents ?? ((e) => e))(openEventStore(config, options)),
    // Every process and thread that decrypts follows the erasures: the follower also drops
    // the forgotten lead's key from this vault's cache (the projector thread has its own).
    config,
  );
  const threadScript = options.projections === 'thread' ? projectorThreadScript() : undefined;
  if (threadScript && options.clock) {
    await events.close();
    throw new TypeError(
      'a projector thread keeps its own clock: inject one with projections: true',
    );
  }
  const runProjections = threadScript ? false : (options.projections ?? true) !== false;
  const readStore = await openReadStore(config, runProjections);
  const handler = new CommandHandler(events, { clock });
  // Leased even when alone: a second process on the same stores (another `npm start` on the
  // same DATA_DIR, a second projector) stands by instead of writing the same read models.
  const runner = new ProjectionRunner(events, readStore, PROJECTIONS, {
    clock,
    // MongoDB: fresh generations are built in SQLite first, then loaded document by document.
    ...(config.MONGODB_URI ? { staging: sqliteStaging(join(config.DATA_DIR, 'staging')) } : {}),
    lease: {
      owner: options.projectorId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      ttlMs: config.PROJECTOR_LEASE_MS,
    },
    ...options.runner,
  });
  const follower = runProjections
    ? undefined
    : new ProjectionFollower(events, readStore, PROJECTIONS, {
        clock,
        ...(options.runner?.onError ? { onError: options.runner.onError } : {}),
      });
  let thread: ProjectorThread | undefined;
  const projections: ProjectionsView = follower ?? runner;
  const slaMonitor = new SlaMonitor({
    handler,
    clock,
    dueDeadlines: (now) => dueDeadlines(projections.access, now, SLA_MONITOR_BATCH),
  });
  const anchorer = config.ANCHOR_SECRET
    ? new Anchorer({ events: sealedStore(events), secret: config.ANCHOR_SECRET, clock })
    : undefined;
  // The event log's (the read store checkpoints its own file in the background).
  const checkpointers: WalCheckpointer[] = [];
  if (options.backgroundCheckpoints && !config.EVENTSTORE_URL) {
    checkpointers.push(startWalCheckpointer(join(config.DATA_DIR, 'events.db')));
  }
  return {
    config,
    events,
    readStore,
    handler,
    runner,
    projections,
    slaMonitor,
    anchorer,
    async start() {
      if (threadScript && follower) {
        thread = await startProjectorThread(threadScript, config, {
          onAdvance: () => follower.poke(),
          ...(options.onThreadAppend ? { onAppended: options.onThreadAppend } : {}),
          onError: options.runner?.onError ?? ((error) => console.error('projector:', error)),
        });
      }
      if (follower) return follower.start();
      await runner.start();
      slaMonitor.start(config.SLA_MONITOR_INTERVAL_MS);
      anchorer?.start(config.ANCHOR_INTERVAL_MS);
    },
    async ready(maxLagSeconds) {
      // Bounded: a store that does not answer is as unreachable as one that refuses.
      const reach = (probe: Promise<unknown>) =>
        within(
          probe.then(
            () => 'ok',
            (error: unknown) =>
              `unreachable: ${error instanceof Error ? error.message : String(error)}`,
          ),
          READY_PROBE_MS,
          `unreachable: no answer within ${READY_PROBE_MS} ms`,
        );
      const [eventStore, readStoreCheck] = await Promise.all([
        reach(events.headPosition()),
        reach(readStore.readMeta('ready-probe')),
      ]);
      const lagging = (
        await within(
          projections.status().catch(() => []),
          READY_PROBE_MS,
          [],
        )
      )
        .filter((s) => s.lagSeconds > maxLagSeconds)
        .map((s) => s.name);
      return {
        ok: eventStore === 'ok' && readStoreCheck === 'ok' && lagging.length === 0,
        checks: { eventStore, readStore: readStoreCheck, laggingProjections: lagging },
      };
    },
    async close() {
      await slaMonitor.stop();
      await anchorer?.stop();
      await (follower ? follower.stop() : runner.stop());
      await thread?.stop();
      await Promise.all(checkpointers.map((c) => c.stop()));
      await readStore.close();
      await events.close();
    },
  };
};
