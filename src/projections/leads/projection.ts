import { LEAD_EVENTS } from '../../domain/lead/events';
import type { DealOpened, DealReopened, DealWon } from '../../domain/deal/events';
import type {
  ContactAttemptLogged,
  HandoffAccepted,
  HandoffRejected,
  LeadCaptured,
  LeadConverted,
  LeadHandedOff,
  LeadReassigned,
  LeadScored,
  LeadStage,
  SlaBreached,
  SlaKind,
  TouchRecorded,
} from '../../domain/lead/events';
import type { Doc, DocChange, Value } from '../../readstore/port';
import type { DocView, Projection, ProjectionEvent } from '../projection';

/**
 * `leads`: the current state of every lead, for the lead page and filtered, sorted lists.
 *
 * Lead events read the lead's document and set the fields they change. Deal events only
 * count deals per lead (`inc`): `DealReopened` names no leads, so the projection cannot read
 * their documents then, and a lead's `stage` (WON when a deal of it is won) is derived from
 * `lifecycleStage` and these counts when read (`stageOf`).
 */

export const LEADS = 'leads';
export const LEAD_TOUCHES = 'lead_touches';
/** Deal id -> its lead ids, for `DealReopened`, which carries none. */
export const LEAD_DEALS = 'lead_deals';

export type SlaStatus = 'NONE' | 'PENDING' | 'MET' | 'BREACHED';

export type TouchRef = {
  touchId: string;
  at: string;
  channel: string;
  campaignId: string | null;
};

export type HandoffRecord = {
  handoffId: string;
  /** The rep it is addressed to now (a reassignment moves it). */
  repId: string;
  team: string | null;
  handedOffAt: string;
  acceptBy: string;
  firstContactBy: string;
  attemptsBy: string;
  minAttempts: number;
  status: 'PENDING' | 'ACCEPTED' | 'REJECTED';
  acceptedAt: string | null;
  acceptedWithinSla: boolean | null;
  rejectedAt: string | null;
  rejectionReason: string | null;
  rejectionNote: string | null;
  /** First contact attempt, or SQL when it came first (the SLA's first-contact rule). */
  firstContactAt: string | null;
  attempts: number;
  /** Attempts (and a connection) by `attemptsBy`: what the attempts rule counts. */
  attemptsInTime: number;
  connectedInTime: boolean;
  qualifiedAt: string | null;
  /** When its SLA obligations ended (rejected, recycled, disqualified, converted). */
  closedAt: string | null;
  owners: Array<{ repId: string; since: string }>;
  breaches: SlaKind[];
  sla: SlaStatus;
};

/** A stored lead document (`_id` is the lead id). */
export type LeadDoc = {
  _id: string;
  leadId: string;
  /** The lead's own stage (what its stream says); deal outcomes are in the counts below. */
  lifecycleStage: LeadStage;
  openDeals: number;
  wonDeals: number;
  lostDeals: number;
  dealIds: string[];
  ownerRepId: string | null;
  team: string | null;
  segment: string;
  channel: string;
  campaignId: string | null;
  email: string | null;
  name: string | null;
  company: string | null;
  phone: string | null;
  forgotten: boolean;
  scores: { fit: number; engagement: number; modelVersion: string | null } | null;
  /** When the lead most recently entered each stage it reached. */
  stageDates: Partial<Record<string, string>>;
  firstTouch: TouchRef | null;
  lastTouch: TouchRef | null;
  touchCount: number;
  /** Every handoff, oldest first; the last is the current one. */
  handoffs: HandoffRecord[];
  slaStatus: SlaStatus;
  capturedAt: string;
  updatedAt: string;
};

export type TouchDoc = {
  _id: string;
  leadId: string;
  touchId: string;
  channel: string;
  campaignId: string | null;
  contentId: string | null;
  kind: string;
  createsLead: boolean;
  occurredAt: string;
};

/** Ids are `Id`s (no `|`), so the pair is unambiguous. */
export const touchDocId = (leadId: string, touchId: string): string => `${leadId}|${touchId}`;

/** Every event of a lead's stream, as the domain defines them. */
const LEAD_EVENT_TYPES = Object.keys(LEAD_EVENTS);
const DEAL_EVENTS = ['DealOpened', 'DealWon', 'DealLost', 'DealReopened'];

const before = (a: string, b: string): boolean => Date.parse(a) < Date.parse(b);
const notAfter = (a: string, b: string): boolean => !before(b, a);

