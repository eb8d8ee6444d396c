import type {
  HandoffRejected,
  LeadHandedOff,
  LeadReassigned,
  SlaBreached,
} from '../../domain/lead/events';
import { isBefore } from '../../domain/shared/time';
import type { Doc, DocChange, Value } from '../../readstore/port';
import type { DocRef, DocView, Projection, ProjectionEvent } from '../projection';

/**
 * `droppedLeads`: who dropped which lead when. One document per handoff (`dropped_leads`) with
 * its owners over time, the events that prove each fact, and its drops:
 * - `REJECTED`: the rep it was handed to rejected it;
 * - `ACCEPTANCE_BREACHED`, `FIRST_CONTACT_BREACHED`, `ATTEMPTS_BREACHED`: an SLA deadline
 *   passed unmet (the SLA monitor's SlaBreached, naming the owner at the deadline);
 * - `NO_CONTACT`: no contact attempt (nor SQL) by the first-contact deadline, as the events
 *   show it: a first contact after the deadline, or the handoff ended after the deadline
 *   without one; or the handoff was accepted and then let go (recycled, disqualified) without a
 *   single attempt. Dated at the deadline (or at the letting go, if earlier).
 * A handoff is listed once it has a drop, at its earliest (`droppedAt`).
 *
 * Lead events without a handoff id (recycled, disqualified, converted, forgotten) concern the
 * lead's latest handoff, kept whole in a per-lead document (`dropped_lead_trackers`); a late
 * breach of an earlier handoff names its handoff and reads that handoff's own document.
 */

export const DROPPED_LEADS = 'dropped_leads';
export const DROPPED_LEAD_TRACKERS = 'dropped_lead_trackers';

export type DropReason =
  | 'REJECTED'
  | 'ACCEPTANCE_BREACHED'
  | 'FIRST_CONTACT_BREACHED'
  | 'ATTEMPTS_BREACHED'
  | 'NO_CONTACT';

/** An event, as proof: where it is in the log and who recorded it when. */
export type EventRef = {
  position: string;
  streamId: string;
  revision: number;
  type: string;
  occurredAt: string;
  recordedAt: string;
  actorId: string;
};

export type HandoffOwner = { repId: string; since: string; event: EventRef };

export type Drop = {
  reason: DropReason;
  /** When the lead was dropped: the rejection, the deadline that passed, or the letting go. */
  at: string;
  /** Who held the lead then. */
  ownerRepId: string;
  /** The rejection reason, or how the missing contact shows. */
  detail: string | null;
  event: EventRef;
};

export type HandoffRecord = {
  leadId: string;
  handoffId: string;
  /** Same as `_id`: the unique last sort key. */
  dropId: string;
  team: string | null;
  handedOffAt: string;
  acceptBy: string;
  firstContactBy: string;
  status: 'PENDING' | 'ACCEPTED' | 'REJECTED';
  acceptedAt: string | null;
  firstContactAt: string | null;
  /** When its obligations ended (rejected, recycled, disqualified, converted, forgotten). */
  closedAt: string | null;
  closedBy: string | null;
  owners: HandoffOwner[];
  drops: Drop[];
  /** The handoff's events that matter as proof, in log order. */
  events: EventRef[];
  /** Earliest drop; null while the handoff was not dropped. */
  droppedAt: string | null;
};

export type DroppedLeadDoc = HandoffRecord & { _id: string; _pos?: string };

/** Ids cannot hold `|`. */
export const dropDocId = (leadId: string, handoffId: string): string => `${leadId}|${handoffId}`;

const refOf = (e: ProjectionEvent): EventRef => ({
  position: e.position,
  streamId: e.streamId,
  revision: e.revision,
  type: e.type,
  occurredAt: e.occurredAt,
  recordedAt: e.recordedAt,
  actorId: e.actorId,
});

const iso = (instant: string): string => new Date(instant).toISOString();

