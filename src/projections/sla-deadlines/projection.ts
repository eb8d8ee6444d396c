import type { LeadEventData, SlaKind } from '../../domain/lead/events';
import { isBefore } from '../../domain/shared/time';
import type { Doc, DocChange } from '../../readstore/port';
import type { DocView, Projection, ProjectionEvent } from '../projection';

/** One document per handoff and SLA kind: the deadline and whether it can still be breached. */
export const SLA_DEADLINES = 'sla_deadlines';
/** Per lead: what the projection must remember to settle deadlines on events without a handoff id. */
export const SLA_DEADLINE_LEADS = 'sla_deadline_leads';

/**
 * OPEN: a breach can be recorded once the deadline passes. WAITING: contact deadlines of a
 * handoff not accepted yet (the decider refuses them: HANDOFF_NOT_ACCEPTED). CLOSED: settled.
 */
export type DeadlineStatus = 'WAITING' | 'OPEN' | 'CLOSED';

export type SlaDeadlineDoc = Doc & {
  leadId: string;
  handoffId: string;
  kind: SlaKind;
  deadline: string;
  status: DeadlineStatus;
  /** The event type that closed it (SlaBreached, HandoffAccepted, …), null while unsettled. */
  settledBy: string | null;
  settledAt: string | null;
};

/** The lead's latest handoff, as far as settling its deadlines needs. */
type HandoffTerms = {
  handoffId: string;
  acceptBy: string;
  firstContactBy: string;
  attemptsBy: string;
  minAttempts: number;
  accepted: boolean;
  /** Attempts logged at or before `attemptsBy`. */
  attemptsInWindow: number;
  /** Rejected, recycled, disqualified or converted: no new contact can meet its deadlines. */
  closed: boolean;
};

/** A deadline that is WAITING or OPEN; after its handoff closes it may still be breached. */
type Unsettled = { handoffId: string; kind: SlaKind; deadline: string };

type Tracker = { handoff: HandoffTerms | null; unsettled: Unsettled[] };

const KINDS: readonly SlaKind[] = ['ACCEPTANCE', 'FIRST_CONTACT', 'ATTEMPTS'];

/** `/` cannot occur in an Id, so the parts never run into each other. */
export const deadlineId = (leadId: string, handoffId: string, kind: SlaKind): string =>
  `${leadId}/${handoffId}/${kind}`;

const iso = (instant: string): string => new Date(instant).toISOString();

const deadlineOf = (h: HandoffTerms, kind: SlaKind): string =>
  kind === 'ACCEPTANCE' ? h.acceptBy : kind === 'FIRST_CONTACT' ? h.firstContactBy : h.attemptsBy;

