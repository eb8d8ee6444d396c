import { Field, ID, ObjectType } from 'type-graphql';
import { SlaKindEnum } from '../enums';
import { DateTimeScalar } from '../scalars';

@ObjectType({ description: 'A lead changed; re-query with consistentWith: position to read it.' })
export class LeadChange {
  @Field(() => ID) leadId!: string;
  @Field(() => String) eventType!: string;
  @Field(() => String) position!: string;
  @Field(() => DateTimeScalar) occurredAt!: string;
}

@ObjectType()
export class SlaBreachNotice {
  @Field(() => ID) leadId!: string;
  @Field(() => ID) handoffId!: string;
  @Field(() => SlaKindEnum) kind!: string;
  @Field(() => DateTimeScalar) deadline!: string;
  @Field(() => DateTimeScalar) detectedAt!: string;
  @Field(() => String) ownerRepId!: string;
  @Field(() => String, { nullable: true }) team!: string | null;
  @Field(() => String) position!: string;
}

@ObjectType({ description: 'The funnel read model applied an event.' })
export class FunnelChange {
  @Field(() => String) eventType!: string;
  @Field(() => String) position!: string;
  @Field(() => DateTimeScalar) occurredAt!: string;
}
