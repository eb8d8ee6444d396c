import { z } from 'zod';
import type { DomainEvent } from '../shared/decider';
import {
  ActorId,
  Channel,
  Email,
  Id,
  Instant,
  Label,
  Phone,
  Reason,
  Segment,
  ShortText,
  Stage,
} from '../shared/values';

/** Stages a lead itself records; WON and LOST are its deals' outcomes. */
export const LeadStage = Stage.exclude(['WON', 'LOST']);
export type LeadStage = z.infer<typeof LeadStage>;

export const TouchKind = z.enum(['MARKETING', 'SALES']);
export type TouchKind = z.infer<typeof TouchKind>;

export const RejectionReason = z.enum(['NOT_ICP', 'BAD_DATA', 'DUPLICATE', 'NOT_READY', 'OTHER']);
export type RejectionReason = z.infer<typeof RejectionReason>;

export const ContactChannel = z.enum(['CALL', 'EMAIL', 'SOCIAL', 'MEETING']);
export type ContactChannel = z.infer<typeof ContactChannel>;

export const ContactOutcome = z.enum(['NO_ANSWER', 'LEFT_MESSAGE', 'CONNECTED', 'MEETING_BOOKED']);
export type ContactOutcome = z.infer<typeof ContactOutcome>;

export const SlaKind = z.enum(['ACCEPTANCE', 'FIRST_CONTACT', 'ATTEMPTS']);
export type SlaKind = z.infer<typeof SlaKind>;

export const Score = z.number().min(0).max(100);

/** Schema version 2: v1 carried `companySize` instead of `segment` (see upcasting.ts). */
export const LeadCaptured = z.object({
  leadId: Id,
  email: Email,
  name: Label.nullable(),
  company: Label.nullable(),
  /** Absent in events recorded before phone numbers were taken. */
  phone: Phone.nullable().optional(),
  segment: Segment,
  channel: Channel,
  campaignId: Id.nullable(),
});
export type LeadCaptured = z.infer<typeof LeadCaptured>;

export const TouchRecorded = z.object({
  leadId: Id,
  touchId: Id,
  channel: Channel,
  campaignId: Id.nullable(),
  contentId: Id.nullable(),
  kind: TouchKind,
  /** The touch that created the lead (e.g. a form fill): the LEAD_CREATION attribution position. */
  createsLead: z.boolean(),
});
export type TouchRecorded = z.infer<typeof TouchRecorded>;

export const LeadScored = z.object({
  leadId: Id,
  fit: Score,
  engagement: Score,
  modelVersion: Label.nullable(),
});
export type LeadScored = z.infer<typeof LeadScored>;

export const LeadMarketingQualified = z.object({
  leadId: Id,
  reason: ShortText.nullable(),
  /** True when a recycled lead qualifies again. */
  requalified: z.boolean(),
});
export type LeadMarketingQualified = z.infer<typeof LeadMarketingQualified>;

const TouchSummaryEntry = z.object({
  touchId: Id,
  channel: Channel,
  campaignId: Id.nullable(),
  occurredAt: Instant,
});
export type TouchSummaryEntry = z.infer<typeof TouchSummaryEntry>;

export const LeadHandedOff = z.object({
  leadId: Id,
  handoffId: Id,
  repId: ActorId,
  team: Label.nullable(),
  /** `builtin` (version 0) when no agreement was in force. */
  agreementId: Id,
  agreementVersion: z.number().int().min(0),
  acceptBy: Instant,
  firstContactBy: Instant,
  minAttempts: z.number().int().min(0),
  attemptsBy: Instant,
  /** What marketing knows of the lead's journey, passed to sales. */
  touchSummary: z.object({
    count: z.number().int().min(0),
    first: TouchSummaryEntry.nullable(),
    last: TouchSummaryEntry.nullable(),
  }),
});
export type LeadHandedOff = z.infer<typeof LeadHandedOff>;

export const HandoffAccepted = z.object({
  leadId: Id,
  handoffId: Id,
  repId: ActorId,
  minutesToAccept: z.number().min(0),
  /** Accepted by the handoff's `acceptBy` deadline. */
  withinSla: z.boolean(),
});
export type HandoffAccepted = z.infer<typeof HandoffAccepted>;

