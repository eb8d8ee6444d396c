import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { DomainEvent } from '../../domain/shared/decider';
import { NotFoundError } from '../../domain/shared/errors';
import { evolve, initialState, type LeadState } from '../../domain/lead/decider';
import type { LeadEvent } from '../../domain/lead/events';
import { leadStreamId } from '../../domain/lead/commands';
import { EVENT_TYPES, upcast } from '../../domain/registry';
import { AUDITORS, MASK, mayReadPii, READERS } from '../auth';
import { ensureConsistent } from '../consistency';
import type { GraphQLContext } from '../context';
import { DateTimeScalar } from '../scalars';
import { LeadHistory, ProjectionStatus, Verification } from '../types/audit';

/** Masks the given top-level fields of an event's data (or of a state) that hold a value. */
const masked = (data: unknown, fields: readonly string[]): unknown => {
  if (!data || typeof data !== 'object') return data;
  const copy = { ...(data as Record<string, unknown>) };
  for (const f of fields) if (copy[f] !== null && copy[f] !== undefined) copy[f] = MASK;
  return copy;
};

const PII_STATE_FIELDS = ['email', 'name'];

@Resolver()
export class AuditResolver {
  @Authorized(...AUDITORS)
  @Query(() => LeadHistory, {
    description:
      "A lead's events with actors and times, and its state as it was at asOf (AUDITOR, ADMIN).",
  })
  async leadHistory(
    @Arg('leadId', () => ID) leadId: string,
    @Arg('asOf', () => DateTimeScalar, { nullable: true }) asOf: string | null,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<LeadHistory> {
    await ensureConsistent(ctx, consistentWith);
    const streamId = leadStreamId(leadId);
    const stored = await ctx.services.events.readStream(streamId, asOf ? { asOf } : {});
    if (
      stored.length === 0 &&
      (await ctx.services.events.readStream(streamId, { toRevision: 0 })).length === 0
    ) {
      throw new NotFoundError('lead', leadId);
    }
    const pii = mayReadPii(ctx.actor);
    let state: LeadState | null = null;
    const events = stored.map((e) => {
      const { data } = upcast(e);
      const event = { type: e.type, occurredAt: e.occurredAt, data } as DomainEvent;
      state = evolve(state ?? initialState(), event as LeadEvent);
      const actor = e.metadata.actor;
      return {
        type: e.type,
        position: e.position,
        revision: e.revision,
        occurredAt: e.occurredAt,
        recordedAt: e.recordedAt,
        actor: { id: actor.id, role: actor.roles[0] ?? null, roles: actor.roles },
        correlationId: e.metadata.correlationId ?? null,
        data: pii ? data : masked(data, EVENT_TYPES[e.type]?.pii ?? []),
      };
    });
    return { leadId, asOf, events, state: pii ? state : masked(state, PII_STATE_FIELDS) };
  }

  @Authorized(...AUDITORS)
  @Query(() => Verification, {
    description: "Recomputes a stream's hash chain: the first bad position when it was altered.",
  })
  async verifyStream(
    @Arg('streamId', () => ID) streamId: string,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await ensureConsistent(ctx, consistentWith);
    return { streamId, ...(await ctx.services.events.verify(streamId)) };
  }

  @Authorized(...READERS)
  @Query(() => [ProjectionStatus], {
    description: 'Each read model: position and lag behind the log.',
  })
  async projectionStatus(
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    await ensureConsistent(ctx, consistentWith);
    return ctx.services.projections.status();
  }
}
