import type { CommandOptions } from './support';
import { at, command, event, T0 } from './support';

export const LEAD_ID = 'L-1';
export const HANDOFF_ID = 'H-1';

/** A lead command on LEAD_ID (by default at T0 as ADMIN). */
export const onLead = (
  type: string,
  input: Record<string, unknown> = {},
  options?: CommandOptions,
) => command(type, { leadId: LEAD_ID, ...input }, options);

export const captured = event(
  'LeadCaptured',
  {
    leadId: LEAD_ID,
    email: 'ann@acme.io',
    name: 'Ann Lee',
    company: 'Acme',
    segment: 'MID_MARKET',
    channel: 'WEBINAR',
    campaignId: 'cmp-webinar',
  },
  T0,
);

export const touched = (touchId: string, minutes: number, extra: Record<string, unknown> = {}) =>
  event(
    'TouchRecorded',
    {
      leadId: LEAD_ID,
      touchId,
      channel: 'EMAIL',
      campaignId: 'cmp-nurture',
      contentId: null,
      kind: 'MARKETING',
      createsLead: false,
      ...extra,
    },
    at(minutes),
  );

export const scored = (minutes: number) =>
  event(
    'LeadScored',
    { leadId: LEAD_ID, fit: 80, engagement: 60, modelVersion: 'v3' },
    at(minutes),
  );

export const qualified = (minutes = 10, requalified = false) =>
  event('LeadMarketingQualified', { leadId: LEAD_ID, reason: null, requalified }, at(minutes));

/** Handed to rex under the built-in terms (60 min, 240 min, 3 attempts in 7 days). */
export const handedOff = (
  minutes = 20,
  overrides: Record<string, unknown> = {},
  handoffId = HANDOFF_ID,
) =>
  event(
    'LeadHandedOff',
    {
      leadId: LEAD_ID,
      handoffId,
      repId: 'rex',
      team: 'EMEA',
      agreementId: 'builtin',
      agreementVersion: 0,
      acceptBy: at(minutes + 60),
      firstContactBy: at(minutes + 240),
      minAttempts: 3,
      attemptsBy: at(minutes + 7 * 24 * 60),
      touchSummary: { count: 0, first: null, last: null },
      ...overrides,
    },
    at(minutes),
  );

export const accepted = (minutes = 30, handoffId = HANDOFF_ID, repId = 'rex') =>
  event(
    'HandoffAccepted',
    { leadId: LEAD_ID, handoffId, repId, minutesToAccept: minutes - 20, withinSla: true },
    at(minutes),
  );

export const rejected = (minutes = 30, handoffId = HANDOFF_ID) =>
  event(
    'HandoffRejected',
    { leadId: LEAD_ID, handoffId, repId: 'rex', reason: 'NOT_READY', note: null },
    at(minutes),
  );

export const attempted = (attemptNo: number, minutes: number, outcome = 'NO_ANSWER') =>
  event(
    'ContactAttemptLogged',
    {
      leadId: LEAD_ID,
      handoffId: HANDOFF_ID,
      repId: 'rex',
      attemptNo,
      channel: 'CALL',
      outcome,
    },
    at(minutes),
  );

export const salesQualified = (minutes = 50) =>
  event(
    'LeadSalesQualified',
    {
      leadId: LEAD_ID,
      handoffId: HANDOFF_ID,
      repId: 'rex',
      budget: '50k',
      authority: 'VP Sales',
      need: 'pipeline visibility',
      timeline: 'Q3',
    },
    at(minutes),
  );

export const recycled = (minutes: number, fromStage = 'MQL', ownerRepId: string | null = null) =>
  event('LeadRecycled', { leadId: LEAD_ID, reason: 'not now', fromStage, ownerRepId }, at(minutes));

export const disqualified = (
  minutes: number,
  fromStage = 'MQL',
  ownerRepId: string | null = null,
) =>
  event(
    'LeadDisqualified',
    { leadId: LEAD_ID, reason: 'student', fromStage, ownerRepId },
    at(minutes),
  );

export const reassigned = (minutes: number, fromRepId = 'rex', toRepId = 'ora') =>
  event(
    'LeadReassigned',
    { leadId: LEAD_ID, handoffId: HANDOFF_ID, fromRepId, toRepId, reason: null },
    at(minutes),
  );

export const converted = (minutes = 60, dealId = 'D-1') =>
  event('LeadConverted', { leadId: LEAD_ID, dealId }, at(minutes));

export const forgotten = (minutes = 5) =>
  event('LeadForgotten', { leadId: LEAD_ID, reason: 'GDPR request' }, at(minutes));

export const asMql = [captured, qualified()];
export const asHandedOff = [...asMql, handedOff()];
export const asSal = [...asHandedOff, accepted()];
export const asSql = [...asSal, attempted(1, 40, 'CONNECTED'), salesQualified()];
export const asOpportunity = [...asSql, converted()];
