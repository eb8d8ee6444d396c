import { Arg, Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import {
  FUNNEL_COHORT,
  FUNNEL_FLOW,
  type FunnelDimension,
} from '../../projections/funnel/projection';
import { funnelReport } from '../../projections/funnel/queries';
import { listSlaBreaches, slaCompliance } from '../../projections/sla/queries';
import { READERS } from '../auth';
import { ensureConsistent } from '../consistency';
import type { GraphQLContext } from '../context';
import { cacheKey, NO_RESULT_CACHE } from '../result-cache';
import { FunnelDimensionEnum, FunnelModeEnum, SlaGroupByEnum } from '../enums';
import { Lead } from '../types/lead';
import {
  FunnelFilter,
  FunnelReport,
  SlaBreach,
  SlaBreachConnection,
  SlaBreachFilter,
  SlaComplianceFilter,
  SlaComplianceRow,
} from '../types/reports';
import { ConnectionArgs, enterPeriod, pageArgs, PeriodArgs } from '../types/page';

const DIMENSIONS: Record<keyof typeof FunnelDimensionEnum, FunnelDimension> = {
  SEGMENT: 'segment',
  CHANNEL: 'channel',
  CAMPAIGN: 'campaignId',
  TEAM: 'team',
};

/** Counts by key as a list for GraphQL, zeros left out, sorted by key. */
export const asList = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n !== 0)
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));

@Authorized(...READERS)
@Resolver()
export class ReportResolver {
  @Query(() => FunnelReport, {
    description: 'Stage counts, conversions and times over [from, to), in whole UTC days.',
  })
  async funnel(
    @Args(() => PeriodArgs) { from, to, consistentWith }: PeriodArgs,
    @Arg('mode', () => FunnelModeEnum, { nullable: true, defaultValue: 'FLOW' })
    mode: 'FLOW' | 'COHORT',
    @Arg('groupBy', () => [FunnelDimensionEnum], { nullable: true })
    groupBy: Array<keyof typeof FunnelDimensionEnum> | null,
    @Arg('filter', () => FunnelFilter, { nullable: true }) filter: FunnelFilter | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await enterPeriod(ctx, { from, to, consistentWith });
    const { access, cache = NO_RESULT_CACHE } = ctx.services;
    const args = {
      from,
      to,
      mode,
      groupBy: groupBy?.map((d) => DIMENSIONS[d]),
      filter: filter ? { ...filter } : null,
    };
    const collection = access.collection(mode === 'COHORT' ? FUNNEL_COHORT : FUNNEL_FLOW);
    return cache.get(cacheKey('funnel', collection, args), () => funnelReport(access, args));
  }

  @Query(() => [SlaComplianceRow], {
    description: 'SLA compliance per rep or team over [from, to).',
  })
  async slaCompliance(
    @Args(() => PeriodArgs) { from, to, consistentWith }: PeriodArgs,
    @Arg('groupBy', () => SlaGroupByEnum, { nullable: true, defaultValue: 'REP' })
    groupBy: 'REP' | 'TEAM',
    @Arg('filter', () => SlaComplianceFilter, { nullable: true })
    filter: SlaComplianceFilter | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await enterPeriod(ctx, { from, to, consistentWith });
    const rows = await slaCompliance(ctx.services.access, {
      from,
      to,
      groupBy,
      filter: filter ? { ...filter } : null,
    });
    return rows.map((row) => ({
      ...row,
      rejectedByReason: asList(row.rejectedByReason),
      breachesByKind: asList(row.breachesByKind),
    }));
  }

  @Query(() => SlaBreachConnection, { description: 'Missed deadlines, newest first.' })
  async slaBreaches(
    @Arg('filter', () => SlaBreachFilter, { nullable: true }) filter: SlaBreachFilter | null,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    const args = pageArgs(page);
    await ensureConsistent(ctx, consistentWith);
    return listSlaBreaches(ctx.services.access, { ...args, filter: filter ? { ...filter } : null });
  }
}

@Authorized(...READERS)
@Resolver(() => SlaBreach)
export class SlaBreachResolver {
  @FieldResolver(() => Lead, { nullable: true })
  lead(@Root() breach: SlaBreach, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.lead.load(breach.leadId);
  }
}
