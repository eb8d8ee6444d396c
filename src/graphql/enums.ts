import { registerEnumType } from 'type-graphql';
import { LostReason } from '../domain/deal/events';
import {
  ContactChannel,
  ContactOutcome,
  RejectionReason,
  SlaKind,
  TouchKind,
} from '../domain/lead/events';
import { CHANNELS, ROLES, SEGMENTS, STAGES } from '../domain/shared/values';

/** A GraphQL enum from a list of names: values are the names themselves. */
export const enumOf = <T extends string>(values: readonly T[]): { [K in T]: K } =>
  Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const ChannelEnum = enumOf(CHANNELS);
export const SegmentEnum = enumOf(SEGMENTS);
export const StageEnum = enumOf(STAGES);
export const RoleEnum = enumOf(ROLES);
export const TouchKindEnum = enumOf(TouchKind.options);
export const RejectionReasonEnum = enumOf(RejectionReason.options);
export const ContactChannelEnum = enumOf(ContactChannel.options);
export const ContactOutcomeEnum = enumOf(ContactOutcome.options);
export const SlaKindEnum = enumOf(SlaKind.options);
export const LostReasonEnum = enumOf(LostReason.options);
export const DealStatusEnum = enumOf(['OPEN', 'WON', 'LOST'] as const);
export const SlaStatusEnum = enumOf(['NONE', 'PENDING', 'MET', 'BREACHED'] as const);
export const HandoffStatusEnum = enumOf(['PENDING', 'ACCEPTED', 'REJECTED'] as const);
export const FunnelModeEnum = enumOf(['FLOW', 'COHORT'] as const);
export const FunnelDimensionEnum = enumOf(['SEGMENT', 'CHANNEL', 'CAMPAIGN', 'TEAM'] as const);
export const SlaGroupByEnum = enumOf(['REP', 'TEAM'] as const);
export const SortDirectionEnum = enumOf(['ASC', 'DESC'] as const);
export const PeriodGrainEnum = enumOf(['DAY', 'WEEK', 'MONTH'] as const);
export const LeadOrderFieldEnum = enumOf(['CAPTURED_AT', 'UPDATED_AT'] as const);

registerEnumType(ChannelEnum, { name: 'Channel' });
registerEnumType(SegmentEnum, { name: 'Segment' });
registerEnumType(StageEnum, {
  name: 'Stage',
  description: 'Funnel stage; a lead whose deal is won is WON.',
});
registerEnumType(RoleEnum, { name: 'Role' });
registerEnumType(TouchKindEnum, { name: 'TouchKind' });
registerEnumType(RejectionReasonEnum, { name: 'RejectionReason' });
registerEnumType(ContactChannelEnum, { name: 'ContactChannel' });
registerEnumType(ContactOutcomeEnum, { name: 'ContactOutcome' });
registerEnumType(SlaKindEnum, { name: 'SlaKind' });
registerEnumType(LostReasonEnum, { name: 'LostReason' });
registerEnumType(DealStatusEnum, { name: 'DealStatus' });
registerEnumType(SlaStatusEnum, {
  name: 'SlaStatus',
  description: 'NONE: never handed off; PENDING: obligations open; MET; BREACHED.',
});
registerEnumType(HandoffStatusEnum, { name: 'HandoffStatus' });
registerEnumType(FunnelModeEnum, {
  name: 'FunnelMode',
  description: 'FLOW: stage entries in the period. COHORT: leads captured in the period.',
});
registerEnumType(FunnelDimensionEnum, { name: 'FunnelDimension' });
registerEnumType(SlaGroupByEnum, { name: 'SlaGroupBy' });
registerEnumType(SortDirectionEnum, { name: 'SortDirection' });
registerEnumType(PeriodGrainEnum, {
  name: 'PeriodGrain',
  description: 'UTC day, ISO week or calendar month.',
});
registerEnumType(LeadOrderFieldEnum, { name: 'LeadOrderField' });
