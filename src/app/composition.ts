import { join } from 'node:path';
import { CommandHandler } from '../commands/handle';
import { createEsdbEventStore } from '../eventstore/esdb';
import type { EventStore } from '../eventstore/port';
import { SqliteEventStore } from '../eventstore/sqlite';
import { SlaMonitor } from '../processes/sla-monitor';
import { PROJECTIONS } from '../projections/catalog';
import { ProjectionRunner, type RunnerOptions } from '../projections/runner';
import { dueDeadlines } from '../projections/sla-deadlines/queries';
import { createMongoReadStore } from '../readstore/mongo';
import type { ReadStore } from '../readstore/port';
import { SqliteReadStore } from '../readstore/sqlite';
import type { Config } from './config';

/** Due deadlines the SLA monitor handles per tick; the rest wait for the next tick. */
const SLA_MONITOR_BATCH = 100;

export interface AppOptions {
  clock?: () => Date;
  runner?: RunnerOptions;
  /** Run the projections (and the SLA monitor) in this process; API-only replicas do not. */
  projections?: boolean;
}

/** Everything the process runs, wired from the configuration: the composition root. */
export interface App {
  config: Config;
  events: EventStore;
  readStore: ReadStore;
  handler: CommandHandler;
  runner: ProjectionRunner;
  slaMonitor: SlaMonitor;
  start(): Promise<void>;
  /** Stores reachable and every projection within `maxLagSeconds` of the log. */
  ready(maxLagSeconds: number): Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  close(): Promise<void>;
}

const openEventStore = (config: Config): EventStore =>
  config.EVENTSTORE_URL
    ? createEsdbEventStore(config.EVENTSTORE_URL)
    : new SqliteEventStore(join(config.DATA_DIR, 'events.db'));

const openReadStore = (config: Config): Promise<ReadStore> =>
  config.MONGODB_URI
    ? createMongoReadStore(config.MONGODB_URI, config.MONGODB_DB)
    : Promise.resolve(new SqliteReadStore(join(config.DATA_DIR, 'readmodels.db')));

export const openApp = async (config: Config, options: AppOptions = {}): Promise<App> => {
  const clock = options.clock ?? (() => new Date());
  const events = openEventStore(config);
  const readStore = await openReadStore(config);
  const handler = new CommandHandler(events, { clock });
  const runner = new ProjectionRunner(events, readStore, PROJECTIONS, {
    clock,
    ...options.runner,
  });
  const slaMonitor = new SlaMonitor({
    handler,
    clock,
    dueDeadlines: (now) => dueDeadlines(runner.access, now, SLA_MONITOR_BATCH),
  });
  const runProjections = options.projections ?? true;
  return {
    config,
    events,
    readStore,
    handler,
    runner,
    slaMonitor,
    async start() {
      if (!runProjections) return;
      await runner.start();
      slaMonitor.start(config.SLA_MONITOR_INTERVAL_MS);
    },
    async ready(maxLagSeconds) {
      const reach = (probe: Promise<unknown>) =>
        probe.then(
          () => 'ok',
          (error: unknown) =>
            `unreachable: ${error instanceof Error ? error.message : String(error)}`,
        );
      const [eventStore, readStoreCheck] = await Promise.all([
        reach(events.headPosition()),
        reach(readStore.readMeta('ready-probe')),
      ]);
      const lagging = runProjections
        ? (await runner.status()).filter((s) => s.lagSeconds > maxLagSeconds).map((s) => s.name)
        : [];
      return {
        ok: eventStore === 'ok' && readStoreCheck === 'ok' && lagging.length === 0,
        checks: { eventStore, readStore: readStoreCheck, laggingProjections: lagging },
      };
    },
    async close() {
      await slaMonitor.stop();
      await runner.stop();
      await readStore.close();
      await events.close();
    },
  };
};
