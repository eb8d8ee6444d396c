import type { DealReopened, DealWon } from '../../domain/deal/events';
import type {
  ContactAttemptLogged,
  HandoffAccepted,
  HandoffRejected,
  LeadHandedOff,
  LeadReassigned,
  LeadSalesQualified,
} from '../../domain/lead/events';
import type { DocChange } from '../../readstore/port';
import { toMinor } from '../money';
import { rollup } from '../rollup';
import { dayOf } from '../calendar';
import { bucketOf } from '../histogram';
import type { DocView, Projection, ProjectionEvent } from '../projection';

/**
 * `repActivity`: what each sales rep did, per rep x team x day, month and year
 * (`rep_activity_stats`, see rollup.ts), for reports over any period and the outlier flag.
 *
 * Each fact counts for the rep it concerns on the day it happened, under the team of the
 * handoff it belongs to: handoffs received and reassignments in (and out), acceptances,
 * rejections, contact attempts and SQLs for the rep who made them, and the first contact of
 * a handoff (its first attempt, or SQL when that came first) with the seconds since the
 * handoff in a log histogram (`hist.firstContact`, see histogram.ts). A won deal counts for
 * its owner, with its revenue per currency in minor units, under the team of the owner's
 * latest handoff (`rep_activity_reps`; null for an owner who never received one); a deal
 * reopened after the win takes it back from the day it was counted on (`rep_activity_deals`).
 */

export const REP_ACTIVITY_STATS = 'rep_activity_stats';
export const REP_ACTIVITY_HANDOFFS = 'rep_activity_handoffs';
export const REP_ACTIVITY_REPS = 'rep_activity_reps';
export const REP_ACTIVITY_DEALS = 'rep_activity_deals';

export const REP_COUNTS = [
  'handoffs',
  'reassignedIn',
  'reassignedOut',
  'accepted',
  'rejected',
  'attempts',
  'firstContacts',
  'sqls',
  'won',
] as const;
export type RepCount = (typeof REP_COUNTS)[number];

export type RepActivityStatsDoc = Partial<Record<RepCount, number>> & {
  _id: string;
  grain: string;
  bucket: string;
  repId: string;
  team: string | null;
  /** Won revenue in minor units, per currency. */
  revenue?: Record<string, number>;
  hist?: { firstContact?: Record<string, number> };
};

type Handoff = {
  repId: string;
  team: string | null;
  handedOffAt: string;
  firstContactAt: string | null;
};

/** A won deal as counted: what its reopening takes back. */
type Win = { day: string; repId: string; team: string | null; currency: string; minor: number };

const HANDOFF_EVENTS = [
  'HandoffAccepted',
  'HandoffRejected',
  'LeadReassigned',
  'ContactAttemptLogged',
  'LeadSalesQualified',
];

/** Ids are `Id`s (no `|`), so this is unambiguous. */
export const handoffDocId = (leadId: string, handoffId: string): string => `${leadId}|${handoffId}`;

const stats = (
  at: string,
  repId: string,
  team: string | null,
  counts: Record<string, number>,
): DocChange[] => rollup(REP_ACTIVITY_STATS, dayOf(at), { repId, team }, counts);

const setHandoff = (id: string, h: Handoff): DocChange => ({
  collection: REP_ACTIVITY_HANDOFFS,
  id,
  op: { kind: 'set', fields: h },
});

const setRepTeam = (repId: string, team: string | null): DocChange => ({
  collection: REP_ACTIVITY_REPS,
  id: repId,
  op: { kind: 'set', fields: { team } },
});

const firstContact = (id: string, h: Handoff, repId: string, at: string): DocChange[] => {
  if (h.firstContactAt !== null) return [];
  const seconds = Math.max(0, (Date.parse(at) - Date.parse(h.handedOffAt)) / 1000);
  return [
    setHandoff(id, { ...h, firstContactAt: at }),
    ...stats(at, repId, h.team, {
      firstContacts: 1,
      [`hist.firstContact.${bucketOf(seconds)}`]: 1,
    }),
  ];
};

