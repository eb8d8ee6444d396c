import { createPubSub } from '@graphql-yoga/subscription';
import type { SlaBreached } from '../domain/lead/events';
import type { EventStore, StoredEvent, Subscription } from '../eventstore/port';
import { getDeals } from '../projections/deals/queries';
import { funnelProjection } from '../projections/funnel/projection';
import type { ReadModelAccess } from '../projections/projection';

export interface LeadChangedPayload {
  leadId: string;
  eventType: string;
  position: string;
  occurredAt: string;
}

export type SlaBreachedPayload = SlaBreached & { position: string };

export interface FunnelChangedPayload {
  eventType: string;
  position: string;
  occurredAt: string;
}

export const pubSub = () =>
  createPubSub<{
    LEAD_CHANGED: [LeadChangedPayload];
    SLA_BREACHED: [SlaBreachedPayload];
    FUNNEL_CHANGED: [FunnelChangedPayload];
  }>();
export type LivePubSub = ReturnType<typeof pubSub>;

/**
 * The pub/sub with its open subscriptions counted: +1 when one starts, -1 once when it ends
 * (the client completes, disconnects, or the iteration finishes).
 */
const counted = (inner: LivePubSub, count: (delta: 1 | -1) => void): LivePubSub => {
  type Source = AsyncIterator<unknown> & Required<Pick<AsyncIterator<unknown>, 'return'>>;
  const subscribe = inner.subscribe.bind(inner) as unknown as (...args: unknown[]) => Source;
  const countedSubscribe = (...args: unknown[]): Source => {
    const source = subscribe(...args);
    count(1);
    let open = true;
    const end = () => {
      if (open) count(-1);
      open = false;
    };
    const next = source.next.bind(source);
    const close = source.return.bind(source);
    source.next = async (...a) => {
      const result = await next(...a);
      if (result.done) end();
      return result;
    };
    source.return = (...a) => {
      end();
      return close(...a);
    };
    return source;
  };
  (inner as { subscribe: unknown }).subscribe = countedSubscribe;
  return inner;
};

/** How long one event may wait for the projections before it is pushed anyway (ms). */
const APPLY_WAIT_MS = 30_000;

/**
 * Feeds this instance's subscribers from the event log itself (no broker): follows the log from
 * its head at start and publishes each event once the projections have applied it, so a client
 * re-querying on a push reads the change. Payloads carry the event's position: a client that
 * reconnects re-queries with `consistentWith` and misses nothing it can read.
 */
export class LiveFeed {
  readonly pubSub: LivePubSub;
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  /** Subscriptions open on this instance: with none, events are read past, not published. */
  private listeners = 0;

  constructor(
    private readonly events: EventStore,
    private readonly access: ReadModelAccess,
    private readonly waitFor: (position: string, timeoutMs: number) => Promise<boolean>,
    private readonly onError: (error: unknown) => void = (e) => console.error('live feed:', e),
  ) {
    this.pubSub = counted(pubSub(), (delta) => (this.listeners += delta));
  }

  async start(): Promise<void> {
    const head = await this.events.headPosition();
    const subscription = this.events.subscribe({ from: head });
    this.subscription = subscription;
    this.running = (async () => {
      try {
        for await (const event of subscription) {
          // Nobody listening: no wait for the projections, no lookups (the log is still followed,
          // so a subscriber arriving now misses nothing appended after it subscribed).
          if (this.listeners === 0) continue;
          await this.waitFor(event.position, APPLY_WAIT_MS);
          await this.publish(event).catch(this.onError);
        }
      } catch (error) {
        this.onError(error);
      }
    })();
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.running;
  }

  private async publish(event: StoredEvent): Promise<void> {
    const { type, position, occurredAt } = event;
    const data = event.data as Record<string, unknown>;
    for (const leadId of await this.leadsOf(event)) {
      this.pubSub.publish('LEAD_CHANGED', { leadId, eventType: type, position, occurredAt });
    }
    if (type === 'SlaBreached') {
      this.pubSub.publish('SLA_BREACHED', { ...(data as SlaBreached), position });
    }
    if (funnelProjection.handles.has(type)) {
      this.pubSub.publish('FUNNEL_CHANGED', { eventType: type, position, occurredAt });
    }
  }

  /** The leads an event changes: its own lead, or the leads of a deal. */
  private async leadsOf(event: StoredEvent): Promise<string[]> {
    const data = event.data as { leadId?: string; leadIds?: string[]; dealId?: string };
    if (event.streamId.startsWith('lead-') && data.leadId) return [data.leadId];
    if (data.leadIds) return data.leadIds;
    // Deal events that do not name the deal's leads (reopened, stage or amount changed).
    if (event.streamId.startsWith('deal-') && data.dealId) {
      const [deal] = await getDeals(this.access, [data.dealId]);
      return deal?.leadIds ?? [];
    }
    return [];
  }
}
