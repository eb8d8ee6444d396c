import { join } from 'node:path';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import { openApp, type App, type AppOptions } from '../app/composition';
import type { Config } from '../app/config';
import { createAuthenticator } from '../graphql/auth';
import type { Services } from '../graphql/context';
import { LiveFeed } from '../graphql/live-feed';
import { createResultCache, sqliteReadModelVersion } from '../graphql/result-cache';
import { buildLeadLedgerSchema } from '../graphql/schema';
import { instrumentCommands } from '../observability/commands';
import { sealedStore } from '../privacy/vault';
import { instrumentEventStore, recordAppend } from '../observability/eventstore';
import { loggerFromLog, rootLogger, type Log, type Logger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { NO_TRACING, startTracing } from '../observability/tracing';
import { createHttpServer, type HttpServer } from './http';

export { jsonLog, type Log } from '../observability/logger';

export interface Running {
  app: App;
  /** What the resolvers use (e.g. to execute the schema without HTTP). */
  services: Services;
  http: HttpServer;
  /** The port listened on (useful with PORT=0). */
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions extends AppOptions {
  /** Where log lines go as `(level, message, fields)`; default: pino JSON lines on stderr. */
  log?: Log;
  /** A pino logger to write to instead (e.g. over a test's stream); wins over `log`. */
  logger?: Logger;
  /** With OTEL_ENABLED: spans go here instead of OTLP over HTTP (tests: an in-memory exporter). */
  spanExporter?: SpanExporter;
  host?: string;
}

/** The logger `serve` writes to: the caller's, or the process's at LOG_LEVEL. */
const loggerFor = (config: Config, options: ServeOptions): Logger => {
  if (options.logger) return options.logger;
  if (options.log) return loggerFromLog(options.log, config.LOG_LEVEL);
  const root = rootLogger();
  root.level = config.LOG_LEVEL;
  return root;
};

/** Opens the stores, starts projections and the SLA monitor, and serves the API. */
export const serve = async (config: Config, options: ServeOptions = {}): Promise<Running> => {
  const logger = loggerFor(config, options);
  const production = config.NODE_ENV === 'production';
  const authenticator = createAuthenticator(config.JWT_SECRET);
  if (authenticator.open) {
    logger.warn(
      'JWT_SECRET is not set: the API is open and every request acts as an ADMIN (development only)',
    );
  }
  const metrics = new Metrics();
  const tracing = config.OTEL_ENABLED
    ? startTracing({ exporter: options.spanExporter, logger })
    : NO_TRACING;
  const appOptions: AppOptions = {
    backgroundCheckpoints: true,
    ...options,
    runner: {
      onError: (error) => logger.error({ err: error }, 'projection runner failed'),
      ...options.runner,
    },
    instrumentEvents: (events) => instrumentEventStore(events, { metrics, tracing }),
    onThreadAppend: (record) => recordAppend(metrics, record),
  };
  const app = await openApp(config, appOptions).catch(async (error: unknown) => {
    await tracing.shutdown().catch(() => undefined);
    throw error;
  });
  // The projections this process runs, or in an API-only replica the projectors' progress.
  const runner = app.projections;
  metrics.watchProjections(() => runner.status());
  // Embedded read models have a version that any commit to them changes: query answers are
  // reused while it holds. MongoDB has no such cheap version; its queries always read.
  let readModels: ReturnType<typeof sqliteReadModelVersion> | undefined;
  try {
    readModels = config.MONGODB_URI
      ? undefined
      : sqliteReadModelVersion(join(config.DATA_DIR, 'readmodels.db'));
  } catch (error) {
    await app.close().catch(() => undefined);
    await tracing.shutdown().catch(() => undefined);
    throw error;
  }
  const services: Services = {
    handler: instrumentCommands(app.handler, { metrics, tracing }),
    events: app.events,
    access: runner.access,
    projections: runner,
    consistencyWaitMs: config.CONSISTENCY_WAIT_MS,
    clock: options.clock ?? (() => new Date()),
    ...(readModels ? { cache: createResultCache(readModels.version) } : {}),
  };
  // The feed reads ids, types and positions only: it follows the log as stored, with no
  // personal data to decrypt (SlaBreached, the one payload passed on whole, holds none).
  const feed = new LiveFeed(
    sealedStore(app.events),
    runner.access,
    (p, ms) => runner.waitFor(p, ms),
    (error) => logger.error({ err: error }, 'live feed failed'),
  );
  try {
    await app.start();
    await feed.start();
    const http = await createHttpServer({
      schema: await buildLeadLedgerSchema(feed.pubSub),
      services,
      authenticator,
      metrics,
      limits: {
        maxDepth: config.MAX_QUERY_DEPTH,
        maxAliases: config.MAX_QUERY_ALIASES,
        maxComplexity: config.MAX_QUERY_COMPLEXITY,
      },
      introspection: config.GRAPHQL_INTROSPECTION ?? !production,
      landingPage: !production,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      ready: () => app.ready(config.READY_MAX_LAG_SECONDS),
      ...(readModels ? { readModelVersion: readModels.version } : {}),
      logger,
      tracing,
    });
    // An open server acts as ADMIN for anyone who reaches it: keep it on this machine.
    const host = options.host ?? config.HOST ?? (authenticator.open ? '127.0.0.1' : undefined);
    const port = await http.listen(config.PORT, host).catch(async (error: unknown) => {
      await http.close();
      throw error;
    });
    const url = `http://${host ?? 'localhost'}:${port}/graphql`;
    logger.info(
      {
        url,
        events: config.EVENTSTORE_URL ? 'EventStoreDB' : 'SQLite',
        readModels: config.MONGODB_URI ? 'MongoDB' : 'SQLite',
        dataDir: config.EVENTSTORE_URL && config.MONGODB_URI ? undefined : config.DATA_DIR,
        tracing: tracing.enabled,
      },
      'Lead Ledger API listening',
    );
    return {
      app,
      services,
      http,
      port,
      url,
      async close() {
        try {
          await http.close();
        } finally {
          try {
            await feed.stop();
          } finally {
            try {
              readModels?.close();
              await app.close();
            } finally {
              // Spans that cannot be exported are not a reason to fail the shutdown.
              await tracing.shutdown().catch((error: unknown) => {
                logger.warn({ err: error }, 'the last spans could not be exported');
              });
            }
          }
        }
      },
    };
  } catch (error) {
    await feed.stop().catch(() => undefined);
    readModels?.close();
    await app.close().catch(() => undefined);
    await tracing.shutdown().catch(() => undefined);
    throw error;
  }
};
