import type { Condition, Filter } from '../../readstore/port';
import { daysCovering } from '../calendar';
import { findAll } from '../connection';
import { addInto, countsOf } from '../histogram';
import type { ReadModelAccess } from '../projection';
import { fromMinor, roundMoney } from '../money';
import {
  CAMPAIGN_COSTS,
  CAMPAIGN_COUNTS,
  CAMPAIGN_INFO,
  CAMPAIGN_STATS,
  type CampaignCostDoc,
  type CampaignCount,
  type CampaignInfoDoc,
  type CampaignStatsDoc,
} from './projection';
import { coverFilter, coverOf, daysBetween } from '../rollup';

export interface CampaignPerformanceArgs {
  /** Inclusive; whole UTC days (the day holding `from` counts whole). */
  from: string;
  /** Exclusive; a day counts when it starts before `to`. */
  to: string;
  /** Only these campaigns, each reported even when nothing happened (name null if unknown). */
  campaignIds?: string[] | null;
}

/** A campaign's money in one currency over the period. */
export interface CampaignMoney {
  currency: string;
  /** Won revenue credited to the campaign (its share of each deal). */
  revenue: number;
  /** The part of each recorded cost whose days fall in the period. */
  cost: number;
  /** cost / mqls; null when no MQL. */
  costPerMql: number | null;
  /** cost / sqls; null when no SQL. */
  costPerSql: number | null;
  /** Customer acquisition cost: cost / won deals; null when none won. */
  cac: number | null;
  /** (revenue - cost) / cost, both in this currency; null when there is no cost. */
  roi: number | null;
}

/**
 * A campaign's money when its revenue and cost in the period are all in one `currency` (with no
 * money at all: currency null, revenue and cost 0). With several currencies every field is null
 * (amounts in different currencies are never added): read `money` instead.
 */
export interface MoneyFields {
  currency: string | null;
  revenue: number | null;
  cost: number | null;
  costPerMql: number | null;
  costPerSql: number | null;
  cac: number | null;
  roi: number | null;
}

export interface CampaignPerformanceRow extends MoneyFields, Record<CampaignCount, number> {
  campaignId: string;
  /** From CampaignRegistered; null for a campaign leads name but nobody registered. */
  name: string | null;
  channel: string | null;
  rejectedByReason: Record<string, number>;
  lostByReason: Record<string, number>;
  /** Per currency met (revenue or cost), sorted by currency. */
  money: CampaignMoney[];
}

