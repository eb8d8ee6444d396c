import type { DocChange, Filter, Scalar } from '../readstore/port';

/**
 * Counts kept at three grains at once, so a report over any whole days reads few documents: a
 * fact adds to the document of its day (`D`, `2026-07-14`), its month (`M`, `2026-07`) and its
 * year (`Y`, `2026`), and a report over days [first, last] reads the fewest whole years, months
 * and days that tile it exactly (`coverOf`). Counts are integers (money in minor units), so
 * sums do not depend on the order or batching of the events.
 */

export type Grain = 'D' | 'M' | 'Y';
export const GRAINS: readonly Grain[] = ['D', 'M', 'Y'];

const DAY_MS = 86_400_000;

export const bucketOf = (day: string, grain: Grain): string =>
  grain === 'D' ? day : grain === 'M' ? day.slice(0, 7) : day.slice(0, 4);

export const addDays = (day: string, n: number): string =>
  new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** Whole days from `a` to `b` (b - a). */
export const daysBetween = (a: string, b: string): number =>
  Math.round((Date.parse(`${b}T00:00:00.000Z`) - Date.parse(`${a}T00:00:00.000Z`)) / DAY_MS);

/** The last day of the month or year holding `day`. */
const lastDayOf = (day: string, grain: 'M' | 'Y'): string => {
  const year = Number(day.slice(0, 4));
  const month = grain === 'Y' ? 12 : Number(day.slice(5, 7));
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
};

/** Document id: grain, bucket, then the dimension values (ids joining labels are JSON). */
export const rollupDocId = (grain: Grain, bucket: string, dims: readonly Scalar[]): string =>
  JSON.stringify([grain, bucket, ...dims]);

/**
 * Adds `counts` (dotted paths allowed) to the documents of `day` at each of `grains`, keyed by
 * `dims` (stored as fields too, with `grain` and `bucket`).
 */
export const rollup = (
  collection: string,
  day: string,
  dims: Record<string, Scalar>,
  counts: Record<string, number>,
  grains: readonly Grain[] = GRAINS,
): DocChange[] =>
  grains.flatMap((grain): DocChange[] => {
    const bucket = bucketOf(day, grain);
    const id = rollupDocId(grain, bucket, Object.values(dims));
    return [
      { collection, id, op: { kind: 'setOnInsert', fields: { grain, bucket, ...dims } } },
      { collection, id, op: { kind: 'inc', fields: counts } },
    ];
  });

/** A run of buckets of one grain, both ends included. */
export interface BucketRange {
  grain: Grain;
  gte: string;
  lte: string;
  /** The days the run covers, both ends included. */
  firstDay: string;
  lastDay: string;
}

/**
 * The fewest whole buckets of `grains` (which must include `D`) that tile the days
 * [first, last] exactly, as runs of consecutive buckets of one grain, in time order.
 */
export const coverOf = (
  first: string,
  last: string,
  grains: readonly Grain[] = GRAINS,
): BucketRange[] => {
  const runs: BucketRange[] = [];
  let day = first;
  while (day <= last) {
    let grain: Grain = 'D';
    let end = day;
    if (grains.includes('Y') && day.endsWith('-01-01') && lastDayOf(day, 'Y') <= last) {
      [grain, end] = ['Y', lastDayOf(day, 'Y')];
    } else if (grains.includes('M') && day.endsWith('-01') && lastDayOf(day, 'M') <= last) {
      [grain, end] = ['M', lastDayOf(day, 'M')];
    }
    const bucket = bucketOf(day, grain);
    const previous = runs[runs.length - 1];
    // Units come in time order, so a unit of the previous run's grain extends it.
    if (previous?.grain === grain) Object.assign(previous, { lte: bucket, lastDay: end });
    else runs.push({ grain, gte: bucket, lte: bucket, firstDay: day, lastDay: end });
    day = addDays(end, 1);
  }
  return runs;
};

/** Matches the documents of the runs (`grain`, `bucket` fields); null when there are none. */
export const coverFilter = (runs: readonly BucketRange[]): Filter | null =>
  runs.length === 0
    ? null
    : {
        or: runs.map((r) => ({
          where: { grain: r.grain, bucket: { gte: r.gte, lte: r.lte } },
        })),
      };
