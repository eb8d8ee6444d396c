import { isBefore } from '../shared/time';
import type { Segment } from '../shared/values';
import type { ContactOutcome, LeadEvent, LeadStage, SlaKind, TouchSummaryEntry } from './events';

export interface Handoff {
  handoffId: string;
  /** The rep it is addressed to now (a reassignment moves it). */
  repId: string;
  team: string | null;
  handedOffAt: string;
  acceptBy: string;
  firstContactBy: string;
  minAttempts: number;
  attemptsBy: string;
  status: 'PENDING' | 'ACCEPTED' | 'REJECTED';
  acceptedAt: string | null;
  qualifiedAt: string | null;
  /** When its SLA obligations ended (rejected, recycled, disqualified, converted). */
  closedAt: string | null;
  attempts: Array<{ at: string; outcome: ContactOutcome }>;
  /** Ownership over time, so a breach names the owner when its deadline passed. */
  owners: Array<{ repId: string; since: string }>;
  breaches: SlaKind[];
}

export interface LeadState {
  exists: boolean;
  leadId: string;
  forgotten: boolean;
  stage: LeadStage;
  segment: Segment;
  email: string | null;
  name: string | null;
  company: string | null;
  phone: string | null;
  ownerRepId: string | null;
  team: string | null;
  scores: { fit: number; engagement: number; modelVersion: string | null } | null;
  touchIds: string[];
  firstTouch: TouchSummaryEntry | null;
  lastTouch: TouchSummaryEntry | null;
  leadCreationTouchId: string | null;
  /** Every handoff, oldest first; only the last may be open. */
  handoffs: Handoff[];
  dealIds: string[];
  /** Business time of the latest stage change or reassignment. */
  lastChangeAt: string | null;
}

export const initialState = (): LeadState => ({
  exists: false,
  leadId: '',
  forgotten: false,
  stage: 'LEAD',
  segment: 'SMB',
  email: null,
  name: null,
  company: null,
  phone: null,
  ownerRepId: null,
  team: null,
  scores: null,
  touchIds: [],
  firstTouch: null,
  lastTouch: null,
  leadCreationTouchId: null,
  handoffs: [],
  dealIds: [],
  lastChangeAt: null,
});

export const currentHandoff = (state: LeadState): Handoff | undefined => state.handoffs.at(-1);

export const openHandoff = (state: LeadState): Handoff | undefined => {
  const handoff = currentHandoff(state);
  return handoff && handoff.closedAt === null ? handoff : undefined;
};

const updateHandoff = (
  state: LeadState,
  handoffId: string,
  change: (handoff: Handoff) => Partial<Handoff>,
): Handoff[] => state.handoffs.map((h) => (h.handoffId === handoffId ? { ...h, ...change(h) } : h));

const closeOpenHandoff = (state: LeadState, at: string): Handoff[] =>
  state.handoffs.map((h) => (h.closedAt === null ? { ...h, closedAt: at } : h));

/** Back to marketing: nobody in sales owns the lead any more. */
const released = (state: LeadState, at: string) => ({
  ownerRepId: null,
  team: null,
  handoffs: closeOpenHandoff(state, at),
  lastChangeAt: at,
});

export const evolve = (state: LeadState, event: LeadEvent): LeadState => {
  const at = event.occurredAt;
  switch (event.type) {
    case 'LeadCaptured': {
      const { leadId, email, name, company, segment } = event.data;
      const phone = event.data.phone ?? null;
      return {
        ...state,
        exists: true,
        leadId,
        email,
        name,
        company,
        phone,
        segment,
        lastChangeAt: at,
      };
    }
    case 'TouchRecorded': {
      const { touchId, channel, campaignId, createsLead } = event.data;
      const touch = { touchId, channel, campaignId, occurredAt: at };
      const { firstTouch, lastTouch } = state;
      return {
        ...state,
        touchIds: [...state.touchIds, touchId],
        firstTouch: !firstTouch || isBefore(at, firstTouch.occurredAt) ? touch : firstTouch,
        lastTouch: !lastTouch || !isBefore(at, lastTouch.occurredAt) ? touch : lastTouch,
        leadCreationTouchId: createsLead ? touchId : state.leadCreationTouchId,
      };
    }
    case 'LeadScored': {
      const { fit, engagement, modelVersion } = event.data;
      return { ...state, scores: { fit, engagement, modelVersion } };
    }
    case 'LeadMarketingQualified':
      return { ...state, stage: 'MQL', lastChangeAt: at };
    case 'LeadHandedOff': {
      const d = event.data;
      const handoff: Handoff = {
        handoffId: d.handoffId,
        repId: d.repId,
        team: d.team,
        handedOffAt: at,
        acceptBy: d.acceptBy,
        firstContactBy: d.firstContactBy,
        minAttempts: d.minAttempts,
        attemptsBy: d.attemptsBy,
        status: 'PENDING',
        acceptedAt: null,
        qualifiedAt: null,
        closedAt: null,
        attempts: [],
        owners: [{ repId: d.repId, since: at }],
        breaches: [],
      };
      return {
        ...state,
        stage: 'HANDED_OFF',
        ownerRepId: d.repId,
        team: d.team,
        handoffs: [...state.handoffs, handoff],
        lastChangeAt: at,
      };
    }
    case 'HandoffAccepted':
      return {
        ...state,
        stage: 'SAL',
        handoffs: updateHandoff(state, event.data.handoffId, () => ({
          status: 'ACCEPTED',
          acceptedAt: at,
        })),
        lastChangeAt: at,
      };
    case 'HandoffRejected':
      return {
        ...state,
        ...released(state, at),
        stage: 'MQL',
        handoffs: updateHandoff(state, event.data.handoffId, () => ({
          status: 'REJECTED',
          closedAt: at,
        })),
      };
    case 'LeadRecycled':
      return { ...state, ...released(state, at), stage: 'RECYCLED', scores: null };
    case 'ContactAttemptLogged':
      return {
        ...state,
        handoffs: updateHandoff(state, event.data.handoffId, (h) => ({
          attempts: [...h.attempts, { at, outcome: event.data.outcome }],
        })),
      };
    case 'LeadSalesQualified':
      return {
        ...state,
        stage: 'SQL',
        handoffs: updateHandoff(state, event.data.handoffId, () => ({ qualifiedAt: at })),
        lastChangeAt: at,
      };
    case 'LeadDisqualified':
      return { ...state, ...released(state, at), stage: 'DISQUALIFIED' };
    case 'LeadReassigned': {
      const { handoffId, toRepId } = event.data;
      return {
        ...state,
        ownerRepId: toRepId,
        handoffs: updateHandoff(state, handoffId, (h) => ({
          repId: toRepId,
          owners: [...h.owners, { repId: toRepId, since: at }],
        })),
        lastChangeAt: at,
      };
    }
    case 'SlaBreached':
      return {
        ...state,
        handoffs: updateHandoff(state, event.data.handoffId, (h) => ({
          breaches: [...h.breaches, event.data.kind],
        })),
      };
    case 'LeadConverted':
      return {
        ...state,
        stage: 'OPPORTUNITY',
        dealIds: [...state.dealIds, event.data.dealId],
        handoffs: closeOpenHandoff(state, at),
        lastChangeAt: at,
      };
    case 'LeadForgotten':
      return { ...state, forgotten: true, email: null, name: null, company: null, phone: null };
    default:
      return state;
  }
};