/** The rules of `recordSlaBreach` in the lead decider, applied as the events arrive. */
const track = (
  t: Tracker,
  e: ProjectionEvent,
): { tracker: Tracker; changes: Array<{ u: Unsettled; fields: Partial<SlaDeadlineDoc> }> } => {
  const at = e.occurredAt;
  const changes: Array<{ u: Unsettled; fields: Partial<SlaDeadlineDoc> }> = [];
  let { handoff, unsettled } = t;
  const settle = (which: (u: Unsettled) => boolean) => {
    for (const u of unsettled.filter(which)) {
      changes.push({ u, fields: { status: 'CLOSED', settledBy: e.type, settledAt: at } });
    }
    unsettled = unsettled.filter((u) => !which(u));
  };
  const current = (handoffId: string) => handoff !== null && handoff.handoffId === handoffId;
  const ofCurrent = (kind?: SlaKind) => (u: Unsettled) =>
    u.handoffId === handoff?.handoffId && (kind === undefined || u.kind === kind);

  switch (e.type) {
    case 'LeadHandedOff': {
      const d = e.data as LeadEventData['LeadHandedOff'];
      handoff = {
        handoffId: d.handoffId,
        acceptBy: iso(d.acceptBy),
        firstContactBy: iso(d.firstContactBy),
        attemptsBy: iso(d.attemptsBy),
        minAttempts: d.minAttempts,
        accepted: false,
        attemptsInWindow: 0,
        closed: false,
      };
      for (const kind of KINDS) {
        const u = { handoffId: d.handoffId, kind, deadline: deadlineOf(handoff, kind) };
        // With no attempts required the cadence is met from the start.
        const met = kind === 'ATTEMPTS' && d.minAttempts === 0;
        const status: DeadlineStatus = met ? 'CLOSED' : kind === 'ACCEPTANCE' ? 'OPEN' : 'WAITING';
        changes.push({
          u,
          fields: {
            leadId: d.leadId,
            handoffId: d.handoffId,
            kind,
            deadline: u.deadline,
            status,
            settledBy: met ? e.type : null,
            settledAt: met ? at : null,
          },
        });
        if (!met) unsettled = [...unsettled, u];
      }
      break;
    }
    case 'HandoffAccepted': {
      const { handoffId } = e.data as LeadEventData['HandoffAccepted'];
      if (!handoff || !current(handoffId)) break;
      handoff = { ...handoff, accepted: true };
      // Even a late acceptance wins over a breach not yet recorded (HANDOFF_NOT_PENDING).
      settle(ofCurrent('ACCEPTANCE'));
      for (const u of unsettled.filter(ofCurrent()))
        changes.push({ u, fields: { status: 'OPEN' } });
      break;
    }
    case 'HandoffRejected': {
      const { handoffId } = e.data as LeadEventData['HandoffRejected'];
      if (!handoff || !current(handoffId)) break;
      handoff = { ...handoff, closed: true };
      settle(ofCurrent());
      break;
    }
    case 'ContactAttemptLogged': {
      const { handoffId, outcome } = e.data as LeadEventData['ContactAttemptLogged'];
      if (!handoff || !current(handoffId)) break;
      // A late attempt meets nothing: the breach can still be recorded.
      if (!isBefore(handoff.firstContactBy, at)) settle(ofCurrent('FIRST_CONTACT'));
      if (!isBefore(handoff.attemptsBy, at)) {
        handoff = { ...handoff, attemptsInWindow: handoff.attemptsInWindow + 1 };
        const connected = outcome === 'CONNECTED' || outcome === 'MEETING_BOOKED';
        if (connected || handoff.attemptsInWindow >= handoff.minAttempts) {
          settle(ofCurrent('ATTEMPTS'));
        }
      }
      break;
    }
    case 'LeadSalesQualified': {
      const { handoffId } = e.data as LeadEventData['LeadSalesQualified'];
      if (!handoff || !current(handoffId)) break;
      if (!isBefore(handoff.firstContactBy, at)) settle(ofCurrent('FIRST_CONTACT'));
      if (!isBefore(handoff.attemptsBy, at)) settle(ofCurrent('ATTEMPTS'));
      break;
    }
    case 'LeadRecycled':
    case 'LeadDisqualified':
    case 'LeadConverted': {
      if (!handoff || handoff.closed) break;
      const h: HandoffTerms = { ...handoff, closed: true };
      handoff = h;
      // A deadline that passed before the handoff ended can still be breached; the rest cannot,
      // and neither can contact deadlines of a handoff never accepted.
      settle(
        (u) =>
          ofCurrent()(u) && (!isBefore(u.deadline, at) || (u.kind !== 'ACCEPTANCE' && !h.accepted)),
      );
      break;
    }
    case 'SlaBreached': {
      const { handoffId, kind } = e.data as LeadEventData['SlaBreached'];
      settle((u) => u.handoffId === handoffId && u.kind === kind);
      break;
    }
    case 'LeadForgotten':
      // A forgotten lead accepts no command, a breach included.
      settle(() => true);
      break;
  }
  return { tracker: { handoff, unsettled }, changes };
};

const readTracker = (doc: Doc | undefined): Tracker =>
  doc
    ? { handoff: doc.handoff as HandoffTerms | null, unsettled: doc.unsettled as Unsettled[] }
    : { handoff: null, unsettled: [] };

const leadIdOf = (e: ProjectionEvent): string => (e.data as { leadId: string }).leadId;

/** Opens a handoff's deadlines and closes each on the event that settles it, as the decider would. */
export const slaDeadlinesProjection: Projection = {
  name: 'slaDeadlines',
  version: 1,
  collections: [
    { name: SLA_DEADLINES, indexes: [{ fields: ['status', 'deadline'] }] },
    { name: SLA_DEADLINE_LEADS, indexes: [] },
  ],
  handles: new Set([
    'LeadHandedOff',
    'HandoffAccepted',
    'HandoffRejected',
    'ContactAttemptLogged',
    'LeadSalesQualified',
    'LeadRecycled',
    'LeadDisqualified',
    'LeadConverted',
    'SlaBreached',
    'LeadForgotten',
  ]),
  needs: (e) => [{ collection: SLA_DEADLINE_LEADS, id: leadIdOf(e) }],
  project: (e: ProjectionEvent, view: DocView): DocChange[] => {
    const leadId = leadIdOf(e);
    const before = readTracker(view.get(SLA_DEADLINE_LEADS, leadId));
    const { tracker, changes } = track(before, e);
    if (changes.length === 0 && tracker.handoff === before.handoff) return [];
    return [
      ...changes.map(({ u, fields }) => ({
        collection: SLA_DEADLINES,
        id: deadlineId(leadId, u.handoffId, u.kind),
        op: { kind: 'set' as const, fields: fields as Record<string, string | null> },
      })),
      {
        collection: SLA_DEADLINE_LEADS,
        id: leadId,
        op: { kind: 'set', fields: { handoff: tracker.handoff, unsettled: tracker.unsettled } },
      },
    ];
  },
};
