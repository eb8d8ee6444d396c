import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { RoleEnum } from '../enums';
import { DateTimeScalar, JSONScalar } from '../scalars';

@ObjectType({ description: 'Who acted, from the token of the request that wrote the event.' })
export class EventActor {
  @Field(() => ID) id!: string;
  @Field(() => RoleEnum, { nullable: true, description: 'The first of the roles (see roles).' })
  role!: string | null;
  @Field(() => [RoleEnum]) roles!: string[];
}

@ObjectType()
export class HistoryEvent {
  @Field(() => String) type!: string;
  @Field(() => String, { description: 'Global position in the event log.' }) position!: string;
  @Field(() => Int, { description: 'Revision within the stream, from 0.' }) revision!: number;
  @Field(() => DateTimeScalar, { description: 'Business time.' }) occurredAt!: string;
  @Field(() => DateTimeScalar, { description: 'When the store recorded it.' }) recordedAt!: string;
  @Field(() => EventActor) actor!: EventActor;
  @Field(() => String, { nullable: true }) correlationId!: string | null;
  @Field(() => JSONScalar, {
    description: 'The event data (current schema); PII masked for your role.',
  })
  data!: unknown;
}

@ObjectType({ description: "A lead's stream read from the event store, not from a read model." })
export class LeadHistory {
  @Field(() => ID) leadId!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'The instant asked for, if any.' })
  asOf!: string | null;
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
