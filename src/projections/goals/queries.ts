import { Period, periodBounds } from '../../domain/goals/period';
import { dayOf } from '../calendar';
import { fromMinor, moneyList, type MinorByCurrency } from '../money';
import { addDays } from '../rollup';
import { findAll } from '../connection';
import { addInto, countsOf } from '../histogram';
import type { ReadModelAccess } from '../projection';
import { GOAL_DAILY, GOAL_TARGETS, type GoalDailyDoc, type GoalTargetsDoc } from './projection';

/** Days of the trailing window the reverse funnel's rates and deal size come from. */
export const TRAILING_DAYS = 90;

export interface GoalProgressArgs {
  /** `2026`, `2026-Q3` or `2026-07`. */
  period: string;
  /** The instant the progress is measured at (the caller's clock). */
  now: string;
  /**
   * The currency the revenue and pipeline targets are in (targets carry none). Absent: the one
   * currency of the deals read; with several, money actuals and the reverse funnel are null.
   */
  currency?: string | null;
}

/** One measure against its target so far. */
export interface Pace {
  /** Null when not set (or, in the reverse funnel, when it cannot be derived). */
  target: number | null;
  /** Null for money when no currency applies. */
  actual: number | null;
  /** target x the share of the period elapsed. */
  expectedByNow: number | null;
  /** actual / expectedByNow: 1 is on pace; null when nothing is expected yet. */
  pace: number | null;
  /** target - actual, at least 0. */
  remaining: number | null;
}

export interface ReverseFunnel {
  /** The trailing window's days, both included: the 90 whole days before `now` or the period's end. */
  windowStart: string;
  windowEnd: string;
  /** Won revenue / won deals in the window, in `currency`. */
  averageDealSize: number | null;
  /** Stage conversion in the window: later stage's first entries / earlier stage's. */
  mqlToSal: number | null;
  salToSql: number | null;
  mqlToSql: number | null;
  /** Deals won / SQLs. */
  sqlToWon: number | null;
  /** To reach the revenue target at that deal size and those rates (rounded up). */
  deals: Pace;
  sqls: Pace;
  sals: Pace;
  mqls: Pace;
}

export interface GoalProgress {
  period: string;
  periodStart: string;
  periodEnd: string;
  now: string;
  /** Share of the period elapsed at `now`, 0 to 1. */
  elapsed: number;
  /** When the targets were last set; null: no GoalsSet for the period. */
  targetsSetAt: string | null;
  currency: string | null;
  /** Actuals count the period's days up to the day of `now` included. */
  revenue: Pace;
  pipeline: Pace;
  mqls: Pace;
  sqls: Pace;
  sals: number;
  wonDeals: number;
  openedDeals: number;
  revenueByCurrency: Array<{ currency: string; amount: number }>;
  pipelineByCurrency: Array<{ currency: string; amount: number }>;
  reverseFunnel: ReverseFunnel;
}

interface Totals {
  mqls: number;
  sals: number;
  sqls: number;
  opened: number;
  pipeline: MinorByCurrency;
  wonDeals: MinorByCurrency;
  revenue: MinorByCurrency;
}

const DAY_MS = 86_400_000;

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

const sumOf = (counts: MinorByCurrency): number => Object.values(counts).reduce((s, n) => s + n, 0);

const totalsOf = (docs: readonly GoalDailyDoc[], first: string, last: string): Totals => {
  const t: Totals = {
    mqls: 0,
    sals: 0,
    sqls: 0,
    opened: 0,
    pipeline: {},
    wonDeals: {},
    revenue: {},
  };
  for (const doc of docs) {
    if (doc.day < first || doc.day > last) continue;
    t.mqls += doc.mqls ?? 0;
    t.sals += doc.sals ?? 0;
    t.sqls += doc.sqls ?? 0;
    t.opened += doc.opened ?? 0;
    addInto(t.pipeline, countsOf(doc.pipeline));
    addInto(t.wonDeals, countsOf(doc.wonDeals));
    addInto(t.revenue, countsOf(doc.revenue));
  }
  return t;
};

const paceOf = (target: number | null, actual: number | null, elapsed: number): Pace => {
  const expectedByNow = target === null ? null : target * elapsed;
  return {
    target,
    actual,
    expectedByNow,
    pace: actual === null || !expectedByNow ? null : actual / expectedByNow,
    remaining: target === null || actual === null ? null : Math.max(0, target - actual),
  };
};

const currenciesIn = (...amounts: MinorByCurrency[]): string[] =>
  [...new Set(amounts.flatMap((a) => Object.keys(a).filter((c) => a[c] !== 0)))].sort();

const inCurrency = (minor: MinorByCurrency, currency: string | null, none: boolean) =>
  currency === null ? (none ? 0 : null) : fromMinor(minor[currency] ?? 0, currency);

const ceilOrNull = (v: number | null): number | null => (v === null ? null : Math.ceil(v - 1e-9));