interface Totals {
  counts: Record<CampaignCount, number>;
  rejectedByReason: Record<string, number>;
  lostByReason: Record<string, number>;
  /** Minor units. */
  revenue: Record<string, number>;
  /** Major units, unrounded. */
  cost: Record<string, number>;
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

const newTotals = (): Totals => ({
  counts: Object.fromEntries(CAMPAIGN_COUNTS.map((c) => [c, 0])) as Totals['counts'],
  rejectedByReason: {},
  lostByReason: {},
  revenue: {},
  cost: {},
});

const nonZero = (counts: Record<string, number>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(counts)
      .filter(([, n]) => n !== 0)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

const moneyIn = (currency: string, t: Totals): CampaignMoney => {
  const revenue = fromMinor(t.revenue[currency] ?? 0, currency);
  const cost = roundMoney(t.cost[currency] ?? 0, currency);
  return {
    currency,
    revenue,
    cost,
    costPerMql: ratio(cost, t.counts.mqls),
    costPerSql: ratio(cost, t.counts.sqls),
    cac: ratio(cost, t.counts.won),
    roi: ratio(revenue - cost, cost),
  };
};

const rowOf = (
  campaignId: string,
  info: CampaignInfoDoc | undefined,
  t: Totals,
): CampaignPerformanceRow => {
  const currencies = [...new Set([...Object.keys(t.revenue), ...Object.keys(t.cost)])]
    .filter((c) => (t.revenue[c] ?? 0) !== 0 || (t.cost[c] ?? 0) !== 0)
    .sort();
  const money = currencies.map((c) => moneyIn(c, t));
  const single: MoneyFields =
    money.length === 1
      ? money[0]!
      : money.length === 0
        ? {
            currency: null,
            revenue: 0,
            cost: 0,
            costPerMql: ratio(0, t.counts.mqls),
            costPerSql: ratio(0, t.counts.sqls),
            cac: ratio(0, t.counts.won),
            roi: null,
          }
        : {
            currency: null,
            revenue: null,
            cost: null,
            costPerMql: null,
            costPerSql: null,
            cac: null,
            roi: null,
          };
  return {
    campaignId,
    name: info?.name ?? null,
    channel: info?.channel ?? null,
    ...t.counts,
    rejectedByReason: nonZero(t.rejectedByReason),
    lostByReason: nonZero(t.lostByReason),
    ...single,
    money,
  };
};

const isEmpty = (t: Totals): boolean =>
  Object.values(t.counts).every((n) => n === 0) &&
  Object.values(t.revenue).every((n) => n === 0) &&
  Object.values(t.cost).every((n) => n === 0);

/** Each cost's share for the days [first, last]: spread evenly over its own days. */
const addCosts = (
  totalsOf: (campaignId: string) => Totals,
  costs: readonly CampaignCostDoc[],
  first: string,
  last: string,
) => {
  for (const c of costs) {
    const start = c.periodStart > first ? c.periodStart : first;
    const end = c.periodEnd < last ? c.periodEnd : last;
    if (end < start) continue;
    const share =
      (c.amount * (daysBetween(start, end) + 1)) / (daysBetween(c.periodStart, c.periodEnd) + 1);
    const t = totalsOf(c.campaignId);
    t.cost[c.currency] = (t.cost[c.currency] ?? 0) + share;
  }
};

/**
 * The closed loop per campaign over the whole UTC days of [from, to), sorted by campaign id:
 * campaigns with anything counted, revenue or cost in the period (or exactly `campaignIds`).
 * Counts are stage entries and deal outcomes on days of the period (see projection.ts); cost
 * is the share of each recorded cost for the period's days, spread evenly over its own days.
 */
export const campaignPerformance = async (
  access: ReadModelAccess,
  args: CampaignPerformanceArgs,
): Promise<CampaignPerformanceRow[]> => {
  const days = daysCovering(args.from, args.to);
  const only = args.campaignIds ? [...new Set(args.campaignIds)].sort() : null;
  const totals = new Map<string, Totals>();
  const totalsOf = (campaignId: string): Totals => {
    let t = totals.get(campaignId);
    if (!t) totals.set(campaignId, (t = newTotals()));
    return t;
  };
  for (const id of only ?? []) totalsOf(id);

  if (days && only?.length !== 0) {
    const byCampaign: Record<string, Condition> = only ? { campaignId: { in: only } } : {};
    const cover = coverFilter(coverOf(days.gte, days.lte))!;
    const costFilter: Filter = {
      where: { ...byCampaign, periodEnd: { gte: days.gte }, periodStart: { lte: days.lte } },
    };
    const [stats, costs] = await Promise.all([
      findAll(access.store, access.collection(CAMPAIGN_STATS), { ...cover, where: byCampaign }),
      findAll(access.store, access.collection(CAMPAIGN_COSTS), costFilter),
    ]);
    for (const doc of stats as unknown as CampaignStatsDoc[]) {
      const t = totalsOf(doc.campaignId);
      for (const c of CAMPAIGN_COUNTS) t.counts[c] += doc[c] ?? 0;
      addInto(t.rejectedByReason, countsOf(doc.rejectedByReason));
      addInto(t.lostByReason, countsOf(doc.lostByReason));
      addInto(t.revenue, countsOf(doc.revenue));
    }
    addCosts(totalsOf, costs as unknown as CampaignCostDoc[], days.gte, days.lte);
  }

  const ids = [...totals.keys()].filter((id) => only || !isEmpty(totals.get(id)!)).sort();
  const infos = ids.length ? await access.store.getMany(access.collection(CAMPAIGN_INFO), ids) : [];
  return ids.map((id, i) =>
    rowOf(id, infos[i] as unknown as CampaignInfoDoc | undefined, totals.get(id)!),
  );
};
