import type {
  ContactAttemptLogged,
  HandoffAccepted,
  HandoffRejected,
  LeadHandedOff,
  LeadReassigned,
  SlaBreached,
} from '../../domain/lead/events';
import type { DocChange, Value } from '../../readstore/port';
import { dayOf } from '../calendar';
import { bucketOf } from '../histogram';
import type { DocView, Projection, ProjectionEvent } from '../projection';

/**
 * `sla`: how sales answers handoffs, per rep x team x day (`sla_daily`), and the breach list
 * (`sla_breaches`, with the owner when the deadline passed).
 *
 * Each fact counts for the rep it concerns on the day it happened: a handoff for the rep it
 * was addressed to, an acceptance or rejection for the rep who gave it, a first contact (the
 * first attempt, or SQL when it came first) for the rep who made it, a breach for the owner at
 * the deadline on the deadline's day. Team is the handoff's team. Minutes to accept and to first
 * contact (from the handoff) go into log histograms (`hist.accept`, `hist.firstContact`, in
 * seconds) for median and p95. `sla_handoffs` keeps what later events of a handoff need.
 */

export const SLA_DAILY = 'sla_daily';
export const SLA_BREACHES = 'sla_breaches';
export const SLA_HANDOFFS = 'sla_handoffs';

export type SlaHandoff = {
  _id: string;
  leadId: string;
  handoffId: string;
  repId: string;
  team: string | null;
  handedOffAt: string;
  firstContactAt: string | null;
};

export type SlaDailyDoc = {
  _id: string;
  day: string;
  repId: string;
  team: string | null;
  handoffs?: number;
  acceptedInTime?: number;
  acceptedLate?: number;
  rejected?: number;
  rejectedByReason?: Record<string, number>;
  breaches?: number;
  breachesByKind?: Record<string, number>;
  firstContacts?: number;
  attempts?: number;
  reassignedIn?: number;
  reassignedOut?: number;
  hist?: { accept?: Record<string, number>; firstContact?: Record<string, number> };
};

export type SlaBreachDoc = {
  _id: string;
  /** Same as `_id`: the unique last sort key of the breach list. */
  breachId: string;
  leadId: string;
  handoffId: string;
  kind: string;
  deadline: string;
  detectedAt: string;
  ownerRepId: string;
  team: string | null;
};

/** Ids are `Id`s (no `|`), so these are unambiguous. */
export const handoffDocId = (leadId: string, handoffId: string): string => `${leadId}|${handoffId}`;
export const breachDocId = (leadId: string, handoffId: string, kind: string): string =>
  `${leadId}|${handoffId}|${kind}`;
export const dailyDocId = (day: string, repId: string, team: string | null): string =>
  JSON.stringify([day, repId, team]);

const HANDOFF_EVENTS = [
  'HandoffAccepted',
  'HandoffRejected',
  'LeadReassigned',
  'ContactAttemptLogged',
  'LeadSalesQualified',
];

const daily = (
  at: string,
  repId: string,
  team: string | null,
  counts: Record<string, number>,
): DocChange[] => {
  const day = dayOf(at);
  const id = dailyDocId(day, repId, team);
  return [
    { collection: SLA_DAILY, id, op: { kind: 'setOnInsert', fields: { day, repId, team } } },
    { collection: SLA_DAILY, id, op: { kind: 'inc', fields: counts } },
  ];
};

const setHandoff = (handoff: SlaHandoff): DocChange => {
  const { _id, ...fields } = handoff;
  return { collection: SLA_HANDOFFS, id: _id, op: { kind: 'set', fields } };
};

const readHandoff = (view: DocView, leadId: string, handoffId: string): SlaHandoff | undefined => {
  const doc = view.get(SLA_HANDOFFS, handoffDocId(leadId, handoffId));
  if (!doc) return undefined;
  const { _pos, ...handoff } = doc;
  return handoff as unknown as SlaHandoff;
};

