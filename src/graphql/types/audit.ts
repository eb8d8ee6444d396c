import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { enumOf, HandoffStatusEnum, RoleEnum } from '../enums';
import { DateTimeScalar, JSONScalar } from '../scalars';
import { PageInfo } from './common';

export const TimeBasisEnum = enumOf(['RECORDED', 'BUSINESS'] as const);
registerEnumType(TimeBasisEnum, {
  name: 'TimeBasis',
  description:
    'RECORDED: as the ledger knew it then (events recorded by the instant). BUSINESS: as it ' +
    'happened (events whose business time is at or before the instant, recorded since included).',
});

export const DropReasonEnum = enumOf([
  'REJECTED',
  'ACCEPTANCE_BREACHED',
  'FIRST_CONTACT_BREACHED',
  'ATTEMPTS_BREACHED',
  'NO_CONTACT',
] as const);
registerEnumType(DropReasonEnum, {
  name: 'DropReason',
  description:
    'REJECTED: the rep rejected the handoff. *_BREACHED: that SLA deadline passed unmet (the SLA ' +
    "monitor's record). NO_CONTACT: no contact attempt by the first-contact deadline, or the " +
    'handoff was accepted and then let go without one.',
});

@ObjectType({ description: 'Who acted, from the token of the request that wrote the event.' })
export class EventActor {
  @Field(() => ID) id!: string;
  @Field(() => RoleEnum, { nullable: true, description: 'The first of the roles (see roles).' })
  role!: string | null;
  @Field(() => [RoleEnum]) roles!: string[];
}

@ObjectType()
export class HistoryEvent {
  @Field(() => ID, { description: 'The event id.' }) id!: string;
  @Field(() => ID) streamId!: string;
  @Field(() => String) type!: string;
  @Field(() => Int, {
    description: 'Schema version as stored (data is upcast to the current one).',
  })
  schemaVersion!: number;
  @Field(() => String, { description: 'Global position in the event log.' }) position!: string;
  @Field(() => Int, { description: 'Revision within the stream, from 0.' }) revision!: number;
  @Field(() => DateTimeScalar, { description: 'Business time.' }) occurredAt!: string;
  @Field(() => DateTimeScalar, { description: 'When the store recorded it.' }) recordedAt!: string;
  @Field(() => EventActor) actor!: EventActor;
  @Field(() => String, { nullable: true }) correlationId!: string | null;
  @Field(() => String, { nullable: true }) causationId!: string | null;
  @Field(() => JSONScalar, {
    description: 'The event data (current schema); PII masked for your role.',
  })
  data!: unknown;
  @Field(() => String, {
    description: 'Hash of the previous event of the stream (64 zeros first).',
  })
  prevHash!: string;
  @Field(() => String, { description: 'SHA-256 over prevHash and the event as stored.' })
  hash!: string;
}

@ObjectType({ description: "A lead's stream read from the event store, not from a read model." })
export class LeadHistory {
  @Field(() => ID) leadId!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'The instant asked for, if any.' })
  asOf!: string | null;
  @Field(() => TimeBasisEnum, { description: 'Which time asOf was compared with.' })
  basis!: string;
  @Field(() => [HistoryEvent]) events!: HistoryEvent[];
  @Field(() => JSONScalar, {
    nullable: true,
    description: "The lead's state folded from those events (null before its first event).",
  })
  state!: unknown;
}

@ObjectType({ description: "The result of checking a stream's hash chain." })
export class Verification {
  @Field(() => ID) streamId!: string;
  @Field(() => Boolean) ok!: boolean;
  @Field(() => Int) eventsChecked!: number;
  @Field(() => String, { nullable: true }) firstBadPosition!: string | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
}

@ObjectType()
export class ProjectionStatus {
  @Field(() => String) name!: string;
  @Field(() => String, { description: "Last position applied ('' before the first)." })
  position!: string;
  @Field(() => Int, { description: 'Events behind the head (capped at 100000).' })
  lagEvents!: number;
  @Field(() => Float) lagSeconds!: number;
  @Field(() => Int) generation!: number;
  @Field(() => Boolean) rebuilding!: boolean;
}

