import { PROJECTIONS } from '../../projections/catalog';
import { HELP, parseCommand } from '../args';
import { EXIT, type Io } from '../io';
import { configOf, withStores } from '../open-app';
import { lagAfter } from '../../projections/generations';
import { readProjectionRecord, type ProjectionRecord } from '../projection-records';
import { formatCount } from '../progress';

export const summary = 'projection positions and lag (events and seconds)';

const help = `Usage: leadledger status [--json]

Prints, per projection, the generation queries read, the last event position it applied and
how far it lags behind the event store (events, and seconds since the first event it has not
applied), and whether a rebuild is under way. Reads the stores only: it starts no projector.

Options:
  --json       print JSON for machines
  -h, --help   show this help

Exit codes: 0 done, 1 failure (stores unreachable).`;

const line = { options: { ...HELP, json: { type: 'boolean' } } } as const;

export interface ProjectionLag {
  name: string;
  generation: number | null;
  version: number;
  /** The version the live generation was built with (a difference: rebuilt at next start). */
  storedVersion: number | null;
  position: string;
  /** Counted up to 100,000 (counting is a scan on some stores). */
  lagEvents: number;
  lagSeconds: number;
  /** Generation being rebuilt, if any. */
  building: number | null;
}

const stateOf = (p: ProjectionLag): string => {
  if (p.generation === null) return 'not started';
  if (p.building !== null) return `rebuilding into g${p.building}`;
  if (p.storedVersion !== p.version) {
    return `built by v${p.storedVersion}, code is v${p.version}: rebuilds at next start`;
  }
  return p.lagEvents === 0 ? 'up to date' : 'catching up';
};

const table = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = new Set([3, 4]);
  return rows
    .map((r) =>
      r
        .map((cell, i) =>
          i === r.length - 1
            ? cell
            : numeric.has(i)
              ? cell.padStart(widths[i]!)
              : cell.padEnd(widths[i]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

export const run = async (args: string[], io: Io): Promise<number> => {
  const parsed = parseCommand(help, line, args, io);
  if (!parsed) return EXIT.OK;
  const config = configOf(io);
  return withStores(io, config, { projections: false }, async (app) => {
    const now = (io.app?.clock?.() ?? new Date()).getTime();
    const head = await app.events.headPosition();
    const projections: ProjectionLag[] = [];
    for (const projection of PROJECTIONS) {
      const record: ProjectionRecord = await readProjectionRecord(app.readStore, projection);
      const { lagEvents, lagSeconds } = await lagAfter(app.events, record.position, now);
      projections.push({
        name: record.name,
        generation: record.live?.generation ?? null,
        version: record.version,
        storedVersion: record.live?.version ?? null,
        position: record.position,
        lagEvents,
        lagSeconds: Math.round(lagSeconds * 10) / 10,
        building: record.building?.generation ?? null,
      });
    }
    if (parsed.values.json) {
      io.stdout.write(`${JSON.stringify({ head, projections }, null, 2)}\n`);
      return EXIT.OK;
    }
    const rows = [
      ['projection', 'generation', 'position', 'lag events', 'lag seconds', 'state'],
      ...projections.map((p) => [
        p.name,
        p.generation === null ? '-' : `g${p.generation}`,
        p.position === '' ? '-' : p.position,
        formatCount(p.lagEvents),
        p.lagSeconds.toFixed(1),
        stateOf(p),
      ]),
    ];
    io.stdout.write(`event store head: ${head === '' ? '(empty)' : head}\n\n${table(rows)}\n`);
    return EXIT.OK;
  });
};
