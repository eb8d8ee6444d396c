import { SlaMonitor } from '../../processes/sla-monitor';
import { PROJECTIONS } from '../../projections/catalog';
import { dueDeadlines } from '../../projections/sla-deadlines/queries';
import { HELP, parseCommand } from '../args';
import { EXIT, stopRequested, type Io } from '../io';
import { commandLogger } from '../logger';
import { configOf, openStores } from '../open-app';
import { lagAfter } from '../../projections/generations';
import { readProjectionRecord } from '../projection-records';

export const summary = 'only the SLA monitor: record breaches as deadlines pass';

/** Due deadlines handled per tick (as in the composition root); the rest wait for the next. */
const BATCH = 100;
const LAG_CHECK_MS = 60_000;
const SLA_DEADLINES = 'slaDeadlines';

const help = `Usage: leadledger sla-monitor

Only the SLA monitor loop: every SLA_MONITOR_INTERVAL_MS it reads the deadlines that have
passed from the sla-deadlines read model and records SlaBreached through the command handler
(the lead's decider has the last word: a handoff accepted meanwhile is not breached, and no
deadline is breached twice).

It does not project: the sla-deadlines read model must be kept current by a projector
(\`leadledger project\`, or \`leadledger serve\` with projections), which runs a monitor
itself. Use this command for a monitor of its own beside API-only replicas; running it beside
another monitor is harmless but redundant. It logs JSON lines on stderr and warns while the
read model is missing or lags more than READY_MAX_LAG_SECONDS.

Options:
  -h, --help   show this help

Exit codes: 0 stopped cleanly (SIGTERM, Ctrl-C), 1 failure (store unreachable), 2 usage error.`;

const line = { options: { ...HELP } } as const;

export const run = async (args: string[], io: Io): Promise<number> => {
  const parsed = parseCommand(help, line, args, io);
  if (!parsed) return EXIT.OK;
  const config = configOf(io);
  const logger = commandLogger(io, config);
  const stop = stopRequested(io);
  const clock = io.app?.clock ?? (() => new Date());
  // Without projections the app follows the projectors' generations through the read store.
  const app = await openStores(io, config, { projections: false });
  const projection = PROJECTIONS.find((p) => p.name === SLA_DEADLINES)!;
  let warnedMissing = false;
  let lastLagCheck = -Infinity;
  const checkLag = async (position: string) => {
    if (Date.now() - lastLagCheck < LAG_CHECK_MS) return;
    lastLagCheck = Date.now();
    const lag = await lagAfter(app.events, position, clock().getTime());
    if (lag.lagSeconds > config.READY_MAX_LAG_SECONDS) {
      logger.warn(
        { lagEvents: lag.lagEvents, lagSeconds: Math.round(lag.lagSeconds) },
        'the sla-deadlines read model lags: breaches are recorded late',
      );
    }
  };
  const monitor = new SlaMonitor({
    handler: app.handler,
    clock,
    dueDeadlines: async (now) => {
      const record = await readProjectionRecord(app.readStore, projection);
      if (!record.live) {
        if (!warnedMissing) {
          logger.warn(
            { hint: 'run `leadledger project` (or `leadledger serve`) on the same stores' },
            'no projector has built the sla-deadlines read model yet: waiting',
          );
          warnedMissing = true;
        }
        return [];
      }
      warnedMissing = false;
      await checkLag(record.position);
      return dueDeadlines(app.projections.access, now, BATCH);
    },
    onError: (error, due) =>
      logger.error(
        { err: error, ...due },
        due ? 'recording an SLA breach failed' : 'SLA monitor tick failed',
      ),
    onTick: (tick) => {
      if (tick.breached > 0 || tick.failed > 0 || tick.conflicts > 0) {
        logger.info({ ...tick }, 'SLA monitor tick');
      }
    },
  });
  try {
    await app.start();
    monitor.start(config.SLA_MONITOR_INTERVAL_MS);
    logger.info({ intervalMs: config.SLA_MONITOR_INTERVAL_MS }, 'Lead Ledger SLA monitor running');
    const signal = await stop;
    logger.info(`${signal}: stopping the SLA monitor`);
  } finally {
    await monitor.stop();
    await app.close();
  }
  logger.info('SLA monitor stopped');
  return EXIT.OK;
};
