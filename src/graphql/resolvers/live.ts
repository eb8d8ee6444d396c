import {
  Arg,
  Authorized,
  Ctx,
  FieldResolver,
  ID,
  Resolver,
  Root,
  Subscription,
} from 'type-graphql';
import type { FunnelChangedPayload, LeadChangedPayload, SlaBreachedPayload } from '../live-feed';
import { READERS } from '../auth';
import type { GraphQLContext } from '../context';
import { createLoaders } from '../loaders';
import { Lead } from '../types/lead';
import { FunnelChange, LeadChange, SlaBreachNotice } from '../types/live';

/**
 * A subscription's context lives as long as the subscription: each push starts with empty
 * loaders, or nested fields would read the first push's cached documents forever.
 */
const freshLoaders = (ctx: GraphQLContext) => {
  ctx.loaders = createLoaders(ctx.services.access, ctx.services.cache);
};

@Authorized(...READERS)
@Resolver(() => LeadChange)
export class LiveResolver {
  @Subscription(() => LeadChange, {
    topics: 'LEAD_CHANGED',
    filter: ({
      payload,
      args,
    }: {
      payload: LeadChangedPayload;
      args: { leadId?: string | null };
    }) => !args.leadId || payload.leadId === args.leadId,
    description: 'Pushed after the read models applied a change to the lead (or to any lead).',
  })
  leadChanged(
    @Root() change: LeadChangedPayload,
    @Arg('leadId', () => ID, { nullable: true }) _leadId: string | null,
    @Ctx() ctx: GraphQLContext,
  ): LeadChange {
    freshLoaders(ctx);
    return change;
  }

  @Subscription(() => SlaBreachNotice, {
    topics: 'SLA_BREACHED',
    filter: ({ payload, args }: { payload: SlaBreachedPayload; args: { team?: string | null } }) =>
      !args.team || payload.team === args.team,
  })
  slaBreached(
    @Root() breach: SlaBreachedPayload,
    @Arg('team', () => String, { nullable: true }) _team: string | null,
    @Ctx() ctx: GraphQLContext,
  ): SlaBreachNotice {
    freshLoaders(ctx);
    return breach;
  }

  @Subscription(() => FunnelChange, { topics: 'FUNNEL_CHANGED' })
  funnelChanged(@Root() change: FunnelChangedPayload): FunnelChange {
    return change;
  }

  @FieldResolver(() => Lead, {
    nullable: true,
    description: 'The lead as the read model has it now.',
  })
  lead(@Root() change: LeadChange, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.lead.load(change.leadId);
  }
}
