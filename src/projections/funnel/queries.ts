import type { Stage } from '../../domain/shared/values';
import type { Condition, Doc, Filter } from '../../readstore/port';
import { daysCovering } from '../calendar';
import { countsOf, quantile, type Histogram } from '../histogram';
import type { ReadModelAccess } from '../projection';
import { coverFilter, coverOf } from '../rollup';
import {
  EXITS,
  FUNNEL_COHORT,
  FUNNEL_DIMENSIONS,
  FUNNEL_FLOW,
  FUNNEL_STAGES,
  PROGRESSION,
  type FunnelDimension,
  type FunnelDims,
} from './projection';

export type FunnelMode = 'FLOW' | 'COHORT';

export type FunnelFilter = Partial<Record<FunnelDimension, Array<string | null> | null>>;

export interface FunnelReportArgs {
  /** Inclusive; the report works in whole UTC days (the day holding `from` counts whole). */
  from: string;
  /** Exclusive; a day counts when it starts before `to`. */
  to: string;
  /**
   * FLOW (default): stage entries in the period, so conversions compare counts of the period,
   * not the same leads. COHORT: leads captured in the period, followed through every stage.
   */
  mode?: FunnelMode | null;
  groupBy?: FunnelDimension[] | null;
  filter?: FunnelFilter | null;
}

export interface FunnelStageRow {
  stage: Stage;
  count: number;
  /** count / the previous progression stage's count; null for LEAD, the exits, or 0 before. */
  conversionFromPrevious: number | null;
  /** count / LEAD's count; null when no LEAD. */
  conversionFromFirst: number | null;
  /** From the lead's latest entry of the previous stage; within 1% (see histogram.ts). */
  medianHoursFromPrevious: number | null;
  p95HoursFromPrevious: number | null;
}

export interface FunnelGroup {
  /** The grouped dimensions' values; dimensions not grouped by are null. */
  key: FunnelDims;
  stages: FunnelStageRow[];
}

export interface FunnelReport {
  groups: FunnelGroup[];
}

interface Totals {
  key: FunnelDims;
  counts: Partial<Record<Stage, number>>;
  hists: Partial<Record<Stage, Histogram>>;
}

const HOUR = 3600;

const ratio = (n: number, d: number | undefined): number | null => (d ? n / d : null);

const hours = (seconds: number | null): number | null => (seconds === null ? null : seconds / HOUR);

const stageRows = (totals: Totals): FunnelStageRow[] => {
  const count = (s: Stage) => totals.counts[s] ?? 0;
  const first = count('LEAD');
  return FUNNEL_STAGES.map((stage) => {
    const i = (PROGRESSION as readonly Stage[]).indexOf(stage);
    const previous = i > 0 ? PROGRESSION[i - 1] : undefined;
    const hist = totals.hists[stage] ?? {};
    const timed = previous !== undefined && !(EXITS as readonly Stage[]).includes(stage);
    return {
      stage,
      count: count(stage),
      conversionFromPrevious: previous ? ratio(count(stage), count(previous)) : null,
      conversionFromFirst: ratio(count(stage), first),
      medianHoursFromPrevious: timed ? hours(quantile(hist, 0.5)) : null,
      p95HoursFromPrevious: timed ? hours(quantile(hist, 0.95)) : null,
    };
  });
};

const keyOf = (doc: Doc, groupBy: readonly FunnelDimension[]): FunnelDims => {
  const key: FunnelDims = { segment: null, channel: null, campaignId: null, team: null };
  for (const d of groupBy) {
    const v = doc[d];
    key[d] = typeof v === 'string' ? v : null;
  }
  return key;
};

const compareKeys = (a: FunnelDims, b: FunnelDims): number => {
  for (const d of FUNNEL_DIMENSIONS) {
    const x = a[d] ?? '';
    const y = b[d] ?? '';
    if (x !== y) return x < y ? -1 : 1;
    if (a[d] !== b[d]) return a[d] === null ? -1 : 1;
  }
  return 0;
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Adds a stored histogram's counts into `into`, in place (the hot loop: no copies). */
const addCounts = (into: Histogram, from: Record<string, unknown>): Histogram => {
  for (const key in from) {
    const n = from[key];
    if (typeof n === 'number') into[key] = (into[key] ?? 0) + n;
  }
  return into;
};

/**
 * The store filter for the period's cover (whole years, months, then days) and the dimension
 * filters; null when it matches nothing.
 */
const storeFilter = (args: FunnelReportArgs): Filter | null => {
  const days = daysCovering(args.from, args.to);
  if (!days) return null;
  const where: Record<string, Condition> = {};
  for (const d of FUNNEL_DIMENSIONS) {
    const values = args.filter?.[d];
    if (!values) continue;
    if (values.length === 0) return null;
    // A null in the list asks for documents without the dimension (no campaign, no team).
    where[d] = { in: values };
  }
  return { ...coverFilter(coverOf(days.gte, days.lte)), where };
};

/**
 * The funnel over [from, to): per group, each stage's count, next-step and cumulative
 * conversion, and median and p95 hours from the previous stage. With no `groupBy` there is
 * exactly one group, even when it counts nothing.
 */
export const funnelReport = async (
  access: ReadModelAccess,
  args: FunnelReportArgs,
): Promise<FunnelReport> => {
  const groupBy = [...new Set(args.groupBy ?? [])];
  const filter = storeFilter(args);
  const collection = access.collection(args.mode === 'COHORT' ? FUNNEL_COHORT : FUNNEL_FLOW);
  // One unpaged read: a cover holds a few thousand documents, whatever the period's length.
  const docs = filter ? await access.store.find(collection, { filter }) : [];

  const groups = new Map<string, Totals>();
  const totalsOf = (key: FunnelDims): Totals => {
    const id = JSON.stringify(FUNNEL_DIMENSIONS.map((d) => key[d]));
    const totals = groups.get(id) ?? { key, counts: {}, hists: {} };
    groups.set(id, totals);
    return totals;
  };
  if (groupBy.length === 0) totalsOf(keyOf({ _id: '' }, []));
  for (const doc of docs) {
    const totals = totalsOf(keyOf(doc, groupBy));
    const entries = countsOf(doc.entries);
    const hists = isRecord(doc.hist) ? doc.hist : {};
    for (const stage of FUNNEL_STAGES) {
      totals.counts[stage] = (totals.counts[stage] ?? 0) + (entries[stage] ?? 0);
      const hist = hists[stage];
      if (isRecord(hist)) totals.hists[stage] = addCounts(totals.hists[stage] ?? {}, hist);
    }
  }
  // A lead moved to another team leaves zeroed cohort counts behind: such groups are empty.
  const counted = (t: Totals) =>
    groupBy.length === 0 || Object.values(t.counts).some((n) => n !== 0);
  return {
    groups: [...groups.values()]
      .filter(counted)
      .sort((a, b) => compareKeys(a.key, b.key))
      .map((totals) => ({ key: totals.key, stages: stageRows(totals) })),
  };
};