export const HandoffRejected = z.object({
  leadId: Id,
  handoffId: Id,
  repId: ActorId,
  reason: RejectionReason,
  note: ShortText.nullable(),
});
export type HandoffRejected = z.infer<typeof HandoffRejected>;

export const LeadRecycled = z.object({
  leadId: Id,
  reason: Reason,
  fromStage: LeadStage,
  /** The rep who owned the lead until now, if any. */
  ownerRepId: ActorId.nullable(),
});
export type LeadRecycled = z.infer<typeof LeadRecycled>;

export const ContactAttemptLogged = z.object({
  leadId: Id,
  handoffId: Id,
  repId: ActorId,
  /** 1 for the first attempt under this handoff. */
  attemptNo: z.number().int().min(1),
  channel: ContactChannel,
  outcome: ContactOutcome,
});
export type ContactAttemptLogged = z.infer<typeof ContactAttemptLogged>;

export const LeadSalesQualified = z.object({
  leadId: Id,
  handoffId: Id,
  repId: ActorId,
  budget: ShortText.nullable(),
  authority: ShortText.nullable(),
  need: ShortText.nullable(),
  timeline: ShortText.nullable(),
});
export type LeadSalesQualified = z.infer<typeof LeadSalesQualified>;

export const LeadDisqualified = z.object({
  leadId: Id,
  reason: Reason,
  fromStage: LeadStage,
  ownerRepId: ActorId.nullable(),
});
export type LeadDisqualified = z.infer<typeof LeadDisqualified>;

export const LeadReassigned = z.object({
  leadId: Id,
  handoffId: Id,
  fromRepId: ActorId,
  toRepId: ActorId,
  reason: ShortText.nullable(),
});
export type LeadReassigned = z.infer<typeof LeadReassigned>;

export const SlaBreached = z.object({
  leadId: Id,
  handoffId: Id,
  kind: SlaKind,
  deadline: Instant,
  detectedAt: Instant,
  /** Who held the lead when the deadline passed. */
  ownerRepId: ActorId,
  team: Label.nullable(),
});
export type SlaBreached = z.infer<typeof SlaBreached>;

export const LeadConverted = z.object({ leadId: Id, dealId: Id });
export type LeadConverted = z.infer<typeof LeadConverted>;

export const LeadForgotten = z.object({ leadId: Id, reason: Reason });
export type LeadForgotten = z.infer<typeof LeadForgotten>;

export const LEAD_EVENTS = {
  LeadCaptured,
  TouchRecorded,
  LeadScored,
  LeadMarketingQualified,
  LeadHandedOff,
  HandoffAccepted,
  HandoffRejected,
  LeadRecycled,
  ContactAttemptLogged,
  LeadSalesQualified,
  LeadDisqualified,
  LeadReassigned,
  SlaBreached,
  LeadConverted,
  LeadForgotten,
};

export type LeadEventData = { [K in keyof typeof LEAD_EVENTS]: z.infer<(typeof LEAD_EVENTS)[K]> };

/**
 * Data fields holding personal data: contact details and free text written about the person.
 * The privacy vault encrypts them with the lead's data key and forgetLead deletes that key.
 * LeadForgotten.reason stays readable: it is the record of the erasure (a ticket, not a person).
 */
export const LEAD_PII_FIELDS = {
  LeadCaptured: ['email', 'name', 'company', 'phone'],
  LeadMarketingQualified: ['reason'],
  HandoffRejected: ['note'],
  LeadRecycled: ['reason'],
  LeadSalesQualified: ['budget', 'authority', 'need', 'timeline'],
  LeadDisqualified: ['reason'],
  LeadReassigned: ['reason'],
} as const satisfies { [K in keyof LeadEventData]?: ReadonlyArray<keyof LeadEventData[K]> };
export type LeadEvent = {
  [K in keyof LeadEventData]: DomainEvent<K, LeadEventData[K]>;
}[keyof LeadEventData];

/** Builds a lead event; the data literal is checked against that event's schema type. */
export const leadEvent = <K extends keyof LeadEventData>(
  type: K,
  occurredAt: string,
  data: LeadEventData[K],
): DomainEvent<K, LeadEventData[K]> => ({ type, occurredAt, data });