/** The SLA standing of one handoff: any obligation breached, all met or waived, or still open. */
const slaOf = (h: Omit<HandoffRecord, 'sla'>): SlaStatus => {
  const lateContact = h.firstContactAt !== null && before(h.firstContactBy, h.firstContactAt);
  const lateRejection = h.rejectedAt !== null && before(h.acceptBy, h.rejectedAt);
  if (h.breaches.length > 0 || h.acceptedWithinSla === false || lateContact || lateRejection) {
    return 'BREACHED';
  }
  if (h.status === 'REJECTED') return 'MET';
  if (h.status === 'PENDING') return 'PENDING';
  const endedBy = (deadline: string) => h.closedAt !== null && notAfter(h.closedAt, deadline);
  const contactDone = h.firstContactAt !== null || endedBy(h.firstContactBy);
  const qualifiedInTime = h.qualifiedAt !== null && notAfter(h.qualifiedAt, h.attemptsBy);
  const attemptsDone =
    h.attemptsInTime >= h.minAttempts ||
    h.connectedInTime ||
    qualifiedInTime ||
    endedBy(h.attemptsBy);
  return contactDone && attemptsDone ? 'MET' : 'PENDING';
};

const withSla = (h: Omit<HandoffRecord, 'sla'>): HandoffRecord => ({ ...h, sla: slaOf(h) });

const current = (lead: LeadDoc): HandoffRecord | undefined => lead.handoffs.at(-1);

/** Changes the handoff `handoffId` and returns the fields to set (with the lead's SLA status). */
const changeHandoff = (
  lead: LeadDoc,
  handoffId: string,
  change: (h: HandoffRecord) => Partial<HandoffRecord>,
): Partial<LeadDoc> => {
  const handoffs = lead.handoffs.map((h) =>
    h.handoffId === handoffId ? withSla({ ...h, ...change(h) }) : h,
  );
  return { handoffs, slaStatus: handoffs.at(-1)?.sla ?? 'NONE' };
};

const closeOpen = (lead: LeadDoc, at: string): Partial<LeadDoc> => {
  const open = current(lead);
  return open && open.closedAt === null
    ? changeHandoff(lead, open.handoffId, () => ({ closedAt: at }))
    : {};
};

/** Back to marketing: nobody in sales owns the lead any more. */
const released = (lead: LeadDoc, at: string): Partial<LeadDoc> => ({
  ownerRepId: null,
  team: null,
  ...closeOpen(lead, at),
});

const touchRef = (t: TouchRecorded, at: string): TouchRef => ({
  touchId: t.touchId,
  at,
  channel: t.channel,
  campaignId: t.campaignId,
});

type LeadChange = { fields: Partial<LeadDoc>; stage?: LeadStage };

/** A new lead's fields; `stageDates` and `updatedAt` are written like every event's. */
const captured = (d: LeadCaptured, at: string): Partial<LeadDoc> => ({
  leadId: d.leadId,
  lifecycleStage: 'LEAD',
  openDeals: 0,
  wonDeals: 0,
  lostDeals: 0,
  dealIds: [],
  ownerRepId: null,
  team: null,
  segment: d.segment,
  channel: d.channel,
  campaignId: d.campaignId,
  email: d.email,
  name: d.name,
  company: d.company,
  phone: d.phone ?? null,
  forgotten: false,
  scores: null,
  firstTouch: null,
  lastTouch: null,
  touchCount: 0,
  handoffs: [],
  slaStatus: 'NONE',
  capturedAt: at,
});