@ObjectType({ description: 'An event of the audit trail; PII fields masked for your role.' })
export class AuditTrailEvent {
  @Field(() => String, { description: 'Global position in the event log.' }) position!: string;
  @Field(() => ID) streamId!: string;
  @Field(() => Int) revision!: number;
  @Field(() => String) type!: string;
  @Field(() => DateTimeScalar, { description: 'Business time.' }) occurredAt!: string;
  @Field(() => DateTimeScalar, { description: 'When the store recorded it.' }) recordedAt!: string;
  @Field(() => EventActor) actor!: EventActor;
  @Field(() => String, { nullable: true }) correlationId!: string | null;
  @Field(() => JSONScalar, { description: 'The event data (current schema).' }) data!: unknown;
}

@ObjectType()
export class AuditTrailEdge {
  @Field(() => String) cursor!: string;
  @Field(() => AuditTrailEvent) node!: AuditTrailEvent;
}

@ObjectType()
export class AuditTrailConnection {
  @Field(() => [AuditTrailEdge]) edges!: AuditTrailEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@InputType()
export class AuditTrailFilter {
  @Field(() => ID, { nullable: true, description: 'The actor (token `sub`) who recorded them.' })
  actorId?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Recorded at or after.' })
  from?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Recorded before.' })
  to?: string | null;
  @Field(() => [String], { nullable: true, description: 'Only these event types.' })
  types?: string[] | null;
}

@ObjectType({ description: 'An event as proof: where it is in the log, who recorded it, when.' })
export class EventReference {
  @Field(() => String) position!: string;
  @Field(() => ID) streamId!: string;
  @Field(() => Int) revision!: number;
  @Field(() => String) type!: string;
  @Field(() => DateTimeScalar, { description: 'Business time.' }) occurredAt!: string;
  @Field(() => DateTimeScalar) recordedAt!: string;
  @Field(() => ID, { description: 'Who recorded it.' }) actorId!: string;
}

@ObjectType({ description: 'Who held the handoff from when, and the event that made it so.' })
export class HandoffOwnership {
  @Field(() => String) repId!: string;
  @Field(() => DateTimeScalar) since!: string;
  @Field(() => EventReference) event!: EventReference;
}

@ObjectType({ description: 'One way a handoff was dropped, with the owner then and the proof.' })
export class LeadDrop {
  @Field(() => DropReasonEnum) reason!: string;
  @Field(() => DateTimeScalar, {
    description: 'The rejection, the deadline missed, or the letting go.',
  })
  at!: string;
  @Field(() => String, { description: 'Who held the lead at that moment.' }) ownerRepId!: string;
  @Field(() => String, { nullable: true }) detail!: string | null;
  @Field(() => EventReference) event!: EventReference;
}

@ObjectType({ description: 'A handoff that was dropped: who held it when, and what proves it.' })
export class DroppedLead {
  @Field(() => ID) leadId!: string;
  @Field(() => ID) handoffId!: string;
  @Field(() => String, { nullable: true }) team!: string | null;
  @Field(() => DateTimeScalar) handedOffAt!: string;
  @Field(() => DateTimeScalar) acceptBy!: string;
  @Field(() => DateTimeScalar) firstContactBy!: string;
  @Field(() => HandoffStatusEnum) status!: string;
  @Field(() => DateTimeScalar, { nullable: true }) acceptedAt!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) firstContactAt!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) closedAt!: string | null;
  @Field(() => String, { nullable: true, description: 'The event type that ended the handoff.' })
  closedBy!: string | null;
  @Field(() => DateTimeScalar, { description: 'The earliest drop.' }) droppedAt!: string;
  @Field(() => String, { description: 'Who held the lead at the earliest drop.' })
  ownerAtDrop!: string;
  @Field(() => [DropReasonEnum]) reasons!: string[];
  @Field(() => [LeadDrop], { description: 'Each drop, in the order it was recorded.' })
  drops!: LeadDrop[];
  @Field(() => [HandoffOwnership], { description: 'Owners over time, the handoff first.' })
  owners!: HandoffOwnership[];
  @Field(() => [EventReference], { description: "The handoff's events that matter, in log order." })
  events!: EventReference[];
}

@ObjectType()
export class DroppedLeadEdge {
  @Field(() => String) cursor!: string;
  @Field(() => DroppedLead) node!: DroppedLead;
}

@ObjectType()
export class DroppedLeadConnection {
  @Field(() => [DroppedLeadEdge]) edges!: DroppedLeadEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}
