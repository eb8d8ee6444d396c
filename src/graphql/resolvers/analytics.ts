import { Arg, Args, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { campaignPerformance } from '../../projections/campaigns/queries';
import { goalProgress } from '../../projections/goals/queries';
import { lostReasons, type LostReasonsGroupBy } from '../../projections/lost-reasons/queries';
import { repActivity } from '../../projections/rep-activity/queries';
import { READERS } from '../auth';
import { ensureConsistent } from '../consistency';
import type { GraphQLContext } from '../context';
import { PeriodGrainEnum } from '../enums';
import { userInputError } from '../errors';
import { enterPeriod, PeriodArgs } from '../types/page';
import { CampaignPerformance, GoalProgress, LostReasonRow, RepActivity } from '../types/analytics';
import { asList } from './reports';

/** The closed-loop, rep, lost-deal and goal reports (the analysts' and the seeds' dashboards). */
@Authorized(...READERS)
@Resolver()
export class AnalyticsResolver {
  @Query(() => [CampaignPerformance], {
    description:
      'Per campaign over [from, to): the funnel from lead to won, revenue, cost, CAC, ROI.',
  })
  async campaignPerformance(
    @Args(() => PeriodArgs) { from, to, consistentWith }: PeriodArgs,
    @Arg('campaignIds', () => [ID], { nullable: true }) campaignIds: string[] | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await enterPeriod(ctx, { from, to, consistentWith });
    const rows = await campaignPerformance(ctx.services.access, { from, to, campaignIds });
    return rows.map((row) => ({
      ...row,
      rejectedByReason: asList(row.rejectedByReason),
      lostByReason: asList(row.lostByReason),
    }));
  }

  @Query(() => [RepActivity], { description: 'Per rep over [from, to), with outliers flagged.' })
  async repActivity(
    @Args(() => PeriodArgs) { from, to, consistentWith }: PeriodArgs,
    @Arg('team', () => String, { nullable: true }) team: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await enterPeriod(ctx, { from, to, consistentWith });
    return repActivity(ctx.services.access, { from, to, team });
  }

  @Query(() => [LostReasonRow], { description: 'Lost deals by reason x segment x period.' })
  async lostReasons(
    @Args(() => PeriodArgs) { from, to, consistentWith }: PeriodArgs,
    @Arg('groupBy', () => PeriodGrainEnum, { nullable: true }) groupBy: LostReasonsGroupBy | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await enterPeriod(ctx, { from, to, consistentWith });
    return lostReasons(ctx.services.access, { from, to, groupBy });
  }

  @Query(() => GoalProgress, {
    description:
      'Targets vs actuals for a period (2026, 2026-Q3, 2026-07), and the reverse funnel.',
  })
  async goalProgress(
    @Arg('period', () => String) period: string,
    @Arg('currency', () => String, {
      nullable: true,
      description: 'Currency of the money targets; default: the one currency of the deals.',
    })
    currency: string | null,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await ensureConsistent(ctx, consistentWith);
    try {
      return await goalProgress(ctx.services.access, {
        period,
        currency,
        now: ctx.services.clock().toISOString(),
      });
    } catch (error) {
      if (error instanceof RangeError) {
        throw userInputError(error.message, [{ path: 'period', message: error.message }]);
      }
      throw error;
    }
  }
}