const projectHandoffEvent = (e: ProjectionEvent, view: DocView): DocChange[] => {
  const { leadId, handoffId } = e.data as { leadId: string; handoffId: string };
  const id = handoffDocId(leadId, handoffId);
  const h = view.get(REP_ACTIVITY_HANDOFFS, id) as unknown as Handoff | undefined;
  if (!h) return [];
  const at = e.occurredAt;
  switch (e.type) {
    case 'HandoffAccepted':
      return stats(at, (e.data as HandoffAccepted).repId, h.team, { accepted: 1 });
    case 'HandoffRejected':
      return stats(at, (e.data as HandoffRejected).repId, h.team, { rejected: 1 });
    case 'LeadReassigned': {
      const { fromRepId, toRepId } = e.data as LeadReassigned;
      return [
        setHandoff(id, { ...h, repId: toRepId }),
        setRepTeam(toRepId, h.team),
        ...stats(at, fromRepId, h.team, { reassignedOut: 1 }),
        ...stats(at, toRepId, h.team, { reassignedIn: 1 }),
      ];
    }
    case 'ContactAttemptLogged': {
      const { repId } = e.data as ContactAttemptLogged;
      return [...stats(at, repId, h.team, { attempts: 1 }), ...firstContact(id, h, repId, at)];
    }
    case 'LeadSalesQualified': {
      const { repId } = e.data as LeadSalesQualified;
      return [...stats(at, repId, h.team, { sqls: 1 }), ...firstContact(id, h, repId, at)];
    }
    default:
      return [];
  }
};

const setWin = (dealId: string, win: Win | null): DocChange => ({
  collection: REP_ACTIVITY_DEALS,
  id: dealId,
  op: { kind: 'set', fields: { win } },
});

const winCounts = (w: Win, sign: number): Record<string, number> => ({
  won: sign,
  [`revenue.${w.currency}`]: sign * w.minor,
});

const project = (e: ProjectionEvent, view: DocView): DocChange[] => {
  switch (e.type) {
    case 'LeadHandedOff': {
      const d = e.data as LeadHandedOff;
      const handoff: Handoff = {
        repId: d.repId,
        team: d.team,
        handedOffAt: e.occurredAt,
        firstContactAt: null,
      };
      return [
        setHandoff(handoffDocId(d.leadId, d.handoffId), handoff),
        setRepTeam(d.repId, d.team),
        ...stats(e.occurredAt, d.repId, d.team, { handoffs: 1 }),
      ];
    }
    case 'DealWon': {
      const d = e.data as DealWon;
      const team = (view.get(REP_ACTIVITY_REPS, d.ownerRepId)?.team as string | undefined) ?? null;
      const win: Win = {
        day: dayOf(e.occurredAt),
        repId: d.ownerRepId,
        team,
        currency: d.currency,
        minor: toMinor(d.amount, d.currency),
      };
      return [
        setWin(d.dealId, win),
        ...rollup(REP_ACTIVITY_STATS, win.day, { repId: win.repId, team }, winCounts(win, 1)),
      ];
    }
    case 'DealReopened': {
      const { dealId } = e.data as DealReopened;
      const win = view.get(REP_ACTIVITY_DEALS, dealId)?.win as unknown as Win | null | undefined;
      if (!win) return [];
      const dims = { repId: win.repId, team: win.team };
      return [
        setWin(dealId, null),
        ...rollup(REP_ACTIVITY_STATS, win.day, dims, winCounts(win, -1)),
      ];
    }
    default:
      return HANDOFF_EVENTS.includes(e.type) ? projectHandoffEvent(e, view) : [];
  }
};

export const repActivityProjection: Projection = {
  name: 'repActivity',
  version: 1,
  collections: [
    {
      name: REP_ACTIVITY_STATS,
      indexes: [{ fields: ['grain', 'bucket'] }, { fields: ['team', 'grain', 'bucket'] }],
    },
    { name: REP_ACTIVITY_HANDOFFS, indexes: [] },
    { name: REP_ACTIVITY_REPS, indexes: [] },
    { name: REP_ACTIVITY_DEALS, indexes: [] },
  ],
  handles: new Set(['LeadHandedOff', ...HANDOFF_EVENTS, 'DealWon', 'DealReopened']),
  needs(e) {
    if (HANDOFF_EVENTS.includes(e.type)) {
      const { leadId, handoffId } = e.data as { leadId: string; handoffId: string };
      return [{ collection: REP_ACTIVITY_HANDOFFS, id: handoffDocId(leadId, handoffId) }];
    }
    if (e.type === 'DealWon') {
      return [{ collection: REP_ACTIVITY_REPS, id: (e.data as DealWon).ownerRepId }];
    }
    if (e.type === 'DealReopened') {
      return [{ collection: REP_ACTIVITY_DEALS, id: (e.data as DealReopened).dealId }];
    }
    return [];
  },
  project,
};