/**
 * Targets vs actuals for a period, and the reverse funnel: from the revenue target, the deals,
 * SQLs, SALs and MQLs it takes at the trailing 90 days' average won deal size and stage
 * conversion rates (days before `now`, or before the period's end when `now` is later), each
 * compared with the pace so far: the actual so far against target x the share of the period
 * elapsed. Throws a RangeError for a malformed period or instant.
 */
export const goalProgress = async (
  access: ReadModelAccess,
  args: GoalProgressArgs,
): Promise<GoalProgress> => {
  const parsed = Period.safeParse(args.period);
  if (!parsed.success) throw new RangeError('period must be a year, quarter or month (2026-Q3)');
  const period = parsed.data;
  const nowMs = Date.parse(args.now);
  if (Number.isNaN(nowMs)) throw new RangeError('now must be an instant');
  const now = new Date(nowMs).toISOString();
  const { periodStart, periodEnd } = periodBounds(period);
  const startMs = Date.parse(`${periodStart}T00:00:00.000Z`);
  const endMs = Date.parse(`${periodEnd}T00:00:00.000Z`) + DAY_MS;
  const elapsed = Math.min(1, Math.max(0, (nowMs - startMs) / (endMs - startMs)));

  // Actuals: the period's days up to the day holding `now`.
  const today = dayOf(now);
  const actualEnd = today < periodEnd ? today : periodEnd;
  // Trailing window: the whole days before the day holding min(now, end of period).
  const windowEndDay = dayOf(new Date(Math.min(nowMs, endMs)).toISOString());
  const windowStart = addDays(windowEndDay, -TRAILING_DAYS);
  const windowEnd = addDays(windowEndDay, -1);

  const first = windowStart < periodStart ? windowStart : periodStart;
  const last = windowEnd > actualEnd ? windowEnd : actualEnd;
  const [targetDoc] = await access.store.getMany(access.collection(GOAL_TARGETS), [period]);
  const docs = (await findAll(access.store, access.collection(GOAL_DAILY), {
    where: { day: { gte: first, lte: last } },
  })) as unknown as GoalDailyDoc[];
  const targets = targetDoc as unknown as GoalTargetsDoc | undefined;
  const actual = totalsOf(docs, periodStart, actualEnd);
  const trailing = totalsOf(docs, windowStart, windowEnd);

  const seen = currenciesIn(actual.revenue, actual.pipeline, trailing.revenue);
  const currency = args.currency ?? (seen.length === 1 ? seen[0]! : null);
  const none = args.currency == null && seen.length === 0;
  const revenue = inCurrency(actual.revenue, currency, none);
  const pipeline = inCurrency(actual.pipeline, currency, none);

  const trailingWon = sumOf(trailing.wonDeals);
  const wonInCurrency = currency === null ? 0 : (trailing.wonDeals[currency] ?? 0);
  const averageDealSize =
    currency === null || wonInCurrency === 0
      ? null
      : fromMinor(trailing.revenue[currency] ?? 0, currency) / wonInCurrency;
  const mqlToSal = ratio(trailing.sals, trailing.mqls);
  const salToSql = ratio(trailing.sqls, trailing.sals);
  const mqlToSql = ratio(trailing.sqls, trailing.mqls);
  const sqlToWon = ratio(trailingWon, trailing.sqls);

  // Exact needs along the chain, each rounded up only when reported.
  const deals = targets && averageDealSize ? targets.revenue / averageDealSize : null;
  const sqls = deals !== null && sqlToWon ? deals / sqlToWon : null;
  const sals = sqls !== null && salToSql ? sqls / salToSql : null;
  // sals / mqlToSal, the same number whenever both exist.
  const mqls = sqls !== null && mqlToSql ? sqls / mqlToSql : null;
  const wonInPeriod = currency === null ? (none ? 0 : null) : (actual.wonDeals[currency] ?? 0);

  return {
    period,
    periodStart,
    periodEnd,
    now,
    elapsed,
    targetsSetAt: targets?.setAt ?? null,
    currency,
    revenue: paceOf(targets?.revenue ?? null, revenue, elapsed),
    pipeline: paceOf(targets?.pipeline ?? null, pipeline, elapsed),
    mqls: paceOf(targets?.mqls ?? null, actual.mqls, elapsed),
    sqls: paceOf(targets?.sqls ?? null, actual.sqls, elapsed),
    sals: actual.sals,
    wonDeals: sumOf(actual.wonDeals),
    openedDeals: actual.opened,
    revenueByCurrency: moneyList(actual.revenue),
    pipelineByCurrency: moneyList(actual.pipeline),
    reverseFunnel: {
      windowStart,
      windowEnd,
      averageDealSize,
      mqlToSal,
      salToSql,
      mqlToSql,
      sqlToWon,
      deals: paceOf(ceilOrNull(deals), wonInPeriod, elapsed),
      sqls: paceOf(ceilOrNull(sqls), actual.sqls, elapsed),
      sals: paceOf(ceilOrNull(sals), actual.sals, elapsed),
      mqls: paceOf(ceilOrNull(mqls), actual.mqls, elapsed),
    },
  };
};
