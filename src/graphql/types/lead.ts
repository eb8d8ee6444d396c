import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import {
  ChannelEnum,
  DealStatusEnum,
  HandoffStatusEnum,
  LeadOrderFieldEnum,
  LostReasonEnum,
  RejectionReasonEnum,
  SegmentEnum,
  SlaKindEnum,
  SlaStatusEnum,
  SortDirectionEnum,
  StageEnum,
  TouchKindEnum,
} from '../enums';
import { DateTimeScalar } from '../scalars';
import { PageInfo } from './common';

@ObjectType()
export class Scores {
  @Field(() => Float) fit!: number;
  @Field(() => Float) engagement!: number;
  @Field(() => String, { nullable: true }) modelVersion!: string | null;
}

@ObjectType({ description: 'When the lead most recently entered each stage it reached.' })
export class StageDates {
  @Field(() => DateTimeScalar, { nullable: true }) LEAD?: string;
  @Field(() => DateTimeScalar, { nullable: true }) MQL?: string;
  @Field(() => DateTimeScalar, { nullable: true }) HANDED_OFF?: string;
  @Field(() => DateTimeScalar, { nullable: true }) SAL?: string;
  @Field(() => DateTimeScalar, { nullable: true }) SQL?: string;
  @Field(() => DateTimeScalar, { nullable: true }) OPPORTUNITY?: string;
  @Field(() => DateTimeScalar, { nullable: true }) WON?: string;
  @Field(() => DateTimeScalar, { nullable: true }) LOST?: string;
  @Field(() => DateTimeScalar, { nullable: true }) RECYCLED?: string;
  @Field(() => DateTimeScalar, { nullable: true }) DISQUALIFIED?: string;
}

@ObjectType()
export class TouchRef {
  @Field(() => ID) touchId!: string;
  @Field(() => DateTimeScalar) at!: string;
  @Field(() => ChannelEnum) channel!: string;
  @Field(() => ID, { nullable: true }) campaignId!: string | null;
}

@ObjectType()
export class Touch {
  @Field(() => ID) touchId!: string;
  @Field(() => ID) leadId!: string;
  @Field(() => ChannelEnum) channel!: string;
  @Field(() => ID, { nullable: true }) campaignId!: string | null;
  @Field(() => ID, { nullable: true }) contentId!: string | null;
  @Field(() => TouchKindEnum) kind!: string;
  @Field(() => Boolean) createsLead!: boolean;
  @Field(() => DateTimeScalar) occurredAt!: string;
}

@ObjectType()
export class TouchEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Touch) node!: Touch;
}

@ObjectType()
export class TouchConnection {
  @Field(() => [TouchEdge]) edges!: TouchEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@ObjectType()
export class HandoffOwner {
  @Field(() => String) repId!: string;
  @Field(() => DateTimeScalar) since!: string;
}

@ObjectType({ description: 'A handoff of the lead to a rep, with its SLA obligations.' })
export class Handoff {
  @Field(() => ID) handoffId!: string;
  @Field(() => String, { description: 'The rep it is addressed to now.' }) repId!: string;
  @Field(() => String, { nullable: true }) team!: string | null;
  @Field(() => DateTimeScalar) handedOffAt!: string;
  @Field(() => DateTimeScalar) acceptBy!: string;
  @Field(() => DateTimeScalar) firstContactBy!: string;
  @Field(() => DateTimeScalar) attemptsBy!: string;
  @Field(() => Int) minAttempts!: number;
  @Field(() => HandoffStatusEnum) status!: string;
  @Field(() => DateTimeScalar, { nullable: true }) acceptedAt!: string | null;
  @Field(() => Boolean, { nullable: true }) acceptedWithinSla!: boolean | null;
  @Field(() => DateTimeScalar, { nullable: true }) rejectedAt!: string | null;
  @Field(() => RejectionReasonEnum, { nullable: true }) rejectionReason!: string | null;
  @Field(() => String, { nullable: true }) rejectionNote!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) firstContactAt!: string | null;
  @Field(() => Int) attempts!: number;
  @Field(() => [HandoffOwner], { description: 'Who owned it since when (reassignments).' })
  owners!: HandoffOwner[];
  @Field(() => [SlaKindEnum]) breaches!: string[];
  @Field(() => SlaStatusEnum) sla!: string;
}

@ObjectType({ description: 'A sales rep, as met in handoffs.' })
export class Rep {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) team!: string | null;
  @Field(() => Int) handoffsReceived!: number;
  @Field(() => Int) accepted!: number;
  @Field(() => Int) rejected!: number;
  @Field(() => Int) breaches!: number;
  @Field(() => Int) reassignedIn!: number;
  @Field(() => Int) reassignedOut!: number;
  @Field(() => DateTimeScalar, { nullable: true }) lastHandoffAt!: string | null;
}

@ObjectType()
export class Deal {
  @Field(() => ID) id!: string;
  @Field(() => [ID]) leadIds!: string[];
  @Field(() => String) account!: string;
  @Field(() => Float) amount!: number;
  @Field(() => String) currency!: string;
  @Field(() => String) ownerRepId!: string;
  @Field(() => DealStatusEnum) status!: string;
  @Field(() => String, { nullable: true }) pipelineStage!: string | null;
  @Field(() => DateTimeScalar) openedAt!: string;
  @Field(() => DateTimeScalar, { nullable: true }) closedAt!: string | null;
  @Field(() => LostReasonEnum, { nullable: true }) lostReason!: string | null;
  @Field(() => String, { nullable: true }) competitor!: string | null;
}

