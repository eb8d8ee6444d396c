import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ChannelEnum, SegmentEnum, SlaKindEnum, StageEnum } from '../enums';
import { DateTimeScalar } from '../scalars';
import { PageInfo } from './common';

@ObjectType({ description: 'The grouped dimensions; those not grouped by are null.' })
export class FunnelKey {
  @Field(() => SegmentEnum, { nullable: true }) segment!: string | null;
  @Field(() => ChannelEnum, { nullable: true }) channel!: string | null;
  @Field(() => ID, { nullable: true }) campaignId!: string | null;
  @Field(() => String, { nullable: true }) team!: string | null;
}

@ObjectType()
export class FunnelStage {
  @Field(() => StageEnum) stage!: string;
  @Field(() => Int) count!: number;
  @Field(() => Float, { nullable: true, description: 'count / the previous stage count.' })
  conversionFromPrevious!: number | null;
  @Field(() => Float, { nullable: true, description: 'count / the LEAD count.' })
  conversionFromFirst!: number | null;
  @Field(() => Float, { nullable: true, description: 'Within 1%.' })
  medianHoursFromPrevious!: number | null;
  @Field(() => Float, { nullable: true, description: 'Within 1%.' })
  p95HoursFromPrevious!: number | null;
}

@ObjectType()
export class FunnelGroup {
  @Field(() => FunnelKey) key!: FunnelKey;
  @Field(() => [FunnelStage]) stages!: FunnelStage[];
}

@ObjectType()
export class FunnelReport {
  @Field(() => [FunnelGroup]) groups!: FunnelGroup[];
}

@InputType({ description: 'Only these values; a null in a list asks for "none" (no campaign).' })
export class FunnelFilter {
  @Field(() => [SegmentEnum], { nullable: true }) segment?: string[] | null;
  @Field(() => [ChannelEnum], { nullable: true }) channel?: string[] | null;
  @Field(() => [ID], { nullable: 'itemsAndList' }) campaignId?: Array<string | null> | null;
  @Field(() => [String], { nullable: 'itemsAndList' }) team?: Array<string | null> | null;
}

@ObjectType()
export class KeyCount {
  @Field(() => String) key!: string;
  @Field(() => Int) count!: number;
}

@ObjectType()
export class SlaComplianceRow {
  @Field(() => String, { nullable: true, description: 'Rep id or team (null: no team).' })
  key!: string | null;
  @Field(() => Int) handoffs!: number;
  @Field(() => Int) acceptedInTime!: number;
  @Field(() => Int) acceptedLate!: number;
  @Field(() => Int) rejected!: number;
  @Field(() => [KeyCount]) rejectedByReason!: KeyCount[];
  @Field(() => Int) breaches!: number;
  @Field(() => [KeyCount]) breachesByKind!: KeyCount[];
  @Field(() => Int) firstContacts!: number;
  @Field(() => Int) attempts!: number;
  @Field(() => Int) reassignedIn!: number;
  @Field(() => Int) reassignedOut!: number;
  @Field(() => Float, { nullable: true }) medianMinutesToAccept!: number | null;
  @Field(() => Float, { nullable: true }) p95MinutesToAccept!: number | null;
  @Field(() => Float, { nullable: true }) medianMinutesToFirstContact!: number | null;
  @Field(() => Float, { nullable: true }) p95MinutesToFirstContact!: number | null;
}

@InputType()
export class SlaComplianceFilter {
  @Field(() => [String], { nullable: true }) repId?: string[] | null;
  @Field(() => [String], { nullable: 'itemsAndList' }) team?: Array<string | null> | null;
}

@ObjectType({ description: 'A missed SLA deadline: who dropped which lead when.' })
export class SlaBreach {
  @Field(() => ID) leadId!: string;
  @Field(() => ID) handoffId!: string;
  @Field(() => SlaKindEnum) kind!: string;
  @Field(() => DateTimeScalar) deadline!: string;
  @Field(() => DateTimeScalar) detectedAt!: string;
  @Field(() => String, { description: 'The owner when the deadline passed.' }) ownerRepId!: string;
  @Field(() => String, { nullable: true }) team!: string | null;
}

@ObjectType()
export class SlaBreachEdge {
  @Field(() => String) cursor!: string;
  @Field(() => SlaBreach) node!: SlaBreach;
}

@ObjectType()
export class SlaBreachConnection {
  @Field(() => [SlaBreachEdge]) edges!: SlaBreachEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@InputType()
export class SlaBreachFilter {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Deadline from (inclusive).' })
  from?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Deadline to (exclusive).' })
  to?: string | null;
  @Field(() => String, { nullable: true }) repId?: string | null;
  @Field(() => String, { nullable: true }) team?: string | null;
  @Field(() => SlaKindEnum, { nullable: true }) kind?: string | null;
}
