import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { DomainEvent } from '../../domain/shared/decider';
import { NotFoundError } from '../../domain/shared/errors';
import { evolve, initialState, type LeadState } from '../../domain/lead/decider';
import type { LeadEvent } from '../../domain/lead/events';
import { leadStreamId } from '../../domain/lead/commands';
import { upcast } from '../../domain/registry';
import type { StoredEvent } from '../../eventstore/port';
import { piiFieldsOf } from '../../projections/audit-trail/projection';
import { listAuditTrail, type AuditTrailEntry } from '../../projections/audit-trail/queries';
import { listDroppedLeads, type DroppedLead } from '../../projections/dropped-leads/queries';
import { AUDITORS, MASK, mayReadPii, READERS } from '../auth';
import { ensureConsistent } from '../consistency';
import type { GraphQLContext } from '../context';
import { userInputError } from '../errors';
import { DateTimeScalar } from '../scalars';
import {
  AuditTrailConnection,
  AuditTrailFilter,
  DroppedLead as DroppedLeadType,
  DroppedLeadConnection,
  LeadHistory,
  ProjectionStatus,
  TimeBasisEnum,
  Verification,
} from '../types/audit';
import { Lead } from '../types/lead';
import { ConnectionArgs, enterPeriod, pageArgs } from '../types/page';

/** Masks the given top-level fields of an event's data (or of a state) that hold a value. */
const masked = (data: unknown, fields: readonly string[]): unknown => {
  if (!data || typeof data !== 'object') return data;
  const copy = { ...(data as Record<string, unknown>) };
  for (const f of fields) if (copy[f] !== null && copy[f] !== undefined) copy[f] = MASK;
  return copy;
};

/** A lead's state holds the contact details of its capture. */
const piiStateFields = () => piiFieldsOf('LeadCaptured');

const actorOf = (id: string, roles: readonly string[]) => ({
  id,
  role: roles[0] ?? null,
  roles: [...roles],
});

/** Event-store reads at a time when an audit trail page fetches the PII it left out. */
const HYDRATE_CONCURRENCY = 16;

/**
 * The trail's entries as the caller may see them: the PII fields the read model left out are
 * masked, or, for roles that may read PII, read back from the event store (at most a page).
 */
const auditTrailNodes = async (
  ctx: GraphQLContext,
  entries: AuditTrailEntry[],
): Promise<unknown[]> => {
  const pii = mayReadPii(ctx.actor);
  const full = new Map<string, StoredEvent>();
  if (pii) {
    const wanted = entries.filter((e) => e.redacted.length > 0);
    for (let i = 0; i < wanted.length; i += HYDRATE_CONCURRENCY) {
      await Promise.all(
        wanted.slice(i, i + HYDRATE_CONCURRENCY).map(async (e) => {
          const [stored] = await ctx.services.events.readStream(e.streamId, {
            fromRevision: e.revision,
            toRevision: e.revision,
          });
          if (stored && stored.position === e.position) full.set(e.position, stored);
        }),
      );
    }
  }
  return entries.map((e) => {
    const stored = full.get(e.position);
    const data =
      stored !== undefined
        ? upcast(stored).data
        : e.redacted.length > 0
          ? {
              ...(e.data as Record<string, unknown>),
              ...Object.fromEntries(e.redacted.map((f) => [f, MASK])),
            }
          : e.data;
    return {
      position: e.position,
      streamId: e.streamId,
      revision: e.revision,
      type: e.type,
      occurredAt: e.occurredAt,
      recordedAt: e.recordedAt,
      actor: actorOf(e.actorId, e.actorRoles),
      correlationId: e.correlationId,
      data,
    };
  });
};

