import { PROJECTIONS } from '../../projections/catalog';
import { HELP, parseCommand } from '../args';
import { errorMessage, EXIT, stopRequested, UsageError, type Io } from '../io';
import { configOf, withStores } from '../open-app';
import { buildingPosition, readProjectionRecord } from '../projection-records';
import { formatCount, progressBar } from '../progress';

export const summary = 'rebuild projections into a new generation, then switch to it';

const NAMES = PROJECTIONS.map((p) => p.name);
const POLL_MS = 500;
/** Events are counted up to this many for the progress bar. */
const COUNT_LIMIT = Number.MAX_SAFE_INTEGER;

const help = `Usage: leadledger rebuild [PROJECTION...]

Replays the whole event log into a new generation of each named projection (default: all, one
after the other) while the current generation stays live, lets the new one catch up with the
live one, switches queries to it and drops the old one. Interrupted (SIGTERM, Ctrl-C), a
rebuild resumes from its last checkpoint the next time it runs.

This process runs the projections while it works, as a projector. A projection whose lease
another projector process holds (serve without --no-projections, project) is not rebuilt
here: stop that process first (its lease is released on a clean stop), or the rebuild is
refused. API replicas and standby projectors follow the switch to the new generation.

Projections: ${NAMES.join(', ')}

Options:
  -h, --help   show this help

Exit codes: 0 done, 1 failure (store unreachable, rebuild failed, interrupted), 2 usage error.`;

const line = { options: { ...HELP }, allowPositionals: true } as const;

export const run = async (args: string[], io: Io): Promise<number> => {
  const parsed = parseCommand(help, line, args, io);
  if (!parsed) return EXIT.OK;
  const unknown = parsed.positionals.filter((name) => !NAMES.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown projection ${unknown.join(', ')} (projections: ${NAMES.join(', ')})`,
    );
  }
  const names = parsed.positionals.length > 0 ? [...new Set(parsed.positionals)] : NAMES;
  const config = configOf(io);
  const options = {
    runner: {
      onError: (error: unknown) => {
        io.stderr.write(`leadledger rebuild: projection runner: ${errorMessage(error)}\n`);
      },
    },
  };
  return withStores(io, config, options, async (app) => {
    const { runner, readStore, events } = app;
    let interrupted = false;
    void stopRequested(io).then(async () => {
      interrupted = true;
      await runner.stop();
    });
    // Only the projections: the SLA monitor has no business in a maintenance run.
    await runner.start();
    const held = new Set(runner.heldProjections());
    const elsewhere = names.filter((name) => !held.has(name));
    if (elsewhere.length > 0) {
      throw new Error(
        `another projector process runs ${elsewhere.join(', ')} (it holds the lease): stop it, then rebuild`,
      );
    }
    for (const name of names) {
      if (interrupted) break;
      const projection = PROJECTIONS.find((p) => p.name === name)!;
      const before = await readProjectionRecord(readStore, projection);
      const total = await events.countAfter('', COUNT_LIMIT);
      const started = Date.now();
      const bar = progressBar(io, `rebuild ${name}`);
      const poll = setInterval(() => {
        void (async () => {
          const position = await buildingPosition(readStore, name);
          if (position === null) return;
          const left = await events.countAfter(position, COUNT_LIMIT);
          bar.update(Math.max(0, total - left), total, 'events');
        })().catch(() => undefined);
      }, POLL_MS);
      try {
        await runner.rebuild(name);
      } finally {
        clearInterval(poll);
      }
      if (interrupted) {
        bar.finish();
        break;
      }
      bar.update(total, total, 'events');
      bar.finish();
      const after = await readProjectionRecord(readStore, projection);
      if (after.live?.generation === before.live?.generation) {
        throw new Error(`${name} was not switched to a new generation (its lease was lost?)`);
      }
      io.stdout.write(
        `rebuilt ${name}: generation ${before.live?.generation ?? '-'} -> ${after.live?.generation ?? '-'}, ${formatCount(total)} events in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    }
    if (interrupted) {
      io.stderr.write(
        'leadledger rebuild: interrupted: run it again to resume from the last checkpoint\n',
      );
      return EXIT.FAILURE;
    }
    return EXIT.OK;
  });
};
