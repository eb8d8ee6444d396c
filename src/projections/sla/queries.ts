import type { Condition, Doc, Filter } from '../../readstore/port';
import { daysCovering } from '../calendar';
import {
  findAll,
  findConnection,
  type Connection,
  type Ordering,
  type PageArgs,
} from '../connection';
import { addInto, countsOf, quantile, type Histogram } from '../histogram';
import type { ReadModelAccess } from '../projection';
import { SLA_BREACHES, SLA_DAILY, type SlaBreachDoc, type SlaDailyDoc } from './projection';

export type SlaGroupBy = 'REP' | 'TEAM';

export interface SlaComplianceArgs {
  /** Inclusive; whole UTC days (the day holding `from` counts whole). */
  from: string;
  /** Exclusive; a day counts when it starts before `to`. */
  to: string;
  groupBy: SlaGroupBy;
  filter?: { repId?: string[] | null; team?: Array<string | null> | null } | null;
}

export interface SlaComplianceRow {
  /** The rep id, or the team (null: handoffs without a team). */
  key: string | null;
  /** Handoffs addressed to the rep (or team) in the period. */
  handoffs: number;
  acceptedInTime: number;
  acceptedLate: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Breaches whose deadline fell in the period, counted for the owner at the deadline. */
  breaches: number;
  breachesByKind: Record<string, number>;
  firstContacts: number;
  attempts: number;
  reassignedIn: number;
  reassignedOut: number;
  /** Within 1% (log histogram, see histogram.ts); null when nothing was accepted. */
  medianMinutesToAccept: number | null;
  p95MinutesToAccept: number | null;
  medianMinutesToFirstContact: number | null;
  p95MinutesToFirstContact: number | null;
}

const COUNTS = [
  'handoffs',
  'acceptedInTime',
  'acceptedLate',
  'rejected',
  'breaches',
  'firstContacts',
  'attempts',
  'reassignedIn',
  'reassignedOut',
] as const;

interface Totals {
  key: string | null;
  counts: Record<(typeof COUNTS)[number], number>;
  rejectedByReason: Histogram;
  breachesByKind: Histogram;
  accept: Histogram;
  firstContact: Histogram;
}

const minutes = (seconds: number | null): number | null => (seconds === null ? null : seconds / 60);

const dailyFilter = (args: SlaComplianceArgs): Filter | null => {
  const days = daysCovering(args.from, args.to);
  if (!days) return null;
  const where: Record<string, Condition> = { day: days };
  const { repId, team } = args.filter ?? {};
  if (repId) where.repId = { in: repId };
  if (team) where.team = { in: team };
  return { where };
};

/** SLA compliance per rep or team over [from, to), sorted by key (null first). */
export const slaCompliance = async (
  access: ReadModelAccess,
  args: SlaComplianceArgs,
): Promise<SlaComplianceRow[]> => {
  const filter = dailyFilter(args);
  const docs = filter ? await findAll(access.store, access.collection(SLA_DAILY), filter) : [];
  const groups = new Map<string | null, Totals>();
  for (const doc of docs as unknown as SlaDailyDoc[]) {
    const key = args.groupBy === 'REP' ? doc.repId : doc.team;
    let totals = groups.get(key);
    if (!totals) {
      const counts = Object.fromEntries(COUNTS.map((c) => [c, 0])) as Totals['counts'];
      totals = {
        key,
        counts,
        rejectedByReason: {},
        breachesByKind: {},
        accept: {},
        firstContact: {},
      };
      groups.set(key, totals);
    }
    for (const c of COUNTS) totals.counts[c] += doc[c] ?? 0;
    addInto(totals.rejectedByReason, countsOf(doc.rejectedByReason));
    addInto(totals.breachesByKind, countsOf(doc.breachesByKind));
    addInto(totals.accept, countsOf(doc.hist?.accept));
    addInto(totals.firstContact, countsOf(doc.hist?.firstContact));
  }
  return [...groups.values()]
    .sort((a, b) =>
      a.key === b.key ? 0 : a.key === null ? -1 : b.key === null ? 1 : a.key < b.key ? -1 : 1,
    )
    .map((t) => ({
      key: t.key,
      ...t.counts,
      rejectedByReason: t.rejectedByReason,
      breachesByKind: t.breachesByKind,
      medianMinutesToAccept: minutes(quantile(t.accept, 0.5)),
      p95MinutesToAccept: minutes(quantile(t.accept, 0.95)),
      medianMinutesToFirstContact: minutes(quantile(t.firstContact, 0.5)),
      p95MinutesToFirstContact: minutes(quantile(t.firstContact, 0.95)),
    }));
};

export interface SlaBreachFilter {
  /** On the deadline (when the lead was dropped): inclusive. */
  from?: string | null;
  /** Exclusive. */
  to?: string | null;
  /** The owner at the deadline. */
  repId?: string | null;
  team?: string | null;
  kind?: string | null;
}

export type SlaBreachView = Omit<SlaBreachDoc, '_id' | 'breachId'>;

/** Newest deadline first. */
const BREACH_ORDER: Ordering = {
  name: 'slaBreaches',
  keys: [
    { field: 'deadline', direction: 'desc' },
    { field: 'breachId', direction: 'desc' },
  ],
};

const toBreach = (doc: Doc): SlaBreachView => {
  const {
    _id,
    _pos,
    breachId: _key,
    ...breach
  } = doc as unknown as SlaBreachDoc & { _pos?: string };
  return breach;
};

export const slaBreachFilter = (filter: SlaBreachFilter = {}): Filter => {
  const where: Record<string, Condition> = {};
  if (filter.from || filter.to) {
    where.deadline = {
      ...(filter.from ? { gte: new Date(filter.from).toISOString() } : {}),
      ...(filter.to ? { lt: new Date(filter.to).toISOString() } : {}),
    };
  }
  if (filter.repId) where.ownerRepId = filter.repId;
  if (filter.team) where.team = filter.team;
  if (filter.kind) where.kind = filter.kind;
  return { where };
};

/** The breach list, newest deadline first, keyset-paginated. */
export const listSlaBreaches = (
  access: ReadModelAccess,
  args: PageArgs & { filter?: SlaBreachFilter | null } = {},
): Promise<Connection<SlaBreachView>> =>
  findConnection(
    access.store,
    access.collection(SLA_BREACHES),
    slaBreachFilter(args.filter ?? {}),
    BREACH_ORDER,
    args,
    toBreach,
  );
