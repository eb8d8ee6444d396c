import {
  ConcurrencyError,
  type AppendOptions,
  type EventStore,
  type NewEvent,
} from '../eventstore/port';
import { secondsSince, type Metrics } from './metrics';
import type { Tracing } from './tracing';

/** Stream categories (DESIGN.md: `lead-<id>`, `deal-<id>`, ...): a bounded metrics label. */
const CATEGORIES: ReadonlySet<string> = new Set(['lead', 'deal', 'sla', 'campaign', 'goal']);

const categoryOf = (streamId: string): string => {
  const prefix = streamId.slice(0, streamId.indexOf('-'));
  return CATEGORIES.has(prefix) ? prefix : 'other';
};

/**
 * The event store with its appends timed and counted (`leadledger_event_append_duration_seconds`,
 * `leadledger_events_appended_total`) and traced. Every other member is the store's own, so an
 * adapter's extras and later port methods pass through untouched.
 */
export const instrumentEventStore = (
  store: EventStore,
  { metrics, tracing }: { metrics: Metrics; tracing: Tracing },
): EventStore => {
  const append = (streamId: string, events: NewEvent[], options: AppendOptions) => {
    const category = categoryOf(streamId);
    const started = process.hrtime.bigint();
    return tracing.inSpan(
      'eventstore.append',
      { 'leadledger.stream_category': category, 'leadledger.events': events.length },
      async (span) => {
        try {
          const result = await store.append(streamId, events, options);
          metrics.appendDuration.observe({ category, outcome: 'ok' }, secondsSince(started));
          if (!result.deduplicated) metrics.eventsAppended.inc({ category }, events.length);
          span.update(undefined, { 'leadledger.deduplicated': result.deduplicated });
          return result;
        } catch (error) {
          const conflict = error instanceof ConcurrencyError;
          const outcome = conflict ? 'conflict' : 'error';
          metrics.appendDuration.observe({ category, outcome }, secondsSince(started));
          span.fail(conflict ? 'CONFLICT' : 'ERROR', conflict ? undefined : error);
          throw error;
        }
      },
    );
  };
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      if (property === 'append') return append;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      // Methods run on the store itself (its private fields), bound once.
      if (!bound.has(property)) bound.set(property, (value as () => unknown).bind(target));
      return bound.get(property);
    },
  });
};