/** The first contact of a handoff, by attempt or by SQL, counts once. */
const firstContact = (h: SlaHandoff, repId: string, at: string): DocChange[] => {
  if (h.firstContactAt !== null) return [];
  const seconds = Math.max(0, (Date.parse(at) - Date.parse(h.handedOffAt)) / 1000);
  return [
    setHandoff({ ...h, firstContactAt: at }),
    ...daily(at, repId, h.team, {
      firstContacts: 1,
      [`hist.firstContact.${bucketOf(seconds)}`]: 1,
    }),
  ];
};

const projectHandoffEvent = (e: ProjectionEvent, h: SlaHandoff): DocChange[] => {
  const at = e.occurredAt;
  switch (e.type) {
    case 'HandoffAccepted': {
      const { repId, withinSla, minutesToAccept } = e.data as HandoffAccepted;
      return daily(at, repId, h.team, {
        [withinSla ? 'acceptedInTime' : 'acceptedLate']: 1,
        [`hist.accept.${bucketOf(minutesToAccept * 60)}`]: 1,
      });
    }
    case 'HandoffRejected': {
      const { repId, reason } = e.data as HandoffRejected;
      return daily(at, repId, h.team, { rejected: 1, [`rejectedByReason.${reason}`]: 1 });
    }
    case 'LeadReassigned': {
      const { fromRepId, toRepId } = e.data as LeadReassigned;
      return [
        setHandoff({ ...h, repId: toRepId }),
        ...daily(at, fromRepId, h.team, { reassignedOut: 1 }),
        ...daily(at, toRepId, h.team, { reassignedIn: 1 }),
      ];
    }
    case 'ContactAttemptLogged': {
      const { repId } = e.data as ContactAttemptLogged;
      return [...daily(at, repId, h.team, { attempts: 1 }), ...firstContact(h, repId, at)];
    }
    case 'LeadSalesQualified':
      return firstContact(h, (e.data as { repId: string }).repId, at);
    default:
      return [];
  }
};

export const slaProjection: Projection = {
  name: 'sla',
  version: 1,
  collections: [
    { name: SLA_DAILY, indexes: [{ fields: ['day'] }] },
    {
      name: SLA_BREACHES,
      indexes: [
        { fields: ['deadline', 'breachId'] },
        { fields: ['ownerRepId', 'deadline', 'breachId'] },
        { fields: ['team', 'deadline', 'breachId'] },
        { fields: ['leadId'] },
      ],
    },
    { name: SLA_HANDOFFS, indexes: [] },
  ],
  handles: new Set(['LeadHandedOff', 'SlaBreached', ...HANDOFF_EVENTS]),
  writeAhead: [SLA_BREACHES],
  needs(e) {
    if (!HANDOFF_EVENTS.includes(e.type)) return [];
    const { leadId, handoffId } = e.data as { leadId: string; handoffId: string };
    return [{ collection: SLA_HANDOFFS, id: handoffDocId(leadId, handoffId) }];
  },
  project(e, view) {
    const at = e.occurredAt;
    if (e.type === 'LeadHandedOff') {
      const { leadId, handoffId, repId, team } = e.data as LeadHandedOff;
      const handoff: SlaHandoff = {
        _id: handoffDocId(leadId, handoffId),
        leadId,
        handoffId,
        repId,
        team,
        handedOffAt: at,
        firstContactAt: null,
      };
      return [setHandoff(handoff), ...daily(at, repId, team, { handoffs: 1 })];
    }
    if (e.type === 'SlaBreached') {
      const d = e.data as SlaBreached;
      const id = breachDocId(d.leadId, d.handoffId, d.kind);
      const breach: Record<string, Value> = {
        breachId: id,
        leadId: d.leadId,
        handoffId: d.handoffId,
        kind: d.kind,
        deadline: d.deadline,
        detectedAt: d.detectedAt,
        ownerRepId: d.ownerRepId,
        team: d.team,
      };
      return [
        { collection: SLA_BREACHES, id, op: { kind: 'set', fields: breach } },
        ...daily(d.deadline, d.ownerRepId, d.team, {
          breaches: 1,
          [`breachesByKind.${d.kind}`]: 1,
        }),
      ];
    }
    const { leadId, handoffId } = e.data as { leadId: string; handoffId: string };
    const handoff = readHandoff(view, leadId, handoffId);
    return handoff ? projectHandoffEvent(e, handoff) : [];
  },
};