@ObjectType({ description: 'A lead as the read model has it now (see leadHistory for the past).' })
export class Lead {
  @Field(() => ID) id!: string;
  @Field(() => StageEnum, { description: 'Furthest stage reached: WON once a deal of it is won.' })
  stage!: string;
  @Field(() => StageEnum, { description: "The lead's own stage, deal outcomes aside." })
  lifecycleStage!: string;
  @Field(() => String, { nullable: true, description: 'PII: masked for ANALYST and AUDITOR.' })
  email!: string | null;
  @Field(() => String, { nullable: true, description: 'PII: masked for ANALYST and AUDITOR.' })
  name!: string | null;
  @Field(() => String, { nullable: true }) company!: string | null;
  @Field(() => String, { nullable: true, description: 'PII: masked for ANALYST and AUDITOR.' })
  phone!: string | null;
  @Field(() => Boolean, { description: 'True when email, name and phone are masked for you.' })
  piiMasked!: boolean;
  @Field(() => Boolean, { description: 'Its personal data was erased (forgetLead).' })
  forgotten!: boolean;
  @Field(() => SegmentEnum) segment!: string;
  @Field(() => ChannelEnum, { description: 'Channel of capture.' }) channel!: string;
  @Field(() => ID, { nullable: true }) campaignId!: string | null;
  @Field(() => String, { nullable: true }) ownerRepId!: string | null;
  @Field(() => String, { nullable: true }) team!: string | null;
  @Field(() => Scores, { nullable: true }) scores!: Scores | null;
  @Field(() => StageDates) stageDates!: StageDates;
  @Field(() => TouchRef, { nullable: true }) firstTouch!: TouchRef | null;
  @Field(() => TouchRef, { nullable: true }) lastTouch!: TouchRef | null;
  @Field(() => Int) touchCount!: number;
  @Field(() => [Handoff], { description: 'Every handoff, oldest first.' }) handoffs!: Handoff[];
  @Field(() => Handoff, { nullable: true }) currentHandoff!: Handoff | null;
  @Field(() => SlaStatusEnum, { description: "The current handoff's SLA standing." })
  slaStatus!: string;
  @Field(() => DateTimeScalar) capturedAt!: string;
  @Field(() => DateTimeScalar) updatedAt!: string;
}

@ObjectType()
export class LeadEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Lead) node!: Lead;
}

@ObjectType()
export class LeadConnection {
  @Field(() => [LeadEdge]) edges!: LeadEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'Leads matching the filter, all pages.' }) totalCount!: number;
}

/* Filters in the style of Twenty: one operator object per field, combined with and/or. */

@InputType()
export class IdFilter {
  @Field(() => String, { nullable: true }) eq?: string | null;
  @Field(() => [String], { nullable: true }) in?: string[] | null;
}

@InputType()
export class StageFilter {
  @Field(() => StageEnum, { nullable: true }) eq?: string | null;
  @Field(() => [StageEnum], { nullable: true }) in?: string[] | null;
}

@InputType()
export class SegmentFilter {
  @Field(() => SegmentEnum, { nullable: true }) eq?: string | null;
  @Field(() => [SegmentEnum], { nullable: true }) in?: string[] | null;
}

@InputType()
export class ChannelFilter {
  @Field(() => ChannelEnum, { nullable: true }) eq?: string | null;
  @Field(() => [ChannelEnum], { nullable: true }) in?: string[] | null;
}

@InputType()
export class SlaStatusFilter {
  @Field(() => SlaStatusEnum, { nullable: true }) eq?: string | null;
  @Field(() => [SlaStatusEnum], { nullable: true }) in?: string[] | null;
}

@InputType({ description: 'A range of instants: gte/gt from, lt/lte to.' })
export class DateTimeFilter {
  @Field(() => DateTimeScalar, { nullable: true }) gte?: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) gt?: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) lt?: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) lte?: string | null;
}

@InputType({ description: 'Every field given must hold, and every filter in and, and one in or.' })
export class LeadFilter {
  @Field(() => StageFilter, { nullable: true }) stage?: StageFilter | null;
  @Field(() => IdFilter, { nullable: true }) ownerRepId?: IdFilter | null;
  @Field(() => IdFilter, { nullable: true }) team?: IdFilter | null;
  @Field(() => SegmentFilter, { nullable: true }) segment?: SegmentFilter | null;
  @Field(() => ChannelFilter, { nullable: true }) channel?: ChannelFilter | null;
  @Field(() => IdFilter, { nullable: true }) campaignId?: IdFilter | null;
  @Field(() => SlaStatusFilter, { nullable: true }) slaStatus?: SlaStatusFilter | null;
  @Field(() => DateTimeFilter, { nullable: true }) capturedAt?: DateTimeFilter | null;
  @Field(() => DateTimeFilter, { nullable: true }) updatedAt?: DateTimeFilter | null;
  @Field(() => [LeadFilter], { nullable: true }) and?: LeadFilter[] | null;
  @Field(() => [LeadFilter], { nullable: true }) or?: LeadFilter[] | null;
}

@InputType()
export class LeadOrder {
  @Field(() => LeadOrderFieldEnum) field!: 'CAPTURED_AT' | 'UPDATED_AT';
  @Field(() => SortDirectionEnum, { defaultValue: 'DESC' }) direction!: 'ASC' | 'DESC';
}
