import { Field, Float, ID, InputType, Int } from 'type-graphql';
import {
  ChannelEnum,
  ContactChannelEnum,
  ContactOutcomeEnum,
  LostReasonEnum,
  RejectionReasonEnum,
  SegmentEnum,
  TouchKindEnum,
} from '../enums';
import { DateTimeScalar } from '../scalars';

/*
 * Mutation inputs. GraphQL checks shapes and enums; the domain's zod schemas check the rest
 * (lengths, e-mail, currency, ranges) and report every invalid field as BAD_USER_INPUT.
 */

@InputType()
export abstract class CommandInput {
  @Field(() => Int, {
    nullable: true,
    description: 'Stream revision you last saw (-1: must not exist yet); a mismatch is CONFLICT.',
  })
  expectedVersion?: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A retry with the same key returns the first payload and writes nothing: send one, and retry with it after a TIMEOUT or a lost answer.',
  })
  idempotencyKey?: string | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'Business time (default now); history imported from another CRM carries its real dates.',
  })
  occurredAt?: string | null;
}

@InputType()
abstract class LeadInput extends CommandInput {
  @Field(() => ID) leadId!: string;
}

@InputType()
export class CaptureLeadInput extends CommandInput {
  @Field(() => ID, { nullable: true, description: 'Generated when omitted.' })
  leadId?: string | null;
  @Field(() => String) email!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) company?: string | null;
  @Field(() => String, { nullable: true, description: 'PII, like email and name.' })
  phone?: string | null;
  @Field(() => SegmentEnum) segment!: string;
  @Field(() => ChannelEnum) channel!: string;
  @Field(() => ID, { nullable: true }) campaignId?: string | null;
}

@InputType()
export class RecordTouchInput extends LeadInput {
  @Field(() => ID, { nullable: true, description: 'Generated when omitted.' })
  touchId?: string | null;
  @Field(() => ChannelEnum) channel!: string;
  @Field(() => ID, { nullable: true }) campaignId?: string | null;
  @Field(() => ID, { nullable: true }) contentId?: string | null;
  @Field(() => TouchKindEnum, { nullable: true, description: 'Default MARKETING.' })
  kind?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'The touch that created the lead.' })
  createsLead?: boolean | null;
}

@InputType()
export class ScoreLeadInput extends LeadInput {
  @Field(() => Float, { description: '0 to 100.' }) fit!: number;
  @Field(() => Float, { description: '0 to 100.' }) engagement!: number;
  @Field(() => String, { nullable: true }) modelVersion?: string | null;
}

@InputType()
export class QualifyLeadInput extends LeadInput {
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@InputType()
export class HandOffLeadInput extends LeadInput {
  @Field(() => String) repId!: string;
  @Field(() => String, { nullable: true }) team?: string | null;
  @Field(() => ID, { nullable: true, description: "Default: the segment's agreement." })
  agreementId?: string | null;
}

@InputType()
export class AcceptHandoffInput extends LeadInput {
  @Field(() => ID, { nullable: true, description: 'Default: the pending handoff.' })
  handoffId?: string | null;
}

@InputType()
export class RejectHandoffInput extends LeadInput {
  @Field(() => ID, { nullable: true, description: 'Default: the pending handoff.' })
  handoffId?: string | null;
  @Field(() => RejectionReasonEnum) reason!: string;
  @Field(() => String, { nullable: true }) note?: string | null;
}

@InputType()
export class RecycleLeadInput extends LeadInput {
  @Field(() => String) reason!: string;
}

@InputType()
export class LogContactAttemptInput extends LeadInput {
  @Field(() => ContactChannelEnum) channel!: string;
  @Field(() => ContactOutcomeEnum) outcome!: string;
}

@InputType()
export class QualifyForSalesInput extends LeadInput {
  @Field(() => String, { nullable: true }) budget?: string | null;
  @Field(() => String, { nullable: true }) authority?: string | null;
  @Field(() => String, { nullable: true }) need?: string | null;
  @Field(() => String, { nullable: true }) timeline?: string | null;
}

@InputType()
export class DisqualifyLeadInput extends LeadInput {
  @Field(() => String) reason!: string;
}

@InputType()
export class ReassignLeadInput extends LeadInput {
  @Field(() => String) toRepId!: string;
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@InputType()
export class ForgetLeadInput extends LeadInput {
  @Field(() => String) reason!: string;
}

@InputType()
abstract class DealInput extends CommandInput {
  @Field(() => ID) dealId!: string;
}

@InputType()
export class OpenDealInput extends CommandInput {
  @Field(() => ID, { nullable: true, description: 'Generated when omitted.' })
  dealId?: string | null;
  @Field(() => [ID]) leadIds!: string[];
  @Field(() => String) account!: string;
  @Field(() => Float) amount!: number;
  @Field(() => String, { description: 'ISO 4217, e.g. EUR.' }) currency!: string;
  @Field(() => String) ownerRepId!: string;
}

@InputType()
export class WinDealInput extends DealInput {
  @Field(() => Float, { nullable: true, description: 'The final amount, when it changed.' })
  amount?: number | null;
}

@InputType()
export class LoseDealInput extends DealInput {
  @Field(() => LostReasonEnum) reason!: string;
  @Field(() => String, { nullable: true }) competitor?: string | null;
}

@InputType()
export class ReopenDealInput extends DealInput {
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@InputType()
export class ChangeDealStageInput extends DealInput {
  @Field(() => String, { description: "The sales org's own pipeline label, e.g. PROPOSAL." })
  stage!: string;
}

@InputType()
export class ChangeDealAmountInput extends DealInput {
  @Field(() => Float) amount!: number;
  @Field(() => String, { nullable: true }) currency?: string | null;
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@InputType()
export class DefineSlaAgreementInput extends CommandInput {
  @Field(() => ID) agreementId!: string;
  @Field(() => Int) acceptWithinMinutes!: number;
  @Field(() => Int) firstContactWithinMinutes!: number;
  @Field(() => Int) minAttempts!: number;
  @Field(() => Int) attemptWindowDays!: number;
  @Field(() => Int, { nullable: true }) monthlyMqlCommitment?: number | null;
  @Field(() => Float, { nullable: true, description: 'Expected MQL to SQL rate, 0 to 1.' })
  mqlToSqlBenchmark?: number | null;
  @Field(() => SegmentEnum, { nullable: true }) segment?: string | null;
}

@InputType()
export class RegisterCampaignInput extends CommandInput {
  @Field(() => ID) campaignId!: string;
  @Field(() => String) name!: string;
  @Field(() => ChannelEnum) channel!: string;
}

@InputType()
export class RecordCampaignCostInput extends CommandInput {
  @Field(() => ID) campaignId!: string;
  @Field(() => Float) amount!: number;
  @Field(() => String) currency!: string;
  @Field(() => String, { description: 'First day, YYYY-MM-DD.' }) periodStart!: string;
  @Field(() => String, { description: 'Last day (included), YYYY-MM-DD.' }) periodEnd!: string;
}

@InputType()
export class SetGoalsInput extends CommandInput {
  @Field(() => String, { description: 'e.g. 2026-Q3 or 2026-07.' }) period!: string;
  @Field(() => Float) revenue!: number;
  @Field(() => Float, { nullable: true }) pipeline?: number | null;
  @Field(() => Int, { nullable: true }) mqls?: number | null;
  @Field(() => Int, { nullable: true }) sqls?: number | null;
}
