import { Arg, Args, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { AttributionModel } from '../../projections/attribution/models';
import {
  attribution,
  attributionComparison,
  dealAttribution,
  type AttributionGroupBy,
} from '../../projections/attribution/queries';
import { NotFoundError } from '../../domain/shared/errors';
import { READERS } from '../auth';
import { ensureConsistent } from '../consistency';
import type { GraphQLContext } from '../context';
import { userInputError } from '../errors';
import { DateTimeScalar } from '../scalars';
import { enterPeriod, PeriodArgs } from '../types/page';
import {
  AttributionComparisonRow,
  AttributionGroupByEnum,
  AttributionModelEnum,
  AttributionRow,
  TouchCredit,
} from '../types/attribution';

/** The query functions refuse what they cannot answer with a RangeError: that is bad input. */
const asInput = async <T>(work: () => Promise<T>, path: string): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RangeError)
      throw userInputError(error.message, [{ path, message: error.message }]);
    throw error;
  }
};

/** Multi-touch attribution (DESIGN.md's eight models), as of any past instant. */
@Authorized(...READERS)
@Resolver()
export class AttributionResolver {
  @Query(() => [AttributionRow], {
    description:
      'Pipeline and revenue credit per campaign or channel for deals converted in [from, to); with asOf, what the report said then.',
  })
  async attribution(
    @Arg('model', () => AttributionModelEnum) model: AttributionModel,
    @Args(() => PeriodArgs) { from, to, consistentWith }: PeriodArgs,
    @Arg('groupBy', () => AttributionGroupByEnum, { nullable: true, defaultValue: 'CAMPAIGN' })
    groupBy: AttributionGroupBy,
    @Arg('asOf', () => DateTimeScalar, { nullable: true }) asOf: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await enterPeriod(ctx, { from, to, consistentWith });
    return asInput(
      () => attribution(ctx.services.access, { model, from, to, groupBy, asOf }),
      'asOf',
    );
  }

  @Query(() => [AttributionComparisonRow], { description: 'Every model side by side, per key.' })
  async attributionComparison(
    @Args(() => PeriodArgs) { from, to, consistentWith }: PeriodArgs,
    @Arg('groupBy', () => AttributionGroupByEnum, { nullable: true, defaultValue: 'CAMPAIGN' })
    groupBy: AttributionGroupBy,
    @Arg('asOf', () => DateTimeScalar, { nullable: true }) asOf: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await enterPeriod(ctx, { from, to, consistentWith });
    return asInput(
      () => attributionComparison(ctx.services.access, { from, to, groupBy, asOf }),
      'asOf',
    );
  }

  @Query(() => [TouchCredit], {
    description:
      "The deal's touches in path order with their positions and credit under the model.",
  })
  async dealAttribution(
    @Arg('dealId', () => ID) dealId: string,
    @Arg('model', () => AttributionModelEnum) model: AttributionModel,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await ensureConsistent(ctx, consistentWith);
    const deal = await dealAttribution(ctx.services.access, dealId, model);
    if (!deal) throw new NotFoundError('deal', dealId);
    return deal.touches;
  }
}
