import { openApp, type App, type AppOptions } from '../app/composition';
import type { Config } from '../app/config';
import { createAuthenticator } from '../graphql/auth';
import type { Services } from '../graphql/context';
import { LiveFeed } from '../graphql/live-feed';
import { buildLeadLedgerSchema } from '../graphql/schema';
import { createHttpServer, type HttpServer } from './http';
import { Metrics } from './metrics';

export type Log = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** One JSON line per message on stderr. */
export const jsonLog: Log = (level, message, fields = {}) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`,
  );
};

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
  log?: Log;
  host?: string;
}

/** Opens the stores, starts projections and the SLA monitor, and serves the API. */
export const serve = async (config: Config, options: ServeOptions = {}): Promise<Running> => {
  const log = options.log ?? jsonLog;
  const production = config.NODE_ENV === 'production';
  const authenticator = createAuthenticator(config.JWT_SECRET);
  if (authenticator.open) {
    log(
      'warn',
      'JWT_SECRET is not set: the API is open and every request acts as an ADMIN (development only)',
    );
  }
  const app = await openApp(config, options);
  const { runner } = app;
  const services: Services = {
    handler: app.handler,
    events: app.events,
    access: runner.access,
    projections: runner,
    consistencyWaitMs: config.CONSISTENCY_WAIT_MS,
    clock: options.clock ?? (() => new Date()),
  };
  const feed = new LiveFeed(
    app.events,
    runner.access,
    (p, ms) => runner.waitFor(p, ms),
    (error) => log('error', 'live feed failed', { error: String(error) }),
  );
  const metrics = new Metrics(() => runner.status());
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
      log,
    });
    // An open server acts as ADMIN for anyone who reaches it: keep it on this machine.
    const host = options.host ?? config.HOST ?? (authenticator.open ? '127.0.0.1' : undefined);
    const port = await http.listen(config.PORT, host).catch(async (error: unknown) => {
      await http.close();
      throw error;
    });
    const url = `http://${host ?? 'localhost'}:${port}/graphql`;
    log('info', 'Lead Ledger API listening', {
      url,
      events: config.EVENTSTORE_URL ? 'EventStoreDB' : 'SQLite',
      readModels: config.MONGODB_URI ? 'MongoDB' : 'SQLite',
      dataDir: config.EVENTSTORE_URL && config.MONGODB_URI ? undefined : config.DATA_DIR,
    });
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
            await app.close();
          }
        }
      },
    };
  } catch (error) {
    await feed.stop().catch(() => undefined);
    await app.close().catch(() => undefined);
    throw error;
  }
};
