import { z } from 'zod';
import { allow } from '../shared/authorization';
import { fillId, type CommandSpec, type CommandsOf } from '../shared/command-spec';
import {
  ActorId,
  Channel,
  Email,
  Id,
  Instant,
  Label,
  Phone,
  orNull,
  Reason,
  Segment,
  ShortText,
} from '../shared/values';
import { DEFAULT_AGREEMENT_ID, slaStreamId } from '../sla/commands';
import {
  ContactChannel,
  ContactOutcome,
  RejectionReason,
  Score,
  SlaKind,
  TouchKind,
} from './events';

export const leadStreamId = (leadId: string): string => `lead-${leadId}`;

export const CaptureLead = z.object({
  leadId: Id,
  email: Email,
  name: orNull(Label),
  company: orNull(Label),
  phone: orNull(Phone),
  segment: Segment,
  channel: Channel,
  campaignId: orNull(Id),
});
export type CaptureLead = z.infer<typeof CaptureLead>;

export const RecordTouch = z.object({
  leadId: Id,
  touchId: Id,
  channel: Channel,
  campaignId: orNull(Id),
  contentId: orNull(Id),
  kind: TouchKind.nullish().transform((k) => k ?? 'MARKETING'),
  createsLead: z
    .boolean()
    .nullish()
    .transform((b) => b ?? false),
});
export type RecordTouch = z.infer<typeof RecordTouch>;

export const ScoreLead = z.object({
  leadId: Id,
  fit: Score,
  engagement: Score,
  modelVersion: orNull(Label),
});
export type ScoreLead = z.infer<typeof ScoreLead>;

export const QualifyLead = z.object({ leadId: Id, reason: orNull(ShortText) });
export type QualifyLead = z.infer<typeof QualifyLead>;

export const HandOffLead = z.object({
  leadId: Id,
  handoffId: Id,
  repId: ActorId,
  team: orNull(Label),
  agreementId: orNull(Id),
});
export type HandOffLead = z.infer<typeof HandOffLead>;

export const AcceptHandoff = z.object({ leadId: Id, handoffId: orNull(Id) });
export type AcceptHandoff = z.infer<typeof AcceptHandoff>;

export const RejectHandoff = z.object({
  leadId: Id,
  handoffId: orNull(Id),
  reason: RejectionReason,
  note: orNull(ShortText),
});
export type RejectHandoff = z.infer<typeof RejectHandoff>;

export const RecycleLead = z.object({ leadId: Id, reason: Reason });
export type RecycleLead = z.infer<typeof RecycleLead>;

export const LogContactAttempt = z.object({
  leadId: Id,
  channel: ContactChannel,
  outcome: ContactOutcome,
});
export type LogContactAttempt = z.infer<typeof LogContactAttempt>;

export const QualifyForSales = z.object({
  leadId: Id,
  budget: orNull(ShortText),
  authority: orNull(ShortText),
  need: orNull(ShortText),
  timeline: orNull(ShortText),
});
export type QualifyForSales = z.infer<typeof QualifyForSales>;

export const DisqualifyLead = z.object({ leadId: Id, reason: Reason });
export type DisqualifyLead = z.infer<typeof DisqualifyLead>;

export const ReassignLead = z.object({ leadId: Id, toRepId: ActorId, reason: orNull(ShortText) });
export type ReassignLead = z.infer<typeof ReassignLead>;

export const RecordSlaBreach = z.object({
  leadId: Id,
  handoffId: Id,
  kind: SlaKind,
  deadline: Instant,
  detectedAt: Instant,
});
export type RecordSlaBreach = z.infer<typeof RecordSlaBreach>;

export const ConvertLead = z.object({ leadId: Id, dealId: Id });
export type ConvertLead = z.infer<typeof ConvertLead>;

export const ForgetLead = z.object({ leadId: Id, reason: Reason });
export type ForgetLead = z.infer<typeof ForgetLead>;

const onLead = {
  aggregate: 'lead' as const,
  streamId: (d: { leadId: string }) => leadStreamId(d.leadId),
};

export const captureLead: CommandSpec<CaptureLead> = {
  type: 'captureLead',
  ...onLead,
  schema: CaptureLead,
  prepare: fillId('leadId'),
  authorize: allow('MARKETING'),
  retryOnConflict: true,
};

