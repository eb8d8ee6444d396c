import { DEAL_EVENTS, type DealEventData } from '../../src/domain/deal/events';
import { LEAD_EVENTS, type LeadEventData } from '../../src/domain/lead/events';
import type { ProjectionEvent } from '../../src/projections/projection';
import { positionOf } from './harness';

/**
 * One small sales history that every projection test (unit and store) folds:
 * - L1 (SMB, WEBINAR, cmp-a): two touches, MQL, handed to rex (EMEA), accepted in time,
 *   contacted, SQL, deal D1 opened and won.
 * - L2 (SMB, WEBINAR, cmp-a): handed to rex, acceptance breached, accepted late, recycled.
 * - L3 (ENTERPRISE, EVENT, no campaign): handed to ora (EMEA) and rejected, handed to ula (NA),
 *   reassigned to rex, accepted, first contact breached then made, SQL, deal D2 lost, reopened,
 *   won.
 * - L4 (MID_MARKET, PAID_SEARCH, cmp-b): MQL, disqualified, forgotten.
 */

export const T0 = '2026-07-01T09:00:00.000Z';
export const H = 60;
export const D = 24 * H;
/** `m` minutes after T0. */
export const at = (m: number): string => new Date(Date.parse(T0) + m * 60_000).toISOString();

type Data = LeadEventData & DealEventData;

interface Draft {
  type: string;
  data: unknown;
  minutes: number;
  streamId: string;
  /** When it reached the log, if after its business time (history recorded late). */
  loggedAt?: number;
}

const recordedLate = (draft: Draft, loggedAt: number): Draft => ({ ...draft, loggedAt });

const lead = <K extends keyof LeadEventData>(
  type: K,
  minutes: number,
  data: LeadEventData[K],
): Draft => ({
  type,
  data: LEAD_EVENTS[type].parse(data),
  minutes,
  streamId: `lead-${data.leadId}`,
});

const deal = <K extends keyof DealEventData>(
  type: K,
  minutes: number,
  data: DealEventData[K],
): Draft => ({
  type,
  data: DEAL_EVENTS[type].parse(data),
  minutes,
  streamId: `deal-${data.dealId}`,
});

const captured = (
  leadId: string,
  minutes: number,
  source: Pick<Data['LeadCaptured'], 'segment' | 'channel' | 'campaignId'>,
): Draft =>
  lead('LeadCaptured', minutes, {
    leadId,
    email: `${leadId.toLowerCase()}@example.com`,
    name: `Name ${leadId}`,
    company: `Company ${leadId}`,
    ...source,
  });

const mql = (leadId: string, minutes: number, requalified = false): Draft =>
  lead('LeadMarketingQualified', minutes, { leadId, reason: null, requalified });

/** Built-in style terms: accept in 60 min, first contact in 240, 3 attempts in 7 days. */
const handedOff = (
  leadId: string,
  handoffId: string,
  repId: string,
  team: string | null,
  minutes: number,
): Draft =>
  lead('LeadHandedOff', minutes, {
    leadId,
    handoffId,
    repId,
    team,
    agreementId: 'builtin',
    agreementVersion: 0,
    acceptBy: at(minutes + 60),
    firstContactBy: at(minutes + 240),
    minAttempts: 3,
    attemptsBy: at(minutes + 7 * D),
    touchSummary: { count: 0, first: null, last: null },
  });

const accepted = (
  leadId: string,
  handoffId: string,
  repId: string,
  minutes: number,
  handedOffAt: number,
): Draft =>
  lead('HandoffAccepted', minutes, {
    leadId,
    handoffId,
    repId,
    minutesToAccept: minutes - handedOffAt,
    withinSla: minutes - handedOffAt <= 60,
  });

const attempt = (leadId: string, handoffId: string, repId: string, n: number, minutes: number) =>
  lead('ContactAttemptLogged', minutes, {
    leadId,
    handoffId,
    repId,
    attemptNo: n,
    channel: 'CALL',
    outcome: 'CONNECTED',
  });

const sql = (leadId: string, handoffId: string, repId: string, minutes: number) =>
  lead('LeadSalesQualified', minutes, {
    leadId,
    handoffId,
    repId,
    budget: null,
    authority: null,
    need: null,
    timeline: null,
  });

const breached = (
  leadId: string,
  handoffId: string,
  kind: 'ACCEPTANCE' | 'FIRST_CONTACT',
  deadline: number,
  ownerRepId: string,
  team: string | null,
) =>
  lead('SlaBreached', deadline + 5, {
    leadId,
    handoffId,
    kind,
    deadline: at(deadline),
    detectedAt: at(deadline + 5),
    ownerRepId,
    team,
  });

const opened = (dealId: string, leadIds: string[], minutes: number) =>
  deal('DealOpened', minutes, {
    dealId,
    leadIds,
    account: 'Acme',
    amount: 1000,
    currency: 'EUR',
    ownerRepId: 'rex',
  });

const outcome = { amount: 1000, currency: 'EUR', ownerRepId: 'rex' };

