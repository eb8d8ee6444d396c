import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { Stage } from '../../domain/shared/values';
import { pageOf } from '../../projections/connection';
import {
  listLeads,
  listTouches,
  touchKey,
  TOUCH_ORDER,
  type LeadFilter as StoreLeadFilter,
  type LeadView,
  type TimeRange,
} from '../../projections/leads/queries';
import { LEADS, type SlaStatus } from '../../projections/leads/projection';
import { toRep } from '../../projections/reps/queries';
import { MASK, mayReadPii, READERS } from '../auth';
import { ensureConsistent } from '../consistency';
import type { GraphQLContext } from '../context';
import { cacheKey, NO_RESULT_CACHE } from '../result-cache';
import { userInputError } from '../errors';
import { ConnectionArgs, pageArgs } from '../types/page';
import {
  Deal,
  Handoff,
  Lead,
  LeadConnection,
  LeadFilter,
  LeadOrder,
  Rep,
  TouchConnection,
  type DateTimeFilter,
} from '../types/lead';

/** Leads with more touches than this page them with a keyset read of their own. */
const BATCHED_TOUCHES = 100;

/** Bounds of a lead filter: deeper or larger ones are refused before reaching the store. */
const MAX_FILTER_DEPTH = 5;
const MAX_FILTER_TERMS = 1000;

/** Nesting depth and number of terms (list values and sub-filters) of a filter. */
const filterSize = (f: LeadFilter, depth = 1): { depth: number; terms: number } => {
  let terms = 0;
  let deepest = depth;
  for (const value of Object.values(f) as unknown[]) {
    if (value && typeof value === 'object' && 'in' in value && Array.isArray(value.in)) {
      terms += value.in.length;
    }
  }
  for (const sub of [...(f.and ?? []), ...(f.or ?? [])]) {
    const inner = filterSize(sub, depth + 1);
    terms += 1 + inner.terms;
    deepest = Math.max(deepest, inner.depth);
  }
  return { depth: deepest, terms };
};

const checkFilter = (filter: LeadFilter): void => {
  const { depth, terms } = filterSize(filter);
  if (depth > MAX_FILTER_DEPTH || terms > MAX_FILTER_TERMS) {
    const message = `a filter may nest ${MAX_FILTER_DEPTH} levels and hold ${MAX_FILTER_TERMS} values`;
    throw userInputError(message, [{ path: 'filter', message }]);
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
    @Args(() => ConnectionArgs) page: ConnectionArgs,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    const args = pageArgs(page);
    if (filter) checkFilter(filter);
    await ensureConsistent(ctx, consistentWith);
    const { access, cache = NO_RESULT_CACHE } = ctx.services;
    const query = { ...args, filter: filter ? toStoreFilter(filter) : null, orderBy };
    const leads = await cache.get(cacheKey('leads', access.collection(LEADS), query), () =>
      listLeads(access, query),
    );
    // Prime the per-request cache: nested fields asking for these leads again read no store.
    for (const edge of leads.edges) ctx.loaders.lead.prime(edge.node.id, edge.node);
    return leads;
  }

  @FieldResolver(() => String, { nullable: true })
  email(@Root() lead: LeadView, @Ctx() ctx: GraphQLContext): string | null {
    return lead.email === null || mayReadPii(ctx.actor) ? lead.email : MASK;
  }

  @FieldResolver(() => String, { nullable: true })
  name(@Root() lead: LeadView, @Ctx() ctx: GraphQLContext): string | null {
    return lead.name === null || mayReadPii(ctx.actor) ? lead.name : MASK;
  }

  @FieldResolver(() => String, { nullable: true })
  phone(@Root() lead: LeadView, @Ctx() ctx: GraphQLContext): string | null {
    return lead.phone === null || mayReadPii(ctx.actor) ? lead.phone : MASK;
  }

  @FieldResolver(() => Boolean)
  piiMasked(@Ctx() ctx: GraphQLContext): boolean {
    return !mayReadPii(ctx.actor);
  }

  @FieldResolver(() => Rep, { nullable: true, description: 'The rep who owns the lead now.' })
  async owner(@Root() lead: LeadView, @Ctx() ctx: GraphQLContext) {
    if (!lead.ownerRepId) return null;
    return (await ctx.loaders.rep.load(lead.ownerRepId)) ?? toRep({ repId: lead.ownerRepId });
  }

  @FieldResolver(() => TouchConnection, { description: 'Touches, oldest first.' })
  async touches(
    @Root() lead: LeadView,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
    @Ctx() ctx: GraphQLContext,
  ) {
    const args = pageArgs(page);
    // Most leads have a few touches: load the page's all at once. A long history pages itself.
    if (lead.touchCount > BATCHED_TOUCHES) return listTouches(ctx.services.access, lead.id, args);
    const touches = await ctx.loaders.touches.load(lead.id);
    return pageOf(touches, TOUCH_ORDER, touchKey, args);
  }

  @FieldResolver(() => [Deal], { description: 'Deals the lead is part of, oldest first.' })
  async deals(@Root() lead: LeadView, @Ctx() ctx: GraphQLContext) {
    const deals = await ctx.loaders.deal.loadMany(lead.dealIds);
    const failed = deals.find((d) => d instanceof Error);
    if (failed) throw failed;
    return deals.filter((d) => d !== null);
  }
}

/** A handoff's free-text note is personal data, masked like the lead's e-mail and name. */
@Resolver(() => Handoff)
export class HandoffResolver {
  @FieldResolver(() => String, { nullable: true })
  rejectionNote(@Root() handoff: Handoff, @Ctx() ctx: GraphQLContext): string | null {
    return handoff.rejectionNote === null || mayReadPii(ctx.actor) ? handoff.rejectionNote : MASK;
  }
}
