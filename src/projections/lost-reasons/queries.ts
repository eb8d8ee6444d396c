import { daysCovering } from '../calendar';
import { moneyList, type MinorByCurrency } from '../money';
import { addDays, coverFilter, coverOf, type Grain } from '../rollup';
import { findAll } from '../connection';
import { addInto, countsOf } from '../histogram';
import type { ReadModelAccess } from '../projection';
import { LOST_REASON_STATS, type LostReasonStatsDoc } from './projection';

/** The period of each row: a UTC day, an ISO week (Monday to Sunday) or a calendar month. */
export type LostReasonsGroupBy = 'DAY' | 'WEEK' | 'MONTH';

export interface LostReasonsArgs {
  /** Inclusive; whole UTC days (the day holding `from` counts whole). */
  from: string;
  /** Exclusive; a day counts when it starts before `to`. */
  to: string;
  /** Null or absent: one period, the whole range. */
  groupBy?: LostReasonsGroupBy | null;
}

export interface LostReasonRow {
  /** `2026-07-14` (DAY), `2026-W29` (ISO week), `2026-07` (MONTH); `first/last` day otherwise. */
  period: string;
  /** The period's days within the report's range, both included. */
  periodStart: string;
  periodEnd: string;
  reason: string;
  /** The segment of the deal's first lead; null when that lead is unknown. */
  segment: string | null;
  /** Deals lost (and not reopened since). */
  lost: number;
  /** Their amounts per currency, sorted by currency (never summed across currencies). */
  amount: Array<{ currency: string; amount: number }>;
  /** Competitors named on those losses, most named first, then by name. */
  competitors: Array<{ competitor: string; lost: number }>;
}

interface Totals {
  row: Omit<LostReasonRow, 'lost' | 'amount' | 'competitors'>;
  lost: number;
  amount: MinorByCurrency;
  competitors: Map<string, number>;
}

const DAY_MS = 86_400_000;

/** ISO 8601 week of a day (`2026-W29`) and its Monday. */
const isoWeekOf = (day: string): { period: string; monday: string } => {
  const date = Date.parse(`${day}T00:00:00.000Z`);
  const weekday = (new Date(date).getUTCDay() + 6) % 7;
  // The week belongs to the year of its Thursday.
  const thursday = new Date(date + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return { period: `${year}-W${String(week).padStart(2, '0')}`, monday: addDays(day, -weekday) };
};

const lastOfMonth = (month: string): string =>
  new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0))
    .toISOString()
    .slice(0, 10);

/** The report period of a stored document's bucket, unclipped. */
const periodOf = (
  doc: LostReasonStatsDoc,
  groupBy: LostReasonsGroupBy | null,
  first: string,
  last: string,
): { period: string; start: string; end: string } => {
  if (groupBy === null) return { period: `${first}/${last}`, start: first, end: last };
  if (doc.grain === 'M') {
    return { period: doc.bucket, start: `${doc.bucket}-01`, end: lastOfMonth(doc.bucket) };
  }
  const day = doc.bucket;
  if (groupBy === 'DAY') return { period: day, start: day, end: day };
  if (groupBy === 'MONTH') {
    const month = day.slice(0, 7);
    return { period: month, start: `${month}-01`, end: lastOfMonth(month) };
  }
  const { period, monday } = isoWeekOf(day);
  return { period, start: monday, end: addDays(monday, 6) };
};

/** Which stored grains can serve each grouping (a month document is one MONTH period). */
const GRAINS_FOR: Record<LostReasonsGroupBy | 'NONE', Grain[]> = {
  DAY: ['D'],
  WEEK: ['D'],
  MONTH: ['D', 'M'],
  NONE: ['D', 'M', 'Y'],
};

const compareNullable = (a: string | null, b: string | null): number =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;

/**
 * Lost deals over the whole UTC days of [from, to) by period x reason x segment, sorted in that
 * order (null segment first); combinations with nothing lost are left out. Periods are clipped
 * to the range: a week half in it counts its days in it.
 */
export const lostReasons = async (
  access: ReadModelAccess,
  args: LostReasonsArgs,
): Promise<LostReasonRow[]> => {
  const days = daysCovering(args.from, args.to);
  if (!days) return [];
  const groupBy = args.groupBy ?? null;
  const filter = coverFilter(coverOf(days.gte, days.lte, GRAINS_FOR[groupBy ?? 'NONE']))!;
  const docs = await findAll(access.store, access.collection(LOST_REASON_STATS), filter);

  const groups = new Map<string, Totals>();
  for (const doc of docs as unknown as LostReasonStatsDoc[]) {
    const { period, start, end } = periodOf(doc, groupBy, days.gte, days.lte);
    // FerretDB 1.x drops a null written by $setOnInsert: missing reads as null.
    const segment = doc.segment ?? null;
    const competitor = doc.competitor ?? null;
    const key = JSON.stringify([period, doc.reason, segment]);
    let t = groups.get(key);
    if (!t) {
      const row = {
        period,
        periodStart: start > days.gte ? start : days.gte,
        periodEnd: end < days.lte ? end : days.lte,
        reason: doc.reason,
        segment,
      };
      groups.set(key, (t = { row, lost: 0, amount: {}, competitors: new Map() }));
    }
    const lost = doc.lost ?? 0;
    t.lost += lost;
    addInto(t.amount, countsOf(doc.amount));
    if (competitor !== null) {
      t.competitors.set(competitor, (t.competitors.get(competitor) ?? 0) + lost);
    }
  }
  return [...groups.values()]
    .filter((t) => t.lost !== 0)
    .sort(
      (a, b) =>
        (a.row.periodStart < b.row.periodStart
          ? -1
          : a.row.periodStart > b.row.periodStart
            ? 1
            : 0) ||
        (a.row.reason < b.row.reason ? -1 : a.row.reason > b.row.reason ? 1 : 0) ||
        compareNullable(a.row.segment, b.row.segment),
    )
    .map((t) => ({
      ...t.row,
      lost: t.lost,
      amount: moneyList(t.amount),
      competitors: [...t.competitors.entries()]
        .filter(([, n]) => n !== 0)
        .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
        .map(([competitor, lost]) => ({ competitor, lost })),
    }));
};