export const ownerAt = (r: HandoffRecord, at: string): string =>
  r.owners.findLast((o) => !isBefore(at, o.since))?.repId ?? r.owners[0]!.repId;

const earliest = (drops: readonly Drop[]): string | null =>
  drops.reduce<string | null>((min, d) => (min === null || d.at < min ? d.at : min), null);

const withDrop = (r: HandoffRecord, drop: Drop): HandoffRecord => {
  const drops = [...r.drops, drop];
  return { ...r, drops, droppedAt: earliest(drops) };
};

const has = (r: HandoffRecord, ...reasons: DropReason[]): boolean =>
  r.drops.some((d) => reasons.includes(d.reason));

/** The missing first contact, when a handoff ends without one. */
const noContactOnClose = (r: HandoffRecord, e: ProjectionEvent): HandoffRecord => {
  if (r.firstContactAt !== null || has(r, 'NO_CONTACT', 'FIRST_CONTACT_BREACHED')) return r;
  const at = e.occurredAt;
  if (isBefore(r.firstContactBy, at)) {
    return withDrop(r, {
      reason: 'NO_CONTACT',
      at: r.firstContactBy,
      ownerRepId: ownerAt(r, r.firstContactBy),
      detail: `no contact attempt before ${e.type} at ${at}`,
      event: refOf(e),
    });
  }
  if (r.status === 'ACCEPTED' && (e.type === 'LeadRecycled' || e.type === 'LeadDisqualified')) {
    return withDrop(r, {
      reason: 'NO_CONTACT',
      at,
      ownerRepId: ownerAt(r, at),
      detail: `accepted, then ${e.type} without a contact attempt`,
      event: refOf(e),
    });
  }
  return r;
};

const close = (r: HandoffRecord, e: ProjectionEvent): HandoffRecord =>
  r.closedAt !== null
    ? r
    : noContactOnClose(
        { ...r, closedAt: e.occurredAt, closedBy: e.type, events: [...r.events, refOf(e)] },
        e,
      );

/** The record after one of its handoff's events; the same object when nothing changed. */
const evolve = (r: HandoffRecord, e: ProjectionEvent): HandoffRecord => {
  const at = e.occurredAt;
  switch (e.type) {
    case 'HandoffAccepted':
      if (r.status !== 'PENDING') return r;
      return { ...r, status: 'ACCEPTED', acceptedAt: at, events: [...r.events, refOf(e)] };
    case 'LeadReassigned': {
      const { toRepId } = e.data as LeadReassigned;
      return {
        ...r,
        owners: [...r.owners, { repId: toRepId, since: at, event: refOf(e) }],
        events: [...r.events, refOf(e)],
      };
    }
    case 'ContactAttemptLogged':
    case 'LeadSalesQualified': {
      if (r.firstContactAt !== null) return r;
      const contacted = { ...r, firstContactAt: at, events: [...r.events, refOf(e)] };
      if (!isBefore(r.firstContactBy, at) || has(r, 'NO_CONTACT', 'FIRST_CONTACT_BREACHED')) {
        return contacted;
      }
      return withDrop(contacted, {
        reason: 'NO_CONTACT',
        at: r.firstContactBy,
        ownerRepId: ownerAt(r, r.firstContactBy),
        detail: `first contact only at ${at}`,
        event: refOf(e),
      });
    }
    case 'HandoffRejected': {
      if (r.closedAt !== null) return r;
      const { repId, reason } = e.data as HandoffRejected;
      const rejected = withDrop(
        { ...r, status: 'REJECTED' },
        { reason: 'REJECTED', at, ownerRepId: repId, detail: reason, event: refOf(e) },
      );
      return close(rejected, e);
    }
    case 'SlaBreached': {
      const { kind, deadline, ownerRepId } = e.data as SlaBreached;
      const reason = `${kind}_BREACHED` as DropReason;
      if (has(r, reason)) return r;
      return withDrop(
        { ...r, events: [...r.events, refOf(e)] },
        { reason, at: iso(deadline), ownerRepId, detail: null, event: refOf(e) },
      );
    }
    case 'LeadRecycled':
    case 'LeadDisqualified':
    case 'LeadConverted':
    case 'LeadForgotten':
      return close(r, e);
    default:
      return r;
  }
};