/** What a lead event changes on an existing lead (mirrors the lead decider's `evolve`). */
const evolve = (lead: LeadDoc, e: ProjectionEvent): LeadChange | undefined => {
  const at = e.occurredAt;
  switch (e.type) {
    case 'TouchRecorded': {
      const t = e.data as TouchRecorded;
      const { firstTouch, lastTouch } = lead;
      return {
        fields: {
          touchCount: lead.touchCount + 1,
          firstTouch: !firstTouch || before(at, firstTouch.at) ? touchRef(t, at) : firstTouch,
          lastTouch: !lastTouch || !before(at, lastTouch.at) ? touchRef(t, at) : lastTouch,
        },
      };
    }
    case 'LeadScored': {
      const { fit, engagement, modelVersion } = e.data as LeadScored;
      return { fields: { scores: { fit, engagement, modelVersion } } };
    }
    case 'LeadMarketingQualified':
      return { fields: {}, stage: 'MQL' };
    case 'LeadHandedOff': {
      const d = e.data as LeadHandedOff;
      const handoff = withSla({
        handoffId: d.handoffId,
        repId: d.repId,
        team: d.team,
        handedOffAt: at,
        acceptBy: d.acceptBy,
        firstContactBy: d.firstContactBy,
        attemptsBy: d.attemptsBy,
        minAttempts: d.minAttempts,
        status: 'PENDING',
        acceptedAt: null,
        acceptedWithinSla: null,
        rejectedAt: null,
        rejectionReason: null,
        rejectionNote: null,
        firstContactAt: null,
        attempts: 0,
        attemptsInTime: 0,
        connectedInTime: false,
        qualifiedAt: null,
        closedAt: null,
        owners: [{ repId: d.repId, since: at }],
        breaches: [],
      });
      return {
        fields: {
          ownerRepId: d.repId,
          team: d.team,
          handoffs: [...lead.handoffs, handoff],
          slaStatus: handoff.sla,
        },
        stage: 'HANDED_OFF',
      };
    }
    case 'HandoffAccepted': {
      const { handoffId, withinSla } = e.data as HandoffAccepted;
      return {
        fields: changeHandoff(lead, handoffId, () => ({
          status: 'ACCEPTED',
          acceptedAt: at,
          acceptedWithinSla: withinSla,
        })),
        stage: 'SAL',
      };
    }
    case 'HandoffRejected': {
      const { handoffId, reason, note } = e.data as HandoffRejected;
      return {
        fields: {
          ...released(lead, at),
          ...changeHandoff(lead, handoffId, () => ({
            status: 'REJECTED',
            rejectedAt: at,
            rejectionReason: reason,
            rejectionNote: note,
            closedAt: at,
          })),
        },
        stage: 'MQL',
      };
    }
    case 'LeadRecycled':
      return { fields: { ...released(lead, at), scores: null }, stage: 'RECYCLED' };
    case 'LeadDisqualified':
      return { fields: released(lead, at), stage: 'DISQUALIFIED' };
    case 'ContactAttemptLogged': {
      const { handoffId, outcome } = e.data as ContactAttemptLogged;
      return {
        fields: changeHandoff(lead, handoffId, (h) => {
          const inTime = notAfter(at, h.attemptsBy);
          const connected = outcome === 'CONNECTED' || outcome === 'MEETING_BOOKED';
          return {
            attempts: h.attempts + 1,
            attemptsInTime: h.attemptsInTime + (inTime ? 1 : 0),
            connectedInTime: h.connectedInTime || (inTime && connected),
            firstContactAt: h.firstContactAt ?? at,
          };
        }),
      };
    }
    case 'LeadSalesQualified': {
      const { handoffId } = e.data as { handoffId: string };
      return {
        fields: changeHandoff(lead, handoffId, (h) => ({
          qualifiedAt: at,
          firstContactAt: h.firstContactAt ?? at,
        })),
        stage: 'SQL',
      };
    }
    case 'LeadReassigned': {
      const { handoffId, toRepId } = e.data as LeadReassigned;
      return {
        fields: {
          ownerRepId: toRepId,
          ...changeHandoff(lead, handoffId, (h) => ({
            repId: toRepId,
            owners: [...h.owners, { repId: toRepId, since: at }],
          })),
        },
      };
    }
    case 'SlaBreached': {
      const { handoffId, kind } = e.data as SlaBreached;
      return {
        fields: changeHandoff(lead, handoffId, (h) => ({
          breaches: h.breaches.includes(kind) ? h.breaches : [...h.breaches, kind],
        })),
      };
    }
    case 'LeadConverted': {
      const { dealId } = e.data as LeadConverted;
      return {
        fields: {
          ...closeOpen(lead, at),
          dealIds: lead.dealIds.includes(dealId) ? lead.dealIds : [...lead.dealIds, dealId],
        },
        stage: 'OPPORTUNITY',
      };
    }
    case 'LeadForgotten':
      return {
        fields: {
          forgotten: true,
          email: null,
          name: null,
          company: null,
          phone: null,
          handoffs: lead.handoffs.map((h) => ({ ...h, rejectionNote: null })),
        },
      };
    default:
      return undefined;
  }
};

/**
 * The one change a lead event makes. `stageDates` is always written leaf by leaf and deal
 * counts only by `inc`, so no update holds a path and its parent (MongoDB refuses that).
 * `updatedAt` never goes back: deal events raise it with `max`, lead events set the later time.
 */
const leadChange = (
  lead: LeadDoc | undefined,
  id: string,
  at: string,
  c: LeadChange,
): DocChange => {
  const fields: Record<string, Value> = { ...(c.fields as Record<string, Value>) };
  if (c.stage) {
    fields.lifecycleStage = c.stage;
    fields[`stageDates.${c.stage}`] = at;
  }
  fields.updatedAt = lead && before(at, lead.updatedAt) ? lead.updatedAt : at;
  return { collection: LEADS, id, op: { kind: 'set', fields } };
};