const drafts: Draft[] = [
  // L1
  captured('L1', 0, { segment: 'SMB', channel: 'WEBINAR', campaignId: 'cmp-a' }),
  lead('TouchRecorded', 5, {
    leadId: 'L1',
    touchId: 't1',
    channel: 'EMAIL',
    campaignId: 'cmp-n',
    contentId: null,
    kind: 'MARKETING',
    createsLead: false,
  }),
  recordedLate(
    lead('TouchRecorded', 2, {
      leadId: 'L1',
      touchId: 't2',
      channel: 'WEBINAR',
      campaignId: 'cmp-a',
      contentId: 'c-9',
      kind: 'MARKETING',
      createsLead: true,
    }),
    6,
  ),
  lead('LeadScored', 10, { leadId: 'L1', fit: 80, engagement: 60, modelVersion: 'v3' }),
  mql('L1', 60),
  handedOff('L1', 'H1', 'rex', 'EMEA', 60),
  accepted('L1', 'H1', 'rex', 90, 60),
  attempt('L1', 'H1', 'rex', 1, 150),
  sql('L1', 'H1', 'rex', D),
  opened('D1', ['L1'], 2 * D),
  lead('LeadConverted', 2 * D, { leadId: 'L1', dealId: 'D1' }),
  deal('DealWon', 10 * D, { dealId: 'D1', leadIds: ['L1'], ...outcome }),
  // L2
  captured('L2', 30, { segment: 'SMB', channel: 'WEBINAR', campaignId: 'cmp-a' }),
  lead('LeadScored', 40, { leadId: 'L2', fit: 50, engagement: 20, modelVersion: 'v3' }),
  mql('L2', 90),
  handedOff('L2', 'H2', 'rex', 'EMEA', 100),
  breached('L2', 'H2', 'ACCEPTANCE', 160, 'rex', 'EMEA'),
  accepted('L2', 'H2', 'rex', 300, 100),
  lead('LeadRecycled', 2 * D, {
    leadId: 'L2',
    reason: 'not now',
    fromStage: 'SAL',
    ownerRepId: 'rex',
  }),
  // L3
  captured('L3', D, { segment: 'ENTERPRISE', channel: 'EVENT', campaignId: null }),
  mql('L3', D + 60),
  handedOff('L3', 'H3a', 'ora', 'EMEA', D + 120),
  lead('HandoffRejected', D + 150, {
    leadId: 'L3',
    handoffId: 'H3a',
    repId: 'ora',
    reason: 'NOT_ICP',
    note: 'call me on 555-0100',
  }),
  handedOff('L3', 'H3b', 'ula', 'NA', D + 180),
  lead('LeadReassigned', D + 200, {
    leadId: 'L3',
    handoffId: 'H3b',
    fromRepId: 'ula',
    toRepId: 'rex',
    reason: null,
  }),
  accepted('L3', 'H3b', 'rex', D + 220, D + 180),
  breached('L3', 'H3b', 'FIRST_CONTACT', D + 420, 'rex', 'NA'),
  attempt('L3', 'H3b', 'rex', 1, D + 500),
  sql('L3', 'H3b', 'rex', 3 * D),
  opened('D2', ['L3'], 4 * D),
  lead('LeadConverted', 4 * D, { leadId: 'L3', dealId: 'D2' }),
  deal('DealLost', 6 * D, {
    dealId: 'D2',
    leadIds: ['L3'],
    ...outcome,
    reason: 'PRICE',
    competitor: null,
  }),
  deal('DealReopened', 7 * D, { dealId: 'D2', fromStatus: 'LOST', reason: null }),
  deal('DealWon', 8 * D, { dealId: 'D2', leadIds: ['L3'], ...outcome }),
  // L4
  captured('L4', 2 * D, { segment: 'MID_MARKET', channel: 'PAID_SEARCH', campaignId: 'cmp-b' }),
  mql('L4', 2 * D + 10),
  lead('LeadDisqualified', 2 * D + 20, {
    leadId: 'L4',
    reason: 'student',
    fromStage: 'MQL',
    ownerRepId: null,
  }),
  lead('LeadForgotten', 3 * D, { leadId: 'L4', reason: 'GDPR request' }),
];

/** The history in log order: by time logged, each stream's events in their own order. */
export const HISTORY: ProjectionEvent[] = (() => {
  const logged = (d: Draft) => d.loggedAt ?? d.minutes;
  const ordered = drafts
    .map((d, i) => ({ d, i }))
    .sort((a, b) => logged(a.d) - logged(b.d) || a.i - b.i);
  const revisions = new Map<string, number>();
  return ordered.map(({ d }, i) => {
    const revision = revisions.get(d.streamId) ?? 0;
    revisions.set(d.streamId, revision + 1);
    return {
      type: d.type,
      data: d.data,
      streamId: d.streamId,
      revision,
      position: positionOf(i),
      occurredAt: at(d.minutes),
      recordedAt: at(logged(d)),
      actorId: 'tester',
    };
  });
})();

/** The history up to (not including) the first event of `type` on `streamId`. */
export const historyBefore = (type: string, streamId: string): ProjectionEvent[] =>
  HISTORY.slice(
    0,
    HISTORY.findIndex((e) => e.type === type && e.streamId === streamId),
  );
