import type { Condition } from '../../readstore/port';
import { daysCovering } from '../calendar';
import { moneyList, type MinorByCurrency } from '../money';
import { coverFilter, coverOf } from '../rollup';
import { findAll } from '../connection';
import { addInto, countsOf, quantile, type Histogram } from '../histogram';
import type { ReadModelAccess } from '../projection';
import {
  REP_ACTIVITY_STATS,
  REP_COUNTS,
  type RepActivityStatsDoc,
  type RepCount,
} from './projection';

export interface RepActivityArgs {
  /** Inclusive; whole UTC days (the day holding `from` counts whole). */
  from: string;
  /** Exclusive; a day counts when it starts before `to`. */
  to: string;
  /** Only facts under this team (the handoff's team; a win: the owner's latest team). */
  team?: string | null;
}

export interface RepActivityRow extends Record<RepCount, number> {
  repId: string;
  /** Leads that came to the rep in the period: handoffs received + reassignments in. */
  leadsOwned: number;
  /** Within 1% (log histogram, see histogram.ts); null without a first contact. */
  medianMinutesToFirstContact: number | null;
  p95MinutesToFirstContact: number | null;
  /** Won revenue per currency, sorted by currency. */
  revenue: Array<{ currency: string; amount: number }>;
  /** won / leadsOwned in the period; null when no lead came to the rep. */
  conversion: number | null;
  /** (attempts - mean) / standard deviation among the rows of the report; 0 when all equal. */
  attemptsZScore: number;
  /** See `repActivity`. */
  outlier: boolean;
}

interface Totals {
  counts: Record<RepCount, number>;
  revenue: MinorByCurrency;
  firstContact: Histogram;
}

/** Flagged when the attempts z-score is above this (and conversion is below the median). */
export const OUTLIER_Z = 2;

const median = (values: readonly number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const minutes = (seconds: number | null): number | null => (seconds === null ? null : seconds / 60);

/** Population z-scores; all 0 when the values do not vary. */
const zScores = (values: readonly number[]): number[] => {
  const mean = values.reduce((s, v) => s + v, 0) / (values.length || 1);
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length || 1);
  const sd = Math.sqrt(variance);
  return values.map((v) => (sd === 0 ? 0 : (v - mean) / sd));
};

/**
 * The outlier rule of `repActivity` over a report's reps: the z-score of each rep's attempts
 * (population standard deviation; 0 when all are equal), and the flag: z-score above
 * `OUTLIER_Z` and conversion strictly below the median conversion of the reps that have one.
 */
export const outliers = (
  reps: ReadonlyArray<{ attempts: number; conversion: number | null }>,
): Array<{ attemptsZScore: number; outlier: boolean }> => {
  const z = zScores(reps.map((r) => r.attempts));
  const medianConversion = median(
    reps.flatMap((r) => (r.conversion === null ? [] : [r.conversion])),
  );
  return reps.map((r, i) => ({
    attemptsZScore: z[i]!,
    outlier:
      z[i]! > OUTLIER_Z &&
      r.conversion !== null &&
      medianConversion !== null &&
      r.conversion < medianConversion,
  }));
};

/**
 * Activity per rep over the whole UTC days of [from, to), sorted by rep id: reps with anything
 * counted in the period (under `team` when given).
 *
 * Outliers, reps who work far more leads than their peers but convert few: a rep is flagged
 * when the z-score of their attempts among the reps of this report is above 2 AND their
 * conversion (won / leads owned) is below the median conversion of those reps (the team's
 * reps when `team` is given, else all reps; reps without a lead owned in the period have no
 * conversion and are neither counted in the median nor flagged). The z-score uses the
 * population standard deviation, so with n reps it cannot exceed (n - 1) / sqrt(n): fewer
 * than 6 reps never produce an outlier.
 */
export const repActivity = async (
  access: ReadModelAccess,
  args: RepActivityArgs,
): Promise<RepActivityRow[]> => {
  const days = daysCovering(args.from, args.to);
  if (!days) return [];
  const cover = coverFilter(coverOf(days.gte, days.lte))!;
  const where: Record<string, Condition> =
    args.team === undefined || args.team === null ? {} : { team: args.team };
  const docs = await findAll(access.store, access.collection(REP_ACTIVITY_STATS), {
    ...cover,
    where,
  });

  const totals = new Map<string, Totals>();
  for (const doc of docs as unknown as RepActivityStatsDoc[]) {
    let t = totals.get(doc.repId);
    if (!t) {
      const counts = Object.fromEntries(REP_COUNTS.map((c) => [c, 0])) as Totals['counts'];
      totals.set(doc.repId, (t = { counts, revenue: {}, firstContact: {} }));
    }
    for (const c of REP_COUNTS) t.counts[c] += doc[c] ?? 0;
    addInto(t.revenue, countsOf(doc.revenue));
    addInto(t.firstContact, countsOf(doc.hist?.firstContact));
  }

  const rows = [...totals.entries()]
    .filter(([, t]) => Object.values(t.counts).some((n) => n !== 0))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([repId, t]) => {
      const leadsOwned = t.counts.handoffs + t.counts.reassignedIn;
      return {
        repId,
        ...t.counts,
        leadsOwned,
        medianMinutesToFirstContact: minutes(quantile(t.firstContact, 0.5)),
        p95MinutesToFirstContact: minutes(quantile(t.firstContact, 0.95)),
        revenue: moneyList(t.revenue),
        conversion: leadsOwned === 0 ? null : t.counts.won / leadsOwned,
      };
    });
  const flags = outliers(rows);
  return rows.map((row, i) => ({ ...row, ...flags[i]! }));
};