const projectLeadEvent = (e: ProjectionEvent, view: DocView): DocChange[] => {
  const { leadId } = e.data as { leadId: string };
  const at = e.occurredAt;
  if (e.type === 'LeadCaptured') {
    const fields = captured(e.data as LeadCaptured, at);
    return [leadChange(undefined, leadId, at, { fields, stage: 'LEAD' })];
  }
  const lead = view.get(LEADS, leadId) as unknown as LeadDoc | undefined;
  if (!lead) return [];
  const change = evolve(lead, e);
  if (!change) return [];
  const changes = [leadChange(lead, leadId, at, change)];
  if (e.type === 'TouchRecorded') {
    const t = e.data as TouchRecorded;
    const touch: Omit<TouchDoc, '_id'> = {
      leadId,
      touchId: t.touchId,
      channel: t.channel,
      campaignId: t.campaignId,
      contentId: t.contentId,
      kind: t.kind,
      createsLead: t.createsLead,
      occurredAt: at,
    };
    changes.push({
      collection: LEAD_TOUCHES,
      id: touchDocId(leadId, t.touchId),
      op: { kind: 'set', fields: touch },
    });
  }
  return changes;
};

const dealCounts = (
  leadIds: readonly string[],
  counts: Record<string, number>,
  at: string,
  stageDate?: string,
): DocChange[] =>
  leadIds.flatMap((id): DocChange[] => [
    { collection: LEADS, id, op: { kind: 'inc', fields: counts } },
    { collection: LEADS, id, op: { kind: 'max', fields: { updatedAt: at } } },
    ...(stageDate
      ? [
          {
            collection: LEADS,
            id,
            op: { kind: 'set', fields: { [`stageDates.${stageDate}`]: at } },
          } satisfies DocChange,
        ]
      : []),
  ]);

const projectDealEvent = (e: ProjectionEvent, view: DocView): DocChange[] => {
  const at = e.occurredAt;
  switch (e.type) {
    case 'DealOpened': {
      const { dealId, leadIds } = e.data as DealOpened;
      return [
        { collection: LEAD_DEALS, id: dealId, op: { kind: 'set', fields: { dealId, leadIds } } },
        ...dealCounts(leadIds, { openDeals: 1 }, at),
      ];
    }
    case 'DealWon':
      return dealCounts((e.data as DealWon).leadIds, { openDeals: -1, wonDeals: 1 }, at, 'WON');
    case 'DealLost':
      return dealCounts((e.data as DealWon).leadIds, { openDeals: -1, lostDeals: 1 }, at, 'LOST');
    case 'DealReopened': {
      const { dealId, fromStatus } = e.data as DealReopened;
      const deal = view.get(LEAD_DEALS, dealId);
      const leadIds = Array.isArray(deal?.leadIds) ? (deal.leadIds as string[]) : [];
      const closed = fromStatus === 'WON' ? 'wonDeals' : 'lostDeals';
      return dealCounts(leadIds, { openDeals: 1, [closed]: -1 }, at);
    }
    default:
      return [];
  }
};

export const leadsProjection: Projection = {
  name: 'leads',
  // 2: the segment index became the covering index of the lead lists (a fresh generation has
  // no plain segment index left for the planner to prefer).
  version: 2,
  collections: [
    {
      name: LEADS,
      indexes: [
        { fields: ['lifecycleStage', 'updatedAt', 'leadId'] },
        { fields: ['wonDeals'] },
        { fields: ['ownerRepId', 'updatedAt', 'leadId'] },
        { fields: ['team'] },
        // Covers the lead lists' usual filter, segment and stage (see stageFilter), with their order.
        {
          fields: [
            'segment',
            'lifecycleStage',
            'wonDeals',
            'openDeals',
            'lostDeals',
            'capturedAt',
            'leadId',
          ],
        },
        { fields: ['channel'] },
        { fields: ['campaignId'] },
        { fields: ['slaStatus'] },
        { fields: ['capturedAt', 'leadId'] },
        { fields: ['updatedAt', 'leadId'] },
      ],
    },
    { name: LEAD_TOUCHES, indexes: [{ fields: ['leadId', 'occurredAt', 'touchId'] }] },
    { name: LEAD_DEALS, indexes: [] },
  ],
  handles: new Set([...LEAD_EVENT_TYPES, ...DEAL_EVENTS]),
  writeAhead: [LEAD_TOUCHES],
  needs(e) {
    if (e.type === 'DealReopened') {
      return [{ collection: LEAD_DEALS, id: (e.data as DealReopened).dealId }];
    }
    if (e.type === 'LeadCaptured' || DEAL_EVENTS.includes(e.type)) return [];
    return [{ collection: LEADS, id: (e.data as { leadId: string }).leadId }];
  },
  project(e, view) {
    return DEAL_EVENTS.includes(e.type) ? projectDealEvent(e, view) : projectLeadEvent(e, view);
  },
};

/** A lead document as stored, typed (documents are written only by this projection). */
export const asLeadDoc = (doc: Doc): LeadDoc => doc as unknown as LeadDoc;
