import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ChannelEnum, LostReasonEnum, SegmentEnum } from '../enums';
import { DateTimeScalar } from '../scalars';
import { KeyCount } from './reports';

@ObjectType({
  description: 'An amount in one currency (amounts in different currencies are never added).',
})
export class Money {
  @Field(() => String) currency!: string;
  @Field(() => Float) amount!: number;
}

@ObjectType({ description: "A campaign's money in one currency over the period." })
export class CampaignMoney {
  @Field(() => String) currency!: string;
  @Field(() => Float) revenue!: number;
  @Field(() => Float) cost!: number;
  @Field(() => Float, { nullable: true }) costPerMql!: number | null;
  @Field(() => Float, { nullable: true }) costPerSql!: number | null;
  @Field(() => Float, { nullable: true }) cac!: number | null;
  @Field(() => Float, { nullable: true }) roi!: number | null;
}

@ObjectType({
  description:
    'Closed-loop performance of a campaign over [from, to). The money fields are set when all its money in the period is in one currency; otherwise read `money`.',
})
export class CampaignPerformance {
  @Field(() => ID) campaignId!: string;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => ChannelEnum, { nullable: true }) channel!: string | null;
  @Field(() => Int) leads!: number;
  @Field(() => Int) mqls!: number;
  @Field(() => Int) handedOff!: number;
  @Field(() => Int) accepted!: number;
  @Field(() => Int) rejected!: number;
  @Field(() => [KeyCount]) rejectedByReason!: KeyCount[];
  @Field(() => Int) recycled!: number;
  @Field(() => Int) sqls!: number;
  @Field(() => Int) opportunities!: number;
  @Field(() => Int) won!: number;
  @Field(() => Int) lost!: number;
  @Field(() => [KeyCount]) lostByReason!: KeyCount[];
  @Field(() => String, { nullable: true }) currency!: string | null;
  @Field(() => Float, { nullable: true }) revenue!: number | null;
  @Field(() => Float, { nullable: true }) cost!: number | null;
  @Field(() => Float, { nullable: true }) costPerMql!: number | null;
  @Field(() => Float, { nullable: true }) costPerSql!: number | null;
  @Field(() => Float, { nullable: true }) cac!: number | null;
  @Field(() => Float, { nullable: true }) roi!: number | null;
  @Field(() => [CampaignMoney]) money!: CampaignMoney[];
}

@ObjectType({ description: "A rep's activity over [from, to)." })
export class RepActivity {
  @Field(() => String) repId!: string;
  @Field(() => Int) handoffs!: number;
  @Field(() => Int) reassignedIn!: number;
  @Field(() => Int) reassignedOut!: number;
  @Field(() => Int, { description: 'Handoffs received plus reassignments in.' })
  leadsOwned!: number;
  @Field(() => Int) accepted!: number;
  @Field(() => Int) rejected!: number;
  @Field(() => Int) attempts!: number;
  @Field(() => Int) firstContacts!: number;
  @Field(() => Float, { nullable: true }) medianMinutesToFirstContact!: number | null;
  @Field(() => Float, { nullable: true }) p95MinutesToFirstContact!: number | null;
  @Field(() => Int) sqls!: number;
  @Field(() => Int) won!: number;
  @Field(() => [Money]) revenue!: Money[];
  @Field(() => Float, { nullable: true, description: 'won / leadsOwned.' }) conversion!:
    number | null;
  @Field(() => Float) attemptsZScore!: number;
  @Field(() => Boolean, {
    description:
      'Touches far more leads than peers but converts few: attempts z-score above 2 and conversion below the median of the reps in the report.',
  })
  outlier!: boolean;
}

@ObjectType()
export class CompetitorCount {
  @Field(() => String) competitor!: string;
  @Field(() => Int) lost!: number;
}

@ObjectType({
  description: 'Deals lost (and not reopened since) by reason and segment in a period.',
})
export class LostReasonRow {
  @Field(() => String, {
    description: '2026-07-14 (DAY), 2026-W29 (WEEK), 2026-07 (MONTH), or first/last.',
  })
  period!: string;
  @Field(() => String) periodStart!: string;
  @Field(() => String) periodEnd!: string;
  @Field(() => LostReasonEnum) reason!: string;
  @Field(() => SegmentEnum, { nullable: true }) segment!: string | null;
  @Field(() => Int) lost!: number;
  @Field(() => [Money]) amount!: Money[];
  @Field(() => [CompetitorCount]) competitors!: CompetitorCount[];
}

@ObjectType({ description: 'One measure against its target so far.' })
export class Pace {
  @Field(() => Float, { nullable: true }) target!: number | null;
  @Field(() => Float, { nullable: true }) actual!: number | null;
  @Field(() => Float, { nullable: true }) expectedByNow!: number | null;
  @Field(() => Float, { nullable: true, description: 'actual / expectedByNow; 1 is on pace.' })
  pace!: number | null;
  @Field(() => Float, { nullable: true }) remaining!: number | null;
}

@ObjectType({
  description:
    'From the revenue goal, the trailing 90-day deal size and conversion rates: the deals, SQLs, SALs and MQLs needed.',
})
export class ReverseFunnel {
  @Field(() => String) windowStart!: string;
  @Field(() => String) windowEnd!: string;
  @Field(() => Float, { nullable: true }) averageDealSize!: number | null;
  @Field(() => Float, { nullable: true }) mqlToSal!: number | null;
  @Field(() => Float, { nullable: true }) salToSql!: number | null;
  @Field(() => Float, { nullable: true }) mqlToSql!: number | null;
  @Field(() => Float, { nullable: true }) sqlToWon!: number | null;
  @Field(() => Pace) deals!: Pace;
  @Field(() => Pace) sqls!: Pace;
  @Field(() => Pace) sals!: Pace;
  @Field(() => Pace) mqls!: Pace;
}

@ObjectType()
export class GoalProgress {
  @Field(() => String) period!: string;
  @Field(() => String) periodStart!: string;
  @Field(() => String) periodEnd!: string;
  @Field(() => DateTimeScalar) now!: string;
  @Field(() => Float, { description: 'Share of the period elapsed, 0 to 1.' }) elapsed!: number;
  @Field(() => DateTimeScalar, { nullable: true }) targetsSetAt!: string | null;
  @Field(() => String, { nullable: true }) currency!: string | null;
  @Field(() => Pace) revenue!: Pace;
  @Field(() => Pace) pipeline!: Pace;
  @Field(() => Pace) mqls!: Pace;
  @Field(() => Pace) sqls!: Pace;
  @Field(() => Int) sals!: number;
  @Field(() => Int) wonDeals!: number;
  @Field(() => Int) openedDeals!: number;
  @Field(() => [Money]) revenueByCurrency!: Money[];
  @Field(() => [Money]) pipelineByCurrency!: Money[];
  @Field(() => ReverseFunnel) reverseFunnel!: ReverseFunnel;
}
