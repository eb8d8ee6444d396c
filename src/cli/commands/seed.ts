import { MAX_DEMO_DAYS } from '../../demo/generator';
import { DEMO_DAYS } from '../../demo/schedule';
import { HELP, integerOption, parseCommand } from '../args';
import { defaultStart, seedDemo, type SeedResult } from '../demo-seed';
import { EXIT, stopRequested, UsageError, type Io } from '../io';
import { configOf, withStores } from '../open-app';
import { formatCount, progressBar } from '../progress';

export const summary = 'write a deterministic demo year through the command handler';

const DEFAULT_LEADS = 1_000;
const DEFAULT_SEED = 'leadledger';
const MAX_LEADS = 10_000_000;

const help = `Usage: leadledger seed [--leads N] [--seed S] [--days D] [--start DATE] [--force] [--json]

Writes a realistic demo story through the command handler (never straight into the stores):
an SLA agreement and its mid-year revision, campaigns with monthly costs across channels,
webinars and trade shows, goals, then leads captured over the period with touches, scores,
MQLs, handoffs (accepted in time or late, rejected, breached), contact attempts, SQLs and
deals won or lost with reasons, and one rep who burns through leads.

The same --leads, --seed, --days and --start write the same events (ids included): the
summary's digest is equal. Commands carry idempotency keys, so an interrupted seed finishes
when run again with --force.

Options:
  --leads N      leads captured over the period (default ${DEFAULT_LEADS})
  --seed S       random seed (default "${DEFAULT_SEED}")
  --days D       length of the story in days (default ${DEMO_DAYS})
  --start DATE   first day (ISO-8601; default: D days before today, UTC, so the story ends today)
  --force        write into an event store that already holds events
  --json         print the summary as JSON
  -h, --help     show this help

Exit codes: 0 done, 1 failure (a refused command, an unreachable store, interrupted),
2 usage error (e.g. a non-empty store without --force).`;

const line = {
  options: {
    ...HELP,
    leads: { type: 'string' },
    seed: { type: 'string' },
    days: { type: 'string' },
    start: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
} as const;

const parseStart = (value: string | undefined, days: number, now: Date): string => {
  if (value === undefined) return defaultStart(days, now);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new UsageError(`--start must be an ISO-8601 date or instant, not "${value}"`);
  }
  return new Date(ms).toISOString();
};

const printSummary = (io: Io, result: SeedResult) => {
  const { params } = result;
  const out: string[] = [
    `${result.interrupted ? 'interrupted' : 'seeded'}: ${formatCount(params.leads)} leads, seed "${params.seed}", ${params.days} days from ${params.start}`,
    `  commands      ${formatCount(result.commands)}`,
    `  events        ${formatCount(result.events)}`,
    `  deduplicated  ${formatCount(result.deduplicated)} (written by an earlier run)`,
    `  rejected      ${formatCount(result.rejected)}`,
    `  digest        ${result.digest}`,
    'events by type:',
  ];
  const types = Object.entries(result.eventsByType).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(0, ...types.map(([type]) => type.length));
  for (const [type, count] of types) {
    out.push(`  ${type.padEnd(width)}  ${formatCount(count).padStart(9)}`);
  }
  io.stdout.write(`${out.join('\n')}\n`);
};

export const run = async (args: string[], io: Io): Promise<number> => {
  const parsed = parseCommand(help, line, args, io);
  if (!parsed) return EXIT.OK;
  const { values } = parsed;
  const leads = integerOption('leads', values.leads, DEFAULT_LEADS, 1, MAX_LEADS);
  const days = integerOption('days', values.days, DEMO_DAYS, 1, MAX_DEMO_DAYS);
  const seed = values.seed ?? DEFAULT_SEED;
  if (seed === '') throw new UsageError('--seed must not be empty');
  const start = parseStart(values.start, days, io.app?.clock?.() ?? new Date());
  const config = configOf(io);

  return withStores(io, config, { projections: false }, async (app) => {
    if (!values.force && (await app.events.headPosition()) !== '') {
      throw new UsageError(
        'the event store already holds events: pass --force to add the demo to them',
      );
    }
    let stop = false;
    void stopRequested(io).then(() => (stop = true));
    const bar = progressBar(io, 'seed', { counts: false });
    const result = await seedDemo(
      app.events,
      { leads, seed, days, start },
      {
        shouldStop: () => stop,
        onProgress: (share, events, occurredAt) =>
          bar.update(
            Math.round(share * 1000),
            1000,
            `${formatCount(events)} events, ${occurredAt.slice(0, 10)}`,
          ),
      },
    );
    bar.finish();
    if (values.json) {
      const { samples, ...rest } = result;
      io.stdout.write(
        `${JSON.stringify({ ...rest, samples: samples.map((s) => ({ type: s.command.type, error: s.error })) }, null, 2)}\n`,
      );
    } else {
      printSummary(io, result);
    }
    if (result.rejected > 0) {
      const first = result.samples[0];
      io.stderr.write(
        `leadledger seed: ${formatCount(result.rejected)} demo commands were refused${first ? ` (first: ${first.command.type}: ${first.error})` : ''}\n`,
      );
      return EXIT.FAILURE;
    }
    if (result.interrupted) {
      io.stderr.write(
        'leadledger seed: interrupted: run the same command with --force to finish (what was written is skipped)\n',
      );
      return EXIT.FAILURE;
    }
    return EXIT.OK;
  });
};
