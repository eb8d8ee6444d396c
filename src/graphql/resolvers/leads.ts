import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { Stage } from '../../domain/shared/values';
import { pageOf } from '../../projections/connection';
import {
  listLeads,
  touchKey,
  TOUCH_ORDER,
  type LeadFilter as StoreLeadFilter,
  type LeadView,
  type TimeRange,
} from '../../projections/leads/queries';
import type { SlaStatus } from '../../projections/leads/projection';
import { mayReadPii, READERS } from '../auth';
import { ensureConsistent } from '../consistency';
import type { GraphQLContext } from '../context';
import { userInputError } from '../errors';
import {
  Deal,
  Lead,
  LeadConnection,
  LeadFilter,
  LeadOrder,
  Rep,
  TouchConnection,
  type DateTimeFilter,
} from '../types/lead';

/** Largest page any connection serves. */
export const MAX_PAGE_SIZE = 500;
export const MASK = '***';

export const checkPageSize = (first?: number | null, last?: number | null): void => {
  for (const [name, n] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (typeof n === 'number' && n > MAX_PAGE_SIZE) {
      throw userInputError(`${name} must be at most ${MAX_PAGE_SIZE}`, [
        { path: name, message: `at most ${MAX_PAGE_SIZE}` },
      ]);
    }
  }
};

/** `{eq, in}` as one list of allowed values (both given: the values in both). */
const allowed = <T extends string>(
  f: { eq?: string | null; in?: string[] | null } | null | undefined,
) => {
  if (!f) return undefined;
  let values: string[] | undefined = f.in ?? undefined;
  if (f.eq !== null && f.eq !== undefined)
    values = values ? values.filter((v) => v === f.eq) : [f.eq];
  return values as T[] | undefined;
};

const timeRange = (f: DateTimeFilter | null | undefined): TimeRange | undefined =>
  f ? { from: f.gte, after: f.gt, to: f.lt, until: f.lte } : undefined;

const toStoreFilter = (f: LeadFilter): StoreLeadFilter => ({
  stage: allowed<Stage>(f.stage),
  ownerRepId: allowed(f.ownerRepId),
  team: allowed(f.team),
  segment: allowed(f.segment),
  channel: allowed(f.channel),
  campaignId: allowed(f.campaignId),
  slaStatus: allowed<SlaStatus>(f.slaStatus),
  capturedAt: timeRange(f.capturedAt),
  updatedAt: timeRange(f.updatedAt),
  and: f.and?.map(toStoreFilter),
  or: f.or?.map(toStoreFilter),
});

@Authorized(...READERS)
@Resolver(() => Lead)
export class LeadResolver {
  @Query(() => Lead, { nullable: true, description: 'One lead; null when there is none.' })
  async lead(
    @Arg('id', () => ID) id: string,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<LeadView | null> {
    await ensureConsistent(ctx, consistentWith);
    return ctx.loaders.lead.load(id);
  }

  @Query(() => LeadConnection, {
    description: 'Leads, newest capture first by default; keyset cursors, first/last at most 500.',
  })
  async leads(
    @Arg('filter', () => LeadFilter, { nullable: true }) filter: LeadFilter | null,
    @Arg('orderBy', () => LeadOrder, { nullable: true }) orderBy: LeadOrder | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('last', () => Int, { nullable: true }) last: number | null,
    @Arg('before', () => String, { nullable: true }) before: string | null,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    checkPageSize(first, last);
    await ensureConsistent(ctx, consistentWith);
    const page = await listLeads(ctx.services.access, {
      filter: filter ? toStoreFilter(filter) : null,
      orderBy,
      first,
      after,
      last,
      before,
    });
    // Prime the per-request cache: nested fields asking for these leads again read no store.
    for (const edge of page.edges) ctx.loaders.lead.prime(edge.node.id, edge.node);
    return page;
  }

  @FieldResolver(() => String, { nullable: true })
  email(@Root() lead: LeadView, @Ctx() ctx: GraphQLContext): string | null {
    return lead.email === null || mayReadPii(ctx.actor) ? lead.email : MASK;
  }

  @FieldResolver(() => String, { nullable: true })
  name(@Root() lead: LeadView, @Ctx() ctx: GraphQLContext): string | null {
    return lead.name === null || mayReadPii(ctx.actor) ? lead.name : MASK;
  }

  @FieldResolver(() => Boolean)
  piiMasked(@Ctx() ctx: GraphQLContext): boolean {
    return !mayReadPii(ctx.actor);
  }

  @FieldResolver(() => Rep, { nullable: true, description: 'The rep who owns the lead now.' })
  async owner(@Root() lead: LeadView, @Ctx() ctx: GraphQLContext) {
    if (!lead.ownerRepId) return null;
    return (await ctx.loaders.rep.load(lead.ownerRepId)) ?? emptyRep(lead.ownerRepId);
  }

  @FieldResolver(() => TouchConnection, { description: 'Touches, oldest first.' })
  async touches(
    @Root() lead: LeadView,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('last', () => Int, { nullable: true }) last: number | null,
    @Arg('before', () => String, { nullable: true }) before: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    checkPageSize(first, last);
    const touches = await ctx.loaders.touches.load(lead.id);
    return pageOf(touches, TOUCH_ORDER, touchKey, { first, after, last, before });
  }

  @FieldResolver(() => [Deal], { description: 'Deals the lead is part of, oldest first.' })
  async deals(@Root() lead: LeadView, @Ctx() ctx: GraphQLContext) {
    const deals = await ctx.loaders.deal.loadMany(lead.dealIds);
    const failed = deals.find((d) => d instanceof Error);
    if (failed) throw failed;
    return deals.filter((d) => d !== null);
  }
}

const emptyRep = (id: string) => ({
  id,
  team: null,
  handoffsReceived: 0,
  accepted: 0,
  rejected: 0,
  breaches: 0,
  reassignedIn: 0,
  reassignedOut: 0,
  lastHandoffAt: null,
});