const handedOff = (e: ProjectionEvent): HandoffRecord => {
  const d = e.data as LeadHandedOff;
  const ref = refOf(e);
  return {
    leadId: d.leadId,
    handoffId: d.handoffId,
    dropId: dropDocId(d.leadId, d.handoffId),
    team: d.team,
    handedOffAt: e.occurredAt,
    acceptBy: iso(d.acceptBy),
    firstContactBy: iso(d.firstContactBy),
    status: 'PENDING',
    acceptedAt: null,
    firstContactAt: null,
    closedAt: null,
    closedBy: null,
    owners: [{ repId: d.repId, since: e.occurredAt, event: ref }],
    drops: [],
    events: [ref],
    droppedAt: null,
  };
};

const recordOf = (doc: Doc | undefined): HandoffRecord | null => {
  if (!doc) return null;
  const { _id, _pos, ...record } = doc;
  return record as unknown as HandoffRecord;
};

const trackedOf = (doc: Doc | undefined): HandoffRecord | null =>
  doc ? ((doc.current ?? null) as unknown as HandoffRecord | null) : null;

const HANDLED = [
  'LeadHandedOff',
  'HandoffAccepted',
  'HandoffRejected',
  'LeadReassigned',
  'ContactAttemptLogged',
  'LeadSalesQualified',
  'SlaBreached',
  'LeadRecycled',
  'LeadDisqualified',
  'LeadConverted',
  'LeadForgotten',
];

const idsOf = (e: ProjectionEvent): { leadId: string; handoffId: string | undefined } => {
  const { leadId, handoffId } = e.data as { leadId: string; handoffId?: string };
  return { leadId, handoffId };
};

export const droppedLeadsProjection: Projection = {
  name: 'droppedLeads',
  version: 1,
  collections: [
    { name: DROPPED_LEADS, indexes: [{ fields: ['droppedAt', 'dropId'] }] },
    { name: DROPPED_LEAD_TRACKERS, indexes: [] },
  ],
  handles: new Set(HANDLED),
  needs(e): DocRef[] {
    const { leadId, handoffId } = idsOf(e);
    const refs: DocRef[] = [{ collection: DROPPED_LEAD_TRACKERS, id: leadId }];
    if (handoffId !== undefined && e.type !== 'LeadHandedOff') {
      refs.push({ collection: DROPPED_LEADS, id: dropDocId(leadId, handoffId) });
    }
    return refs;
  },
  project(e, view: DocView): DocChange[] {
    const { leadId, handoffId } = idsOf(e);
    const current = trackedOf(view.get(DROPPED_LEAD_TRACKERS, leadId));
    let before: HandoffRecord | null;
    let after: HandoffRecord;
    if (e.type === 'LeadHandedOff') {
      before = null;
      after = handedOff(e);
    } else {
      const ofCurrent = handoffId === undefined || current?.handoffId === handoffId;
      before = ofCurrent
        ? current
        : recordOf(view.get(DROPPED_LEADS, dropDocId(leadId, handoffId)));
      if (!before) return [];
      after = evolve(before, e);
      if (after === before) return [];
    }
    const changes: DocChange[] = [
      {
        collection: DROPPED_LEADS,
        id: after.dropId,
        op: { kind: 'set', fields: after as unknown as Record<string, Value> },
      },
    ];
    if (e.type === 'LeadHandedOff' || before === current) {
      changes.push({
        collection: DROPPED_LEAD_TRACKERS,
        id: leadId,
        op: { kind: 'set', fields: { current: after } },
      });
    }
    return changes;
  },
};