export const recordTouch: CommandSpec<RecordTouch> = {
  type: 'recordTouch',
  ...onLead,
  schema: RecordTouch,
  prepare: fillId('touchId'),
  // Marketing records any touch; sales records its own (kind SALES) only.
  authorize: (actor, d) =>
    allow('MARKETING', ...(d.kind === 'SALES' ? ['SALES' as const] : []))(actor),
  retryOnConflict: true,
};

export const scoreLead: CommandSpec<ScoreLead> = {
  type: 'scoreLead',
  ...onLead,
  schema: ScoreLead,
  authorize: allow('MARKETING'),
  retryOnConflict: true,
};

export const qualifyLead: CommandSpec<QualifyLead> = {
  type: 'qualifyLead',
  ...onLead,
  schema: QualifyLead,
  authorize: allow('MARKETING'),
  retryOnConflict: true,
};

export const handOffLead: CommandSpec<HandOffLead> = {
  type: 'handOffLead',
  ...onLead,
  schema: HandOffLead,
  prepare: fillId('handoffId'),
  authorize: allow('MARKETING'),
  retryOnConflict: true,
  dependencies: (d) => [
    {
      key: 'agreement',
      streamId: slaStreamId(d.agreementId ?? DEFAULT_AGREEMENT_ID),
      aggregate: 'slaAgreement',
    },
  ],
};

export const acceptHandoff: CommandSpec<AcceptHandoff> = {
  type: 'acceptHandoff',
  ...onLead,
  schema: AcceptHandoff,
  authorize: allow('SALES'),
  retryOnConflict: true,
};

export const rejectHandoff: CommandSpec<RejectHandoff> = {
  type: 'rejectHandoff',
  ...onLead,
  schema: RejectHandoff,
  authorize: allow('SALES'),
  retryOnConflict: true,
};

export const recycleLead: CommandSpec<RecycleLead> = {
  type: 'recycleLead',
  ...onLead,
  schema: RecycleLead,
  authorize: allow('MARKETING', 'SALES'),
  retryOnConflict: true,
};

export const logContactAttempt: CommandSpec<LogContactAttempt> = {
  type: 'logContactAttempt',
  ...onLead,
  schema: LogContactAttempt,
  authorize: allow('SALES'),
  retryOnConflict: true,
};

export const qualifyForSales: CommandSpec<QualifyForSales> = {
  type: 'qualifyForSales',
  ...onLead,
  schema: QualifyForSales,
  authorize: allow('SALES'),
  retryOnConflict: true,
};

export const disqualifyLead: CommandSpec<DisqualifyLead> = {
  type: 'disqualifyLead',
  ...onLead,
  schema: DisqualifyLead,
  authorize: allow('MARKETING', 'SALES'),
  retryOnConflict: true,
};

export const reassignLead: CommandSpec<ReassignLead> = {
  type: 'reassignLead',
  ...onLead,
  schema: ReassignLead,
  authorize: allow('SALES'),
  // The caller chose the new rep knowing the current one; a concurrent change must surface.
  retryOnConflict: false,
};

export const recordSlaBreach: CommandSpec<RecordSlaBreach> = {
  type: 'recordSlaBreach',
  ...onLead,
  schema: RecordSlaBreach,
  authorize: allow(),
  // The SLA monitor appends with the revision it read; a concurrent accept must win.
  retryOnConflict: false,
};

export const convertLead: CommandSpec<ConvertLead> = {
  type: 'convertLead',
  ...onLead,
  schema: ConvertLead,
  authorize: allow('SALES'),
  retryOnConflict: true,
};

export const forgetLead: CommandSpec<ForgetLead> = {
  type: 'forgetLead',
  ...onLead,
  schema: ForgetLead,
  authorize: allow(),
  retryOnConflict: true,
};

export const LEAD_COMMANDS = {
  captureLead,
  recordTouch,
  scoreLead,
  qualifyLead,
  handOffLead,
  acceptHandoff,
  rejectHandoff,
  recycleLead,
  logContactAttempt,
  qualifyForSales,
  disqualifyLead,
  reassignLead,
  recordSlaBreach,
  convertLead,
  forgetLead,
};

export type LeadCommand = CommandsOf<typeof LEAD_COMMANDS>;
