import { HELP, integerOption, parseCommand } from '../args';
import { EXIT, stopRequested, type Io } from '../io';
import { commandLogger } from '../logger';
import { configOf, openStores } from '../open-app';

export const summary = 'run the projections (and the SLA monitor) without the API';

const DEFAULT_STATUS_EVERY_S = 30;

const help = `Usage: leadledger project [--status-every SECONDS]

The projector process: opens the stores, runs every projection from its checkpoint and then
live, and the SLA monitor that reads their sla-deadlines read model; no HTTP server. Logs JSON
lines on stderr, with every projection's position and lag now and then.

On SIGTERM or Ctrl-C it finishes the batch under way, stores the checkpoints and closes the
stores (a second signal exits at once; after 30 s it exits anyway).

Options:
  --status-every SECONDS   how often to log the projections' status (default ${DEFAULT_STATUS_EVERY_S}; 0: never)
  -h, --help               show this help

Exit codes: 0 stopped cleanly, 1 failure (store unreachable, shutdown failed), 2 usage error.`;

const line = { options: { ...HELP, 'status-every': { type: 'string' } } } as const;

export const run = async (args: string[], io: Io): Promise<number> => {
  const parsed = parseCommand(help, line, args, io);
  if (!parsed) return EXIT.OK;
  const every = integerOption(
    'status-every',
    parsed.values['status-every'],
    DEFAULT_STATUS_EVERY_S,
    0,
    86_400,
  );
  const config = configOf(io);
  const logger = commandLogger(io, config);
  const stop = stopRequested(io);
  const app = await openStores(io, config, {
    projections: true,
    runner: {
      onError: (error) => logger.error({ err: error }, 'projection runner failed'),
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await app.start();
    logger.info(
      {
        events: config.EVENTSTORE_URL ? 'EventStoreDB' : 'SQLite',
        readModels: config.MONGODB_URI ? 'MongoDB' : 'SQLite',
        dataDir: config.EVENTSTORE_URL && config.MONGODB_URI ? undefined : config.DATA_DIR,
        projections: app.runner.heldProjections(),
      },
      'Lead Ledger projector running',
    );
    const logStatus = async () => {
      const status = await app.runner.status();
      logger.info(
        {
          // A standby holds no lease: the projections are run by another projector.
          held: app.runner.heldProjections(),
          projections: status.map((s) => ({
            name: s.name,
            generation: s.generation,
            position: s.position,
            lagEvents: s.lagEvents,
            lagSeconds: Math.round(s.lagSeconds * 10) / 10,
            rebuilding: s.rebuilding,
          })),
        },
        'projection status',
      );
    };
    if (every > 0) {
      timer = setInterval(() => {
        logStatus().catch((error: unknown) =>
          logger.warn({ err: error }, 'projection status unavailable'),
        );
      }, every * 1000);
    }
    const signal = await stop;
    logger.info(`${signal}: finishing the current batch and stopping`);
  } finally {
    clearInterval(timer);
    await app.close();
  }
  logger.info('projector stopped');
  return EXIT.OK;
};