/** A dropped handoff for GraphQL: its reasons in order, and who held it at the earliest drop. */
const droppedNode = (d: DroppedLead) => {
  const first = d.drops.reduce((min, x) => (x.at < min.at ? x : min), d.drops[0]!);
  return {
    ...d,
    droppedAt: d.droppedAt!,
    ownerAtDrop: first.ownerRepId,
    reasons: [...new Set(d.drops.map((x) => x.reason))],
  };
};

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
    @Arg('basis', () => TimeBasisEnum, {
      nullable: true,
      defaultValue: 'RECORDED',
      description: 'Which time asOf applies to (default RECORDED).',
    })
    requestedBasis: keyof typeof TimeBasisEnum | null,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<LeadHistory> {
    await ensureConsistent(ctx, consistentWith);
    // An explicit null means the default too.
    const basis = requestedBasis ?? 'RECORDED';
    const streamId = leadStreamId(leadId);
    const recordedBy = asOf && basis === 'RECORDED' ? { asOf } : {};
    let stored = await ctx.services.events.readStream(streamId, recordedBy);
    if (asOf && basis === 'BUSINESS') {
      const until = Date.parse(asOf);
      stored = stored.filter((e) => Date.parse(e.occurredAt) <= until);
    }
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
      const { actor, correlationId, causationId, prevHash, hash } = e.metadata;
      return {
        id: e.id,
        streamId: e.streamId,
        type: e.type,
        schemaVersion: e.schemaVersion,
        position: e.position,
        revision: e.revision,
        occurredAt: e.occurredAt,
        recordedAt: e.recordedAt,
        actor: actorOf(actor.id, actor.roles),
        correlationId: correlationId ?? null,
        causationId: causationId ?? null,
        data: pii ? data : masked(data, piiFieldsOf(e.type)),
        prevHash,
        hash,
      };
    });
    return {
      leadId,
      asOf,
      basis,
      events,
      state: pii ? state : masked(state, piiStateFields()),
    };
  }

  @Authorized(...AUDITORS)
  @Query(() => AuditTrailConnection, {
    description:
      'Every event recorded by an actor (or by anyone) in recorded order, PII masked for your ' +
      'role (AUDITOR, ADMIN).',
  })
  async auditTrail(
    @Arg('filter', () => AuditTrailFilter, { nullable: true }) filter: AuditTrailFilter | null,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    const args = pageArgs(page);
    if (filter?.from && filter.to && Date.parse(filter.to) <= Date.parse(filter.from)) {
      throw userInputError('filter.to must be after filter.from', [
        { path: 'filter.to', message: 'must be after from' },
      ]);
    }
    await ensureConsistent(ctx, consistentWith);
    const connection = await listAuditTrail(ctx.services.access, {
      ...args,
      filter: filter ? { ...filter } : null,
    });
    const nodes = await auditTrailNodes(
      ctx,
      connection.edges.map((e) => e.node),
    );
    return {
      ...connection,
      edges: connection.edges.map((edge, i) => ({ cursor: edge.cursor, node: nodes[i] })),
    };
  }

  @Authorized(...READERS)
  @Query(() => DroppedLeadConnection, {
    description:
      'Handoffs dropped in [from, to) (rejected, SLA breached, or left without contact), ' +
      'latest first, with the owner at each moment and the events that prove it.',
  })
  async droppedLeads(
    @Arg('from', () => DateTimeScalar, { description: 'Dropped at or after.' }) from: string,
    @Arg('to', () => DateTimeScalar, { description: 'Dropped before.' }) to: string,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
    @Arg('consistentWith', () => String, { nullable: true }) consistentWith: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    const args = pageArgs(page);
    await enterPeriod(ctx, { from, to, consistentWith });
    const connection = await listDroppedLeads(ctx.services.access, { ...args, from, to });
    return {
      ...connection,
      edges: connection.edges.map((edge) => ({
        cursor: edge.cursor,
        node: droppedNode(edge.node),
      })),
    };
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

@Authorized(...READERS)
@Resolver(() => DroppedLeadType)
export class DroppedLeadResolver {
  @FieldResolver(() => Lead, { nullable: true, description: 'The lead as it is now.' })
  lead(@Root() dropped: DroppedLeadType, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.lead.load(dropped.leadId);
  }
}
