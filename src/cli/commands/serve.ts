import type { Config } from '../../app/config';
import { serve } from '../../server/serve';
import { HELP, parseCommand } from '../args';
import { defaultStart, seedDemo, SMALL_DEMO } from '../demo-seed';
import type { Logger } from '../../observability/logger';
import { EXIT, stopRequested, type Io } from '../io';
import { commandLogger } from '../logger';
import { appOptions, configOf, withStores } from '../open-app';
import type { AppOptions } from '../../app/composition';

export const summary = 'serve the GraphQL API (with the projections and the SLA monitor)';

const help = `Usage: leadledger serve [--no-projections | --projections-thread] [--demo]

Opens the stores and serves POST/GET /graphql, graphql-ws subscriptions on the same path,
/healthz, /readyz and /metrics on PORT (default 4000); runs the projections and the SLA
monitor in process. \`npm start\` runs this command (\`npm start -- --demo\`).
Logs JSON lines on stderr. On SIGTERM or Ctrl-C it stops accepting requests, drains those in
flight, finishes the projection batch under way and closes the stores (a second signal exits
at once; after 30 s it exits anyway).

Options:
  --no-projections   serve only: no projections, no SLA monitor (API replicas beside a
                     \`leadledger project\` process)
  --projections-thread
                     run them (and the anchorer) in a worker thread of their own instead
                     of on the event loop that serves requests: more mutations/s on two
                     cores; experimental (its RSS grows ~1.5-2 MB/min under load, only
                     partly explained; see ADR 012)
  --demo             when the event store is empty, first write a small demo year
                     (${SMALL_DEMO.leads} leads, seed "${SMALL_DEMO.seed}", ending today) through the command handler
  -h, --help         show this help

Configuration comes from the environment (PORT, DATA_DIR, EVENTSTORE_URL, MONGODB_URI,
JWT_SECRET, ...: see the README). Exit codes: 0 stopped cleanly, 1 failure (bad
configuration, store unreachable, port in use), 2 usage error.`;

const line = {
  options: {
    ...HELP,
    'no-projections': { type: 'boolean' },
    'projections-thread': { type: 'boolean' },
    demo: { type: 'boolean' },
  },
} as const;

/** Loads the small demo when the store is empty; says whether the store is (still) empty. */
const loadDemoIfEmpty = (
  io: Io,
  config: Config,
  logger: Logger,
  load: boolean,
  shouldStop: () => boolean,
): Promise<boolean> =>
  withStores(io, config, { projections: false }, async (app) => {
    if ((await app.events.headPosition()) !== '') return false;
    if (!load) return true;
    const now = io.app?.clock?.() ?? new Date();
    const params = { ...SMALL_DEMO, days: 365, start: defaultStart(365, now) };
    logger.info(
      { ...params },
      'the event store is empty: writing a demo year through the command handler',
    );
    const started = Date.now();
    const result = await seedDemo(app.events, params, { shouldStop });
    logger.info(
      {
        commands: result.commands,
        events: result.events,
        rejected: result.rejected,
        ms: Date.now() - started,
      },
      'demo loaded',
    );
    return false;
  });

/** Where the projections run: in the serving event loop unless asked for a thread. */
const projectionsMode = (
  values: { 'no-projections'?: boolean; 'projections-thread'?: boolean },
  io: Io,
): AppOptions['projections'] => {
  if (values['no-projections']) return false;
  // A thread keeps its own clock: tests that inject one run the projections inline.
  return values['projections-thread'] && !io.app?.clock ? 'thread' : true;
};

export const run = async (args: string[], io: Io): Promise<number> => {
  const parsed = parseCommand(help, line, args, io);
  if (!parsed) return EXIT.OK;
  const { values } = parsed;
  const config = configOf(io);
  const logger = commandLogger(io, config);
  let stopping = false;
  const stop = stopRequested(io).then((signal) => {
    stopping = true;
    return signal;
  });
  const empty = await loadDemoIfEmpty(io, config, logger, values.demo ?? false, () => stopping);
  if (stopping) {
    logger.info(`${await stop}: stopped before serving`);
    return EXIT.OK;
  }
  const running = await serve(config, {
    ...appOptions(io, { projections: projectionsMode(values, io) }),
    logger,
  });
  if (empty) {
    logger.info(
      'The event store is empty. For demo data, restart with `npm start -- --demo` (or `leadledger serve --demo`), or run `leadledger seed --leads 1000` first.',
    );
  }
  const signal = await stop;
  logger.info(`${signal}: shutting down`);
  await running.close();
  return EXIT.OK;
};
